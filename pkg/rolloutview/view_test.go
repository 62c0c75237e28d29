package rolloutview_test

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/utils/ptr"

	"github.com/serin-dev/serin/pkg/apis/rollouts/v1alpha1"
	"github.com/serin-dev/serin/pkg/rolloutview"
	"github.com/serin-dev/serin/pkg/rolloutview/viewtest"
)

func view(ro *v1alpha1.Rollout) rolloutview.View {
	return rolloutview.New(&rolloutview.Snapshot{Rollout: ro})
}

func TestStatus(t *testing.T) {
	tests := map[string]struct {
		change                 func(ro *v1alpha1.Rollout)
		status, message, phase string
	}{
		"observed": {func(*v1alpha1.Rollout) {}, "Paused", "CanaryPauseStep", "Paused"},
		"spec changed since the controller looked": {func(ro *v1alpha1.Rollout) { ro.Generation = 3 },
			"Unknown", "the controller has not observed the latest spec yet", "Paused"},
		"no phase written yet": {func(ro *v1alpha1.Rollout) { ro.Status.Phase, ro.Status.Message = "", "" },
			"Unknown", "the controller has not observed the latest spec yet", "Unknown"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			ro := viewtest.Rollout(v1alpha1.RolloutPhasePaused, 1)
			tc.change(ro)
			v := view(ro)
			if v.Status != tc.status || v.Message != tc.message || v.Phase != tc.phase {
				t.Errorf("status %q message %q phase %q, want %q %q %q", v.Status, v.Message, v.Phase, tc.status, tc.message, tc.phase)
			}
		})
	}
}

func TestWeights(t *testing.T) {
	tests := map[string]struct {
		change      func(ro *v1alpha1.Rollout)
		step        string
		set, actual *int32
	}{
		"at the pause after setWeight 20": {func(*v1alpha1.Rollout) {}, "2/3", ptr.To[int32](20), ptr.To[int32](20)},
		"at setWeight 50, not yet routed": {func(ro *v1alpha1.Rollout) { ro.Status.CurrentStepIndex = ptr.To[int32](2) },
			"3/3", ptr.To[int32](50), ptr.To[int32](20)},
		"every step done: the maximum weight": {func(ro *v1alpha1.Rollout) {
			ro.Status.CurrentStepIndex = ptr.To[int32](3)
			ro.Spec.Strategy.Canary.TrafficRouting.MaxTrafficWeight = ptr.To[int32](50)
		}, "3/3", ptr.To[int32](50), ptr.To[int32](20)},
		"nothing in flight: the stable revision carries all traffic": {func(ro *v1alpha1.Rollout) {
			ro.Status.StableRS, ro.Status.CurrentStepIndex = "bbb", ptr.To[int32](3)
			ro.Status.Canary.Weights.Canary.Weight = 0
		}, "3/3", ptr.To[int32](100), ptr.To[int32](100)},
		"nothing in flight, capped by maxTrafficWeight": {func(ro *v1alpha1.Rollout) {
			ro.Status.StableRS, ro.Status.CurrentStepIndex = "bbb", ptr.To[int32](3)
			ro.Spec.Strategy.Canary.TrafficRouting.MaxTrafficWeight = ptr.To[int32](50)
			ro.Status.Canary.Weights.Canary.Weight = 0
		}, "3/3", ptr.To[int32](50), ptr.To[int32](50)},
		"aborted": {func(ro *v1alpha1.Rollout) {
			ro.Status.Abort, ro.Status.Canary.Weights.Canary.Weight = true, 0
		}, "2/3", ptr.To[int32](0), ptr.To[int32](0)},
		"no index yet, no weights reported": {func(ro *v1alpha1.Rollout) {
			ro.Status.CurrentStepIndex, ro.Status.Canary.Weights = nil, nil
		}, "3/3", ptr.To[int32](0), nil},
		"no steps": {func(ro *v1alpha1.Rollout) { ro.Spec.Strategy.Canary.Steps = nil }, "", ptr.To[int32](100), ptr.To[int32](20)},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			ro := viewtest.Rollout(v1alpha1.RolloutPhasePaused, 1)
			tc.change(ro)
			v := view(ro)
			if v.Step != tc.step || !equalPtr(v.SetWeight, tc.set) || !equalPtr(v.ActualWeight, tc.actual) {
				t.Errorf("step %q set %v actual %v, want %q %v %v", v.Step, deref(v.SetWeight), deref(v.ActualWeight), tc.step, deref(tc.set), deref(tc.actual))
			}
		})
	}
}

func equalPtr(a, b *int32) bool { return (a == nil) == (b == nil) && (a == nil || *a == *b) }

func deref(p *int32) any {
	if p == nil {
		return nil
	}
	return *p
}

// Each step is described as the plan describes it, with the unit of its number apart.
func TestStepDescriptions(t *testing.T) {
	tests := map[string]struct {
		step                    v1alpha1.CanaryStep
		kind, description, unit string
		untilPromoted           bool
		templates               string
	}{
		"setWeight":             {v1alpha1.CanaryStep{SetWeight: ptr.To[int32](20)}, "setWeight", "setWeight 20", "%", false, ""},
		"pause until promoted":  {v1alpha1.CanaryStep{Pause: &v1alpha1.RolloutPause{}}, "pause", "pause", "", true, ""},
		"pause in bare seconds": {v1alpha1.CanaryStep{Pause: &v1alpha1.RolloutPause{Duration: ptr.To(intstr.FromInt32(30))}}, "pause", "pause 30", "s", false, ""},
		"pause with a unit":     {v1alpha1.CanaryStep{Pause: &v1alpha1.RolloutPause{Duration: ptr.To(intstr.FromString("1m"))}}, "pause", "pause 1m", "", false, ""},
		"analysis": {v1alpha1.CanaryStep{Analysis: &v1alpha1.RolloutAnalysis{Templates: []v1alpha1.AnalysisTemplateRef{{TemplateName: "errors"}, {TemplateName: "latency"}}}},
			"analysis", "analysis", "", false, "errors,latency"},
		"setCanaryScale replicas": {v1alpha1.CanaryStep{SetCanaryScale: &v1alpha1.SetCanaryScale{Replicas: ptr.To[int32](3)}}, "setCanaryScale", "setCanaryScale replicas 3", "", false, ""},
		"setCanaryScale weight":   {v1alpha1.CanaryStep{SetCanaryScale: &v1alpha1.SetCanaryScale{Weight: ptr.To[int32](20)}}, "setCanaryScale", "setCanaryScale weight 20", "%", false, ""},
		"setCanaryScale matchTrafficWeight": {v1alpha1.CanaryStep{SetCanaryScale: &v1alpha1.SetCanaryScale{MatchTrafficWeight: true}},
			"setCanaryScale", "setCanaryScale matchTrafficWeight", "", false, ""},
		"setHeaderRoute": {v1alpha1.CanaryStep{SetHeaderRoute: &v1alpha1.SetHeaderRoute{Name: "beta"}}, "setHeaderRoute", "setHeaderRoute beta", "", false, ""},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			ro := viewtest.Rollout(v1alpha1.RolloutPhasePaused, 0)
			ro.Spec.Strategy.Canary.Steps = []v1alpha1.CanaryStep{tc.step}
			s := view(ro).Canary.Steps[0]
			if s.Kind != tc.kind || s.Description != tc.description || s.Unit != tc.unit || s.UntilPromoted != tc.untilPromoted ||
				strings.Join(s.Templates, ",") != tc.templates {
				t.Errorf("step %+v, want kind %q description %q unit %q untilPromoted %v templates %q",
					s, tc.kind, tc.description, tc.unit, tc.untilPromoted, tc.templates)
			}
		})
	}
}

func TestStepStatesAndHeaderRoutes(t *testing.T) {
	route := v1alpha1.CanaryStep{SetHeaderRoute: &v1alpha1.SetHeaderRoute{Name: "beta", Match: []v1alpha1.HeaderRoutingMatch{
		{HeaderName: "X-Beta", HeaderValue: &v1alpha1.StringMatch{Exact: "yes"}}, {HeaderName: "X-Id", HeaderValue: &v1alpha1.StringMatch{Prefix: "7"}},
		{HeaderName: "X-Re", HeaderValue: &v1alpha1.StringMatch{Regex: "a.*"}}, {CookieName: "canary"}}}}
	tests := map[string]struct {
		phase       v1alpha1.RolloutPhase
		index       *int32
		abort       bool
		states      string
		routeActive bool
	}{
		"before the controller set the index": {v1alpha1.RolloutPhaseProgressing, nil, false, "....", false},
		"at the header route":                 {v1alpha1.RolloutPhaseProgressing, ptr.To[int32](1), false, "dc..", false},
		"past the header route":               {v1alpha1.RolloutPhasePaused, ptr.To[int32](2), false, "ddc.", true},
		"aborted past the header route":       {v1alpha1.RolloutPhaseDegraded, ptr.To[int32](2), true, "ddc.", false},
		"healthy at the last step":            {v1alpha1.RolloutPhaseHealthy, ptr.To[int32](3), false, "dddd", true},
		"past every step":                     {v1alpha1.RolloutPhaseHealthy, ptr.To[int32](4), false, "dddd", false},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			ro := viewtest.Rollout(tc.phase, 0)
			ro.Spec.Strategy.Canary.Steps = []v1alpha1.CanaryStep{{SetWeight: ptr.To[int32](10)}, route, {Pause: &v1alpha1.RolloutPause{}}, {SetWeight: ptr.To[int32](50)}}
			ro.Status.CurrentStepIndex, ro.Status.Abort = tc.index, tc.abort
			c := view(ro).Canary
			var states strings.Builder
			for _, s := range c.Steps {
				states.WriteByte(map[string]byte{rolloutview.StepDone: 'd', rolloutview.StepCurrent: 'c', rolloutview.StepPending: '.'}[s.State])
			}
			if states.String() != tc.states {
				t.Errorf("step states %s, want %s", states.String(), tc.states)
			}
			if len(c.HeaderRoutes) != 1 || c.HeaderRoutes[0].Active != tc.routeActive {
				t.Fatalf("header routes %+v, want one, active %v", c.HeaderRoutes, tc.routeActive)
			}
			want := "header X-Beta = yes; header X-Id starts with 7; header X-Re matches /a.*/; cookie canary"
			if got := strings.Join(c.HeaderRoutes[0].Matches, "; "); got != want {
				t.Errorf("matches %q, want %q", got, want)
			}
		})
	}
}

func TestCanaryStrategy(t *testing.T) {
	ro := viewtest.Rollout(v1alpha1.RolloutPhasePaused, 1)
	ro.Spec.Strategy.Canary.TrafficRouting.Nginx.StableIngresses = []string{"web-admin"}
	ro.Spec.Strategy.Canary.MaxSurge = ptr.To(intstr.FromString("25%"))
	c := view(ro).Canary
	if c.Router != "nginx (Ingress web, web-admin)" || c.StableService != "web-stable" || c.CanaryService != "web-canary" ||
		c.MaxSurge != "25%" || c.MaxUnavailable != "" || c.StepIndex == nil || *c.StepIndex != 1 {
		t.Errorf("canary %+v", c)
	}
	ro.Spec.Strategy.Canary.TrafficRouting = nil
	if r := view(ro).Canary.Router; r != "" {
		t.Errorf("router %q without traffic routing", r)
	}
}

func TestRevisionRoles(t *testing.T) {
	tests := map[string]struct {
		snap          *rolloutview.Snapshot
		role, roles   map[int64]string
		stable, image string
	}{
		"canary in flight": {viewtest.CanaryPaused(), map[int64]string{2: "canary", 1: "stable"}, map[int64]string{2: "canary", 1: "stable"},
			"nginx:1.27", "nginx:1.28"},
		"blue-green preview up": {viewtest.BlueGreenPaused(), map[int64]string{2: "new", 1: "stable"}, map[int64]string{2: "preview", 1: "stable,active"},
			"nginx:1.27", "nginx:1.28"},
		"blue-green stable": {viewtest.BlueGreenStable(), map[int64]string{2: "stable", 1: "old"}, map[int64]string{2: "stable,active,preview", 1: ""},
			"nginx:1.28", ""},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			v := rolloutview.New(tc.snap.Owned())
			role, roles := map[int64]string{}, map[int64]string{}
			for _, r := range v.Revisions {
				role[r.Number], roles[r.Number] = r.Role, strings.Join(r.Roles, ",")
			}
			for n := range tc.role {
				if role[n] != tc.role[n] || roles[n] != tc.roles[n] {
					t.Errorf("revision %d: role %q roles %q, want %q %q", n, role[n], roles[n], tc.role[n], tc.roles[n])
				}
			}
			if strings.Join(v.StableImages, ",") != tc.stable || strings.Join(v.CanaryImages, ",") != tc.image {
				t.Errorf("images stable %v new %v", v.StableImages, v.CanaryImages)
			}
		})
	}
}

func TestPodStatus(t *testing.T) {
	rs := viewtest.ReplicaSet("bbb", "nginx:1.28", "2", 1, time.Minute)
	tests := map[string]struct {
		change        func(p *corev1.Pod)
		status, phase string
		ready         string
		restarts      int32
	}{
		"ready":     {func(*corev1.Pod) {}, "Ready", "Running", "1/1", 0},
		"not ready": {func(p *corev1.Pod) { p.Status.Conditions[0].Status = corev1.ConditionFalse }, "NotReady", "Running", "1/1", 0},
		"pending": {func(p *corev1.Pod) {
			p.Status = corev1.PodStatus{Phase: corev1.PodPending}
		}, "Pending", "Pending", "0/1", 0},
		"terminating": {func(p *corev1.Pod) { p.DeletionTimestamp = ptr.To(viewtest.Ago(0)) }, "Terminating", "Running", "1/1", 0},
		"succeeded":   {func(p *corev1.Pod) { p.Status.Phase = corev1.PodSucceeded }, "Succeeded", "Succeeded", "1/1", 0},
		"restarted, one container of two ready": {func(p *corev1.Pod) {
			p.Spec.Containers = append(p.Spec.Containers, corev1.Container{Name: "proxy"})
			p.Status.ContainerStatuses = []corev1.ContainerStatus{{Name: "web", Ready: true, RestartCount: 2}, {Name: "proxy", RestartCount: 1}}
			p.Status.Conditions[0].Status = corev1.ConditionFalse
		}, "NotReady", "Running", "1/2", 3},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			pod := viewtest.Pod(rs, "x", true, time.Minute)
			tc.change(pod)
			v := rolloutview.New(&rolloutview.Snapshot{Rollout: viewtest.Rollout(v1alpha1.RolloutPhasePaused, 1),
				ReplicaSets: []*appsv1.ReplicaSet{rs}, Pods: []*corev1.Pod{pod}})
			p := v.Revisions[0].Pods[0]
			if p.Status != tc.status || p.Phase != tc.phase || p.Ready != tc.ready || p.Restarts != tc.restarts {
				t.Errorf("pod %+v, want status %q phase %q ready %q restarts %d", p, tc.status, tc.phase, tc.ready, tc.restarts)
			}
		})
	}
}

func TestAnalysisRuns(t *testing.T) {
	s := viewtest.CanaryPaused()
	run := s.AnalysisRuns[0]
	run.Spec.Metrics = []v1alpha1.Metric{
		{Name: "latency", SuccessCondition: "result < 0.5", Provider: v1alpha1.MetricProvider{Web: &v1alpha1.WebMetric{URL: "http://user:s3cr3t@x"}}},
		{Name: "smoke", Provider: v1alpha1.MetricProvider{Job: &v1alpha1.JobMetric{}}},
	}
	run.Status.MetricResults[0].Measurements[1].Query = "s3cr3t-query"
	run.Status.StartedAt = ptr.To(viewtest.Ago(time.Minute))
	gone := run.DeepCopy() // a run of a revision whose ReplicaSet is gone
	gone.Name, gone.Labels[v1alpha1.DefaultRolloutUniqueLabelKey] = "web-zzz-1", "zzz"
	s.AnalysisRuns = append(s.AnalysisRuns, gone)
	v := rolloutview.New(s.Owned())

	runs := v.Revisions[0].AnalysisRuns
	if len(runs) != 1 || runs[0].Name != "web-bbb-2" || runs[0].Started == nil {
		t.Fatalf("revision 2 runs %+v", runs)
	}
	type metric struct{ name, phase, provider, latest string }
	var got []metric
	for _, m := range runs[0].Metrics {
		got = append(got, metric{m.Name, m.Phase, m.Provider, m.LatestValue})
	}
	want := []metric{{"latency", "Pending", "web", ""}, {"smoke", "Pending", "job", ""}, {"error-rate", "Running", "", "0.02"}}
	if !slices.Equal(got, want) {
		t.Errorf("metrics %+v, want %+v (the spec's in order, then results the spec does not name)", got, want)
	}
	if len(v.AnalysisRuns) != 1 || v.AnalysisRuns[0].Name != "web-zzz-1" {
		t.Errorf("runs of no revision %+v, want web-zzz-1", v.AnalysisRuns)
	}
	data, _ := json.Marshal(v)
	if strings.Contains(string(data), "s3cr3t") {
		t.Errorf("the view's JSON carries a credential:\n%s", data)
	}
}

func TestEventsNewestFirstAndCapped(t *testing.T) {
	base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	var evs []*corev1.Event
	for i := range rolloutview.MaxEvents + 5 {
		evs = append(evs, &corev1.Event{ObjectMeta: metav1.ObjectMeta{Name: "e" + string(rune('a'+i))},
			Reason: "Step", LastTimestamp: metav1.NewTime(base.Add(time.Duration(i) * time.Minute))})
	}
	v := rolloutview.New(&rolloutview.Snapshot{Rollout: viewtest.Rollout(v1alpha1.RolloutPhasePaused, 1), Events: evs})
	if len(v.Events) != rolloutview.MaxEvents || !v.Events[0].Time.Equal(base.Add(time.Duration(rolloutview.MaxEvents+4)*time.Minute)) ||
		v.Events[0].Count != 1 {
		t.Errorf("%d events, the first %+v: want %d, the newest first", len(v.Events), v.Events[0], rolloutview.MaxEvents)
	}
}

// The View's JSON is `kubectl serin get rollout -o json`: the fields the README documents
// and test/e2e/plugin reads keep their names.
func TestPluginJSONFields(t *testing.T) {
	data, err := json.Marshal(rolloutview.New(viewtest.BlueGreenPaused().Owned()))
	if err != nil {
		t.Fatal(err)
	}
	var v map[string]any
	if err := json.Unmarshal(data, &v); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"name", "namespace", "status", "message", "strategy", "stableImages", "canaryImages", "replicas", "blueGreen", "revisions", "created"} {
		if _, ok := v[k]; !ok {
			t.Errorf("no %q in %s", k, data)
		}
	}
	bg := v["blueGreen"].(map[string]any)
	for _, k := range []string{"active", "preview", "pauses", "promotion"} {
		if _, ok := bg[k]; !ok {
			t.Errorf("no blueGreen.%q in %s", k, data)
		}
	}
	rev := v["revisions"].([]any)[0].(map[string]any)
	for _, k := range []string{"number", "hash", "roles", "replicaSet", "pods", "analysisRuns"} {
		if _, ok := rev[k]; !ok {
			t.Errorf("no revisions[0].%q in %s", k, data)
		}
	}
}

// A revision whose pods cannot start says why, one line per cause; a healthy one says
// nothing.
func TestRevisionProblems(t *testing.T) {
	v := rolloutview.New(viewtest.CanaryImagePullBackOff().Owned())
	want := []string{`PodImagePullError: 2 pods, e.g. pod web-bbb-c1: container web: ImagePullBackOff: Back-off pulling image "nginx:1.28"`}
	if got := v.Revisions[0].Problems; !slices.Equal(got, want) {
		t.Errorf("canary problems %q, want %q", got, want)
	}
	if got := v.Revisions[1].Problems; got != nil {
		t.Errorf("stable problems %q, want none", got)
	}
}
