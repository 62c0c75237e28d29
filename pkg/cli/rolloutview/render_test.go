package rolloutview

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/serin-dev/serin/pkg/apis/rollouts/v1alpha1"
	"github.com/serin-dev/serin/pkg/plan"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

var now = time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)

func i32(v int32) *int32 { return &v }

func ago(d time.Duration) metav1.Time { return metav1.NewTime(now.Add(-d)) }

func rollout(phase v1alpha1.RolloutPhase, step int32) *v1alpha1.Rollout {
	return &v1alpha1.Rollout{
		ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: "shop", UID: "ro", Generation: 2, CreationTimestamp: ago(2 * time.Hour)},
		Spec: v1alpha1.RolloutSpec{
			Replicas: i32(4),
			Strategy: v1alpha1.RolloutStrategy{Canary: &v1alpha1.CanaryStrategy{
				CanaryService: "web-canary", StableService: "web-stable",
				TrafficRouting: &v1alpha1.RolloutTrafficRouting{Nginx: &v1alpha1.NginxTrafficRouting{StableIngress: "web"}},
				Steps:          []v1alpha1.CanaryStep{{SetWeight: i32(20)}, {Pause: &v1alpha1.RolloutPause{}}, {SetWeight: i32(50)}},
			}},
		},
		Status: v1alpha1.RolloutStatus{
			Phase: phase, Message: "CanaryPauseStep", ObservedGeneration: 2, CurrentStepIndex: i32(step),
			StableRS: "aaa", CurrentPodHash: "bbb",
			Replicas: 5, UpdatedReplicas: 1, ReadyReplicas: 5, AvailableReplicas: 5,
			Canary: v1alpha1.CanaryStatus{Weights: &v1alpha1.TrafficWeights{
				Canary: v1alpha1.WeightDestination{Weight: 20}, Stable: v1alpha1.WeightDestination{Weight: 80},
			}},
		},
	}
}

func replicaSet(hash, image string, rev string, replicas int32, created time.Duration) *appsv1.ReplicaSet {
	ro := rollout("", 0)
	return &appsv1.ReplicaSet{
		ObjectMeta: metav1.ObjectMeta{
			Name: "web-" + hash, Namespace: "shop", UID: types.UID("rs-" + hash), CreationTimestamp: ago(created),
			Labels:          map[string]string{v1alpha1.DefaultRolloutUniqueLabelKey: hash},
			Annotations:     map[string]string{plan.AnnotationRevision: rev},
			OwnerReferences: []metav1.OwnerReference{*metav1.NewControllerRef(ro, v1alpha1.SchemeGroupVersion.WithKind("Rollout"))},
		},
		Spec: appsv1.ReplicaSetSpec{Replicas: &replicas, Template: corev1.PodTemplateSpec{Spec: corev1.PodSpec{
			Containers: []corev1.Container{{Name: "web", Image: image}},
		}}},
		Status: appsv1.ReplicaSetStatus{Replicas: replicas, ReadyReplicas: replicas, AvailableReplicas: replicas},
	}
}

func pod(rs *appsv1.ReplicaSet, suffix string, ready bool, created time.Duration) *corev1.Pod {
	cond := corev1.ConditionFalse
	if ready {
		cond = corev1.ConditionTrue
	}
	return &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{
			Name: rs.Name + "-" + suffix, Namespace: "shop", CreationTimestamp: ago(created),
			OwnerReferences: []metav1.OwnerReference{*metav1.NewControllerRef(rs, appsv1.SchemeGroupVersion.WithKind("ReplicaSet"))},
		},
		Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "web"}}},
		Status: corev1.PodStatus{
			Phase:             corev1.PodRunning,
			Conditions:        []corev1.PodCondition{{Type: corev1.PodReady, Status: cond}},
			ContainerStatuses: []corev1.ContainerStatus{{Name: "web", Ready: ready}},
		},
	}
}

func TestRenderGolden(t *testing.T) {
	stable := replicaSet("aaa", "nginx:1.27", "1", 4, time.Hour)
	canary := replicaSet("bbb", "nginx:1.28", "2", 1, 3*time.Minute)
	other := replicaSet("ccc", "nginx:1.26", "0", 0, 2*time.Hour)
	other.OwnerReferences = nil // not the rollout's: left out
	ar := &v1alpha1.AnalysisRun{
		ObjectMeta: metav1.ObjectMeta{
			Name: "web-bbb-2", Namespace: "shop", Labels: map[string]string{v1alpha1.DefaultRolloutUniqueLabelKey: "bbb"},
			OwnerReferences: []metav1.OwnerReference{*metav1.NewControllerRef(rollout("", 0), v1alpha1.SchemeGroupVersion.WithKind("Rollout"))},
		},
		Status: v1alpha1.AnalysisRunStatus{Phase: "Running", MetricResults: []v1alpha1.MetricResult{{
			Name: "error-rate", Phase: "Running", Successful: 2,
			Measurements: []v1alpha1.Measurement{{Phase: "Successful", Value: "0.01"}, {Phase: "Successful", Value: "0.02"}},
		}}},
	}
	paused := &Snapshot{
		Rollout:      rollout(v1alpha1.RolloutPhasePaused, 1),
		ReplicaSets:  []*appsv1.ReplicaSet{stable, canary, other},
		Pods:         []*corev1.Pod{pod(stable, "s1", true, time.Hour), pod(stable, "s2", true, time.Hour), pod(stable, "s3", true, time.Hour), pod(stable, "s4", true, time.Hour), pod(canary, "c1", true, 3*time.Minute)},
		AnalysisRuns: []*v1alpha1.AnalysisRun{ar},
	}
	unobserved := &Snapshot{Rollout: rollout(v1alpha1.RolloutPhaseHealthy, 0)}
	unobserved.Rollout.Generation = 3
	tests := map[string]struct {
		snap  *Snapshot
		style Style
	}{
		"paused":             {paused, Style{}},
		"paused-color":       {paused, Style{Color: true}},
		"unobserved":         {unobserved, Style{}},
		"bluegreen-paused":   {blueGreenPaused(), Style{}},
		"bluegreen-switched": {blueGreenSwitched(), Style{}},
		"bluegreen-stable":   {blueGreenStable(), Style{}},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := Render(&buf, New(tc.snap.Owned()), now, tc.style); err != nil {
				t.Fatal(err)
			}
			golden := filepath.Join("testdata", name+".golden")
			if *update {
				if err := os.WriteFile(golden, buf.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test -update to create it)", err)
			}
			if buf.String() != string(want) {
				t.Errorf("output differs from %s (go test -update rewrites it):\n--- got\n%s--- want\n%s", golden, buf.String(), want)
			}
		})
	}
}
