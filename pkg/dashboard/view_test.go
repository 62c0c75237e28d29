package dashboard

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/utils/ptr"

	"github.com/serin-dev/serin/pkg/apis/rollouts/v1alpha1"
	"github.com/serin-dev/serin/pkg/plan"
	"github.com/serin-dev/serin/pkg/rolloutview"
)

// Builders for the fixtures.
type roOpt func(*v1alpha1.Rollout)

func testRollout(opts ...roOpt) *v1alpha1.Rollout {
	ro := &v1alpha1.Rollout{
		ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: "shop", UID: "ro-uid"},
		Spec: v1alpha1.RolloutSpec{
			Replicas: ptr.To[int32](4),
			Template: corev1.PodTemplateSpec{Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "web", Image: "web:2"}}}},
			Strategy: v1alpha1.RolloutStrategy{Canary: &v1alpha1.CanaryStrategy{
				StableService: "web-stable", CanaryService: "web-canary",
				TrafficRouting: &v1alpha1.RolloutTrafficRouting{Nginx: &v1alpha1.NginxTrafficRouting{StableIngress: "web"}},
				Steps: []v1alpha1.CanaryStep{
					{SetWeight: ptr.To[int32](20)},
					{Pause: &v1alpha1.RolloutPause{}},
					{SetWeight: ptr.To[int32](50)},
					{Pause: &v1alpha1.RolloutPause{Duration: ptr.To(intstr.FromInt32(30))}},
					{SetHeaderRoute: &v1alpha1.SetHeaderRoute{Name: "beta", Match: []v1alpha1.HeaderRoutingMatch{
						{HeaderName: "X-Beta", HeaderValue: &v1alpha1.StringMatch{Exact: "yes"}}, {CookieName: "canary"}}}},
					{Pause: &v1alpha1.RolloutPause{Duration: ptr.To(intstr.FromString("1m"))}},
				},
			}},
		},
		Status: v1alpha1.RolloutStatus{Phase: v1alpha1.RolloutPhaseHealthy, StableRS: "h1", CurrentPodHash: "h1"},
	}
	for _, o := range opts {
		o(ro)
	}
	return ro
}

func atStep(i int32, phase v1alpha1.RolloutPhase) roOpt {
	return func(ro *v1alpha1.Rollout) {
		ro.Status.CurrentStepIndex = ptr.To(i)
		ro.Status.Phase = phase
		ro.Status.CurrentPodHash = "h2"
	}
}

func pausedAtStep(ro *v1alpha1.Rollout) {
	ro.Status.PauseConditions = []v1alpha1.PauseCondition{{Reason: v1alpha1.PauseReasonCanaryPauseStep}}
}

func weight(w int32) roOpt {
	return func(ro *v1alpha1.Rollout) {
		ro.Status.Canary.Weights = &v1alpha1.TrafficWeights{Canary: v1alpha1.WeightDestination{Weight: w}}
	}
}

func aborted(ro *v1alpha1.Rollout) { ro.Status.Abort = true }

func TestStepsAndWeights(t *testing.T) {
	tests := map[string]struct {
		ro         *v1alpha1.Rollout
		wantStates string
		wantSet    int32
		wantActual *int32
		wantRoute  bool
	}{
		"healthy, nothing in flight": {testRollout(atStep(6, v1alpha1.RolloutPhaseHealthy), func(ro *v1alpha1.Rollout) { ro.Status.CurrentPodHash = "h1" }),
			"dddddd", 100, nil, false}, // the stable revision carries all traffic
		"paused at the first pause": {testRollout(atStep(1, v1alpha1.RolloutPhasePaused), pausedAtStep, weight(20)),
			"dc....", 20, ptr.To[int32](20), false},
		"timed pause after 50": {testRollout(atStep(3, v1alpha1.RolloutPhasePaused), weight(50)),
			"dddc..", 50, ptr.To[int32](50), false},
		"past the header route": {testRollout(atStep(5, v1alpha1.RolloutPhasePaused), weight(50)),
			"dddddc", 50, ptr.To[int32](50), true},
		"aborted": {testRollout(atStep(1, v1alpha1.RolloutPhaseDegraded), aborted, weight(0)),
			"dc....", 0, ptr.To[int32](0), false},
		"every step done, not yet stable": {testRollout(atStep(6, v1alpha1.RolloutPhaseProgressing)),
			"dddddd", 100, nil, false},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			v := BuildView(&rolloutview.Snapshot{Rollout: tc.ro})
			var states strings.Builder
			for _, s := range v.Steps {
				states.WriteByte(map[string]byte{"done": 'd', "current": 'c', "pending": '.'}[s.State])
			}
			if states.String() != tc.wantStates {
				t.Errorf("step states %s, want %s", states.String(), tc.wantStates)
			}
			if v.SetWeight == nil || *v.SetWeight != tc.wantSet {
				t.Errorf("set weight %v, want %d", v.SetWeight, tc.wantSet)
			}
			if (v.ActualWeight == nil) != (tc.wantActual == nil) || (v.ActualWeight != nil && *v.ActualWeight != *tc.wantActual) {
				t.Errorf("actual weight %v, want %v", v.ActualWeight, tc.wantActual)
			}
			if len(v.HeaderRoutes) != 1 || v.HeaderRoutes[0].Active != tc.wantRoute {
				t.Errorf("header routes %+v, want one, active=%v", v.HeaderRoutes, tc.wantRoute)
			}
		})
	}
}

func TestStepTexts(t *testing.T) {
	v := BuildView(&rolloutview.Snapshot{Rollout: testRollout()})
	var texts []string
	for _, s := range v.Steps {
		texts = append(texts, s.Text)
	}
	want := "setWeight 20%|pause until promoted|setWeight 50%|pause 30s|setHeaderRoute beta|pause 1m"
	if got := strings.Join(texts, "|"); got != want {
		t.Errorf("step texts\n got %s\nwant %s", got, want)
	}
	if got := strings.Join(v.HeaderRoutes[0].Matches, "; "); got != "header X-Beta = yes; cookie canary" {
		t.Errorf("header route matches %q", got)
	}
	if v.Strategy.TrafficRouting != "nginx (Ingress web)" || v.Strategy.StableService != "web-stable" {
		t.Errorf("strategy %+v", v.Strategy)
	}
}

func rs(name, hash, rev, image string, replicas, available int32) *appsv1.ReplicaSet {
	return &appsv1.ReplicaSet{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "shop", UID: types.UID("rs-" + hash),
			Labels:      map[string]string{v1alpha1.DefaultRolloutUniqueLabelKey: hash},
			Annotations: map[string]string{plan.AnnotationRevision: rev},
			OwnerReferences: []metav1.OwnerReference{{APIVersion: "serin.dev/v1alpha1", Kind: "Rollout", Name: "web",
				UID: "ro-uid", Controller: ptr.To(true)}}},
		Spec: appsv1.ReplicaSetSpec{Replicas: ptr.To(replicas),
			Template: corev1.PodTemplateSpec{Spec: corev1.PodSpec{Containers: []corev1.Container{{Image: image}}}}},
		Status: appsv1.ReplicaSetStatus{AvailableReplicas: available, ReadyReplicas: available},
	}
}

func pod(name, hash string, ready bool) *corev1.Pod {
	status := corev1.ConditionFalse
	if ready {
		status = corev1.ConditionTrue
	}
	return &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "shop", Labels: map[string]string{v1alpha1.DefaultRolloutUniqueLabelKey: hash},
			OwnerReferences: []metav1.OwnerReference{{APIVersion: "apps/v1", Kind: "ReplicaSet", Name: "web-" + hash,
				UID: types.UID("rs-" + hash), Controller: ptr.To(true)}}},
		Status: corev1.PodStatus{Phase: corev1.PodRunning, Conditions: []corev1.PodCondition{{Type: corev1.PodReady, Status: status}}},
	}
}

func leaving(p *corev1.Pod) *corev1.Pod {
	p.DeletionTimestamp = ptr.To(metav1.Now())
	return p
}

// Terminating pods are left out: the page shows the pods that serve.
func TestRevisionsAndPods(t *testing.T) {
	ro := testRollout(atStep(1, v1alpha1.RolloutPhasePaused))
	v := BuildView(&rolloutview.Snapshot{Rollout: ro,
		ReplicaSets: []*appsv1.ReplicaSet{rs("web-h1", "h1", "1", "web:1", 4, 4), rs("web-h2", "h2", "2", "web:2", 1, 0)},
		Pods: []*corev1.Pod{pod("web-h1-a", "h1", true), pod("web-h2-a", "h2", false), pod("other", "zz", true),
			leaving(pod("web-h1-b", "h1", true))},
	})
	if len(v.Revisions) != 2 {
		t.Fatalf("revisions %+v", v.Revisions)
	}
	canary, stable := v.Revisions[0], v.Revisions[1]
	if canary.Revision != "2" || canary.Role != "canary" || len(canary.Pods) != 1 || canary.Pods[0].Ready {
		t.Errorf("canary revision %+v", canary)
	}
	if stable.Revision != "1" || stable.Role != "stable" || len(stable.Pods) != 1 || !stable.Pods[0].Ready || stable.Images[0] != "web:1" {
		t.Errorf("stable revision %+v", stable)
	}
}

func TestEventsNewestFirstAndCapped(t *testing.T) {
	base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	var evs []*corev1.Event
	for i := range rolloutview.MaxEvents + 5 {
		evs = append(evs, &corev1.Event{ObjectMeta: metav1.ObjectMeta{Name: "e" + string(rune('a'+i))},
			Reason: "Step", Message: "m", LastTimestamp: metav1.NewTime(base.Add(time.Duration(i) * time.Minute))})
	}
	v := BuildView(&rolloutview.Snapshot{Rollout: testRollout(), Events: evs})
	if len(v.Events) != rolloutview.MaxEvents {
		t.Fatalf("%d events, want %d", len(v.Events), rolloutview.MaxEvents)
	}
	if v.Events[0].Time != base.Add(time.Duration(rolloutview.MaxEvents+4)*time.Minute).Format(time.RFC3339) {
		t.Errorf("first event at %s, want the newest", v.Events[0].Time)
	}
}

func TestAnalysisRunViewLeaksNoCredentials(t *testing.T) {
	run := &v1alpha1.AnalysisRun{
		ObjectMeta: metav1.ObjectMeta{Name: "web-2-1", Namespace: "shop"},
		Spec: v1alpha1.AnalysisRunSpec{
			Args: []v1alpha1.Argument{{Name: "api-token", Value: ptr.To("s3cr3t-arg")}},
			Metrics: []v1alpha1.Metric{{Name: "error-rate", SuccessCondition: "result[0] < 0.05",
				Provider: v1alpha1.MetricProvider{Prometheus: &v1alpha1.PrometheusMetric{Address: "http://user:pw@prom:9090",
					Query:   `sum(rate(x{token="s3cr3t-q"}[1m]))`,
					Headers: []v1alpha1.WebMetricHeader{{Key: "Authorization", Value: "Bearer s3cr3t-h"}}}}}},
		},
		Status: v1alpha1.AnalysisRunStatus{Phase: v1alpha1.AnalysisPhaseRunning, MetricResults: []v1alpha1.MetricResult{{
			Name: "error-rate", Phase: v1alpha1.AnalysisPhaseRunning,
			Measurements: []v1alpha1.Measurement{
				{Phase: v1alpha1.AnalysisPhaseSuccessful, Value: "[0.01]", Query: "s3cr3t-q", FinishedAt: ptr.To(metav1.NewTime(time.Unix(100, 0)))},
				{Phase: v1alpha1.AnalysisPhaseFailed, Value: "[0.2]", FinishedAt: ptr.To(metav1.NewTime(time.Unix(160, 0)))},
			}}}},
	}
	v := BuildView(&rolloutview.Snapshot{Rollout: testRollout(), AnalysisRuns: []*v1alpha1.AnalysisRun{run}})
	m := v.AnalysisRuns[0].Metrics[0]
	if m.Provider != "prometheus" || m.SuccessCondition != "result[0] < 0.05" || len(m.Measurements) != 2 ||
		m.Measurements[1].Value != "[0.2]" || m.Measurements[1].Phase != "Failed" {
		t.Errorf("metric view %+v", m)
	}
	data, _ := json.Marshal(v)
	for _, secret := range []string{"s3cr3t", "user:pw", "Bearer", "api-token"} {
		if strings.Contains(string(data), secret) {
			t.Errorf("the view's JSON carries %q:\n%s", secret, data)
		}
	}
}
