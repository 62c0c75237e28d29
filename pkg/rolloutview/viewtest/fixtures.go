// Package viewtest builds the snapshots the tests of the view model and of its
// renderers share: a canary rollout "web" paused at a step and a blue-green rollout at
// each stage of its promotion, with their ReplicaSets, pods and AnalysisRuns.
package viewtest

import (
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/serin-dev/serin/pkg/apis/rollouts/v1alpha1"
	"github.com/serin-dev/serin/pkg/plan"
	"github.com/serin-dev/serin/pkg/rolloutview"
)

// Now is the fixtures' present: ages are relative to it.
var Now = time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)

func i32(v int32) *int32 { return &v }

// Ago is Now minus d.
func Ago(d time.Duration) metav1.Time { return metav1.NewTime(Now.Add(-d)) }

// Rollout is canary rollout web (4 replicas, nginx, steps setWeight 20, pause, setWeight
// 50) at the given phase and step, stable aaa, canary bbb, 20% routed.
func Rollout(phase v1alpha1.RolloutPhase, step int32) *v1alpha1.Rollout {
	return &v1alpha1.Rollout{
		ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: "shop", UID: "ro", Generation: 2, CreationTimestamp: Ago(2 * time.Hour)},
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

// ReplicaSet is rollout web's ReplicaSet of the given hash, image, revision and size, all
// of it ready, created the given time ago.
func ReplicaSet(hash, image string, rev string, replicas int32, created time.Duration) *appsv1.ReplicaSet {
	ro := Rollout("", 0)
	return &appsv1.ReplicaSet{
		ObjectMeta: metav1.ObjectMeta{
			Name: "web-" + hash, Namespace: "shop", UID: types.UID("rs-" + hash), CreationTimestamp: Ago(created),
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

// Pod is a running pod of rs, ready or not, created the given time ago.
func Pod(rs *appsv1.ReplicaSet, suffix string, ready bool, created time.Duration) *corev1.Pod {
	cond := corev1.ConditionFalse
	if ready {
		cond = corev1.ConditionTrue
	}
	return &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{
			Name: rs.Name + "-" + suffix, Namespace: "shop", CreationTimestamp: Ago(created),
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

// Pods are n ready pods of rs.
func Pods(rs *appsv1.ReplicaSet, n int, created time.Duration) []*corev1.Pod {
	var out []*corev1.Pod
	for i := range n {
		out = append(out, Pod(rs, string(rune('a'+i)), true, created))
	}
	return out
}

// CanaryPaused is rollout web paused at step 2/3: stable aaa with 4 pods, canary bbb with
// one and a running AnalysisRun; ccc is a ReplicaSet of someone else.
func CanaryPaused() *rolloutview.Snapshot {
	stable := ReplicaSet("aaa", "nginx:1.27", "1", 4, time.Hour)
	canary := ReplicaSet("bbb", "nginx:1.28", "2", 1, 3*time.Minute)
	other := ReplicaSet("ccc", "nginx:1.26", "0", 0, 2*time.Hour)
	other.OwnerReferences = nil // not the rollout's: left out
	ar := &v1alpha1.AnalysisRun{
		ObjectMeta: metav1.ObjectMeta{
			Name: "web-bbb-2", Namespace: "shop", Labels: map[string]string{v1alpha1.DefaultRolloutUniqueLabelKey: "bbb"},
			OwnerReferences: []metav1.OwnerReference{*metav1.NewControllerRef(Rollout("", 0), v1alpha1.SchemeGroupVersion.WithKind("Rollout"))},
		},
		Status: v1alpha1.AnalysisRunStatus{Phase: "Running", MetricResults: []v1alpha1.MetricResult{{
			Name: "error-rate", Phase: "Running", Successful: 2,
			Measurements: []v1alpha1.Measurement{{Phase: "Successful", Value: "0.01"}, {Phase: "Successful", Value: "0.02"}},
		}}},
	}
	return &rolloutview.Snapshot{
		Rollout:     Rollout(v1alpha1.RolloutPhasePaused, 1),
		ReplicaSets: []*appsv1.ReplicaSet{stable, canary, other},
		Pods: []*corev1.Pod{Pod(stable, "s1", true, time.Hour), Pod(stable, "s2", true, time.Hour), Pod(stable, "s3", true, time.Hour),
			Pod(stable, "s4", true, time.Hour), Pod(canary, "c1", true, 3*time.Minute)},
		AnalysisRuns: []*v1alpha1.AnalysisRun{ar},
	}
}

// CanaryImagePullBackOff is CanaryPaused's rollout at step 1/3 with a canary of two pods
// that cannot pull their image, as the kubelet reports it.
func CanaryImagePullBackOff() *rolloutview.Snapshot {
	s := CanaryPaused()
	s.Rollout.Status.Phase, s.Rollout.Status.Message = v1alpha1.RolloutPhaseProgressing, "step 1/3: setWeight 20"
	canary := s.ReplicaSets[1]
	canary.Spec.Replicas, canary.Status = i32(2), appsv1.ReplicaSetStatus{Replicas: 2}
	s.Pods = s.Pods[:4]
	for _, suffix := range []string{"c1", "c2"} {
		pod := Pod(canary, suffix, false, time.Minute)
		pod.Status.Phase = corev1.PodPending
		pod.Status.ContainerStatuses[0].State.Waiting = &corev1.ContainerStateWaiting{
			Reason: "ImagePullBackOff", Message: `Back-off pulling image "nginx:1.28"`}
		s.Pods = append(s.Pods, pod)
	}
	s.AnalysisRuns = nil
	return s
}

// BlueGreen is rollout web (2 replicas, manual promotion, previewReplicaCount 1, pre- and
// post-promotion analysis) on revision 1 (aaa) with revision 2 (bbb) of the given size.
func BlueGreen(phase v1alpha1.RolloutPhase, newReplicas int32) (*v1alpha1.Rollout, *appsv1.ReplicaSet, *appsv1.ReplicaSet) {
	ro := Rollout(phase, 0)
	ro.Spec.Replicas = i32(2)
	manual := false
	analysis := &v1alpha1.RolloutAnalysis{Templates: []v1alpha1.AnalysisTemplateRef{{TemplateName: "smoke"}}}
	ro.Spec.Strategy = v1alpha1.RolloutStrategy{BlueGreen: &v1alpha1.BlueGreenStrategy{
		ActiveService: "web", PreviewService: "web-preview", AutoPromotionEnabled: &manual, PreviewReplicaCount: i32(1),
		PrePromotionAnalysis: analysis, PostPromotionAnalysis: analysis,
	}}
	ro.Status.CurrentStepIndex, ro.Status.Canary.Weights = nil, nil
	ro.Status.Replicas, ro.Status.UpdatedReplicas = 2+newReplicas, newReplicas
	ro.Status.ReadyReplicas, ro.Status.AvailableReplicas = 2+newReplicas, 2+newReplicas
	return ro, ReplicaSet("aaa", "nginx:1.27", "1", 2, time.Hour), ReplicaSet("bbb", "nginx:1.28", "2", newReplicas, 3*time.Minute)
}

// AnalysisRun is a run of revision bbb of the given type and phase whose metric smoke
// measured values, each successful.
func AnalysisRun(ro *v1alpha1.Rollout, name, runType string, phase v1alpha1.AnalysisPhase, values ...string) *v1alpha1.AnalysisRun {
	ar := &v1alpha1.AnalysisRun{
		ObjectMeta: metav1.ObjectMeta{
			Name: name, Namespace: "shop",
			Labels:          map[string]string{v1alpha1.DefaultRolloutUniqueLabelKey: "bbb", plan.LabelRunType: runType},
			OwnerReferences: []metav1.OwnerReference{*metav1.NewControllerRef(ro, v1alpha1.SchemeGroupVersion.WithKind("Rollout"))},
		},
		Status: v1alpha1.AnalysisRunStatus{Phase: phase},
	}
	m := v1alpha1.MetricResult{Name: "smoke", Phase: phase}
	for _, v := range values {
		m.Successful++
		m.Measurements = append(m.Measurements, v1alpha1.Measurement{Phase: v1alpha1.AnalysisPhaseSuccessful, Value: v})
	}
	ar.Status.MetricResults = []v1alpha1.MetricResult{m}
	return ar
}

// BlueGreenPaused: revision 2 on preview at 1 of 2 replicas, pre-promotion analysis
// passed, paused until promote; active on revision 1.
func BlueGreenPaused() *rolloutview.Snapshot {
	ro, stable, preview := BlueGreen(v1alpha1.RolloutPhasePaused, 1)
	ro.Status.Message = string(v1alpha1.PauseReasonBlueGreenPause)
	ro.Status.PauseConditions = []v1alpha1.PauseCondition{{Reason: v1alpha1.PauseReasonBlueGreenPause, StartTime: Ago(2 * time.Minute)}}
	ro.Status.ControllerPause = true
	ro.Status.BlueGreen = v1alpha1.BlueGreenStatus{ActiveSelector: "aaa", PreviewSelector: "bbb",
		PrePromotionAnalysisRunStatus: &v1alpha1.RolloutAnalysisRunStatus{Name: "web-bbb-2-pre", Status: v1alpha1.AnalysisPhaseSuccessful}}
	pre := AnalysisRun(ro, "web-bbb-2-pre", plan.RunTypePrePromotion, v1alpha1.AnalysisPhaseSuccessful, "1")
	return &rolloutview.Snapshot{Rollout: ro, ReplicaSets: []*appsv1.ReplicaSet{stable, preview},
		Pods: append(Pods(stable, 2, time.Hour), Pods(preview, 1, 3*time.Minute)...), AnalysisRuns: []*v1alpha1.AnalysisRun{pre}}
}

// BlueGreenSwitched: promoted, revision 2 at full size on active and preview,
// post-promotion analysis running; revision 1 still up and stable.
func BlueGreenSwitched() *rolloutview.Snapshot {
	ro, stable, preview := BlueGreen(v1alpha1.RolloutPhaseProgressing, 2)
	ro.Status.Message = "more replicas need to be updated"
	ro.Status.BlueGreen = v1alpha1.BlueGreenStatus{ActiveSelector: "bbb", PreviewSelector: "bbb", ScaleUpPreviewCheckPoint: true,
		PrePromotionAnalysisRunStatus:  &v1alpha1.RolloutAnalysisRunStatus{Name: "web-bbb-2-pre", Status: v1alpha1.AnalysisPhaseSuccessful},
		PostPromotionAnalysisRunStatus: &v1alpha1.RolloutAnalysisRunStatus{Name: "web-bbb-2-post", Status: v1alpha1.AnalysisPhaseRunning}}
	pre := AnalysisRun(ro, "web-bbb-2-pre", plan.RunTypePrePromotion, v1alpha1.AnalysisPhaseSuccessful, "1")
	post := AnalysisRun(ro, "web-bbb-2-post", plan.RunTypePostPromotion, v1alpha1.AnalysisPhaseRunning, "1", "1")
	return &rolloutview.Snapshot{Rollout: ro, ReplicaSets: []*appsv1.ReplicaSet{stable, preview},
		Pods: append(Pods(stable, 2, time.Hour), Pods(preview, 2, 3*time.Minute)...), AnalysisRuns: []*v1alpha1.AnalysisRun{post, pre}}
}

// BlueGreenStable: revision 2 is stable, active and preview; revision 1 scaled down.
func BlueGreenStable() *rolloutview.Snapshot {
	ro, old, current := BlueGreen(v1alpha1.RolloutPhaseHealthy, 2)
	ro.Status.Message, ro.Status.StableRS = "", "bbb"
	ro.Status.Replicas, ro.Status.ReadyReplicas, ro.Status.AvailableReplicas = 2, 2, 2
	ro.Status.BlueGreen = v1alpha1.BlueGreenStatus{ActiveSelector: "bbb", PreviewSelector: "bbb"}
	zero := int32(0)
	old.Spec.Replicas, old.Status = &zero, appsv1.ReplicaSetStatus{}
	post := AnalysisRun(ro, "web-bbb-2-post", plan.RunTypePostPromotion, v1alpha1.AnalysisPhaseSuccessful, "1", "1", "1")
	return &rolloutview.Snapshot{Rollout: ro, ReplicaSets: []*appsv1.ReplicaSet{old, current},
		Pods: Pods(current, 2, 3*time.Minute), AnalysisRuns: []*v1alpha1.AnalysisRun{post}}
}

// CanaryPromotedScalingDown: revision 2 (bbb) promoted, stable and fully available, the
// rollout Healthy; revision 1 (aaa) still runs its 4 pods, waiting out
// scaleDownDelaySeconds until 25s after Now. The snapshot was read at Now.
func CanaryPromotedScalingDown() *rolloutview.Snapshot {
	ro := Rollout(v1alpha1.RolloutPhaseHealthy, 3)
	ro.Status.Message, ro.Status.StableRS = "", "bbb"
	ro.Status.Replicas, ro.Status.UpdatedReplicas, ro.Status.ReadyReplicas, ro.Status.AvailableReplicas = 8, 4, 8, 8
	ro.Status.Canary.Weights = &v1alpha1.TrafficWeights{Stable: v1alpha1.WeightDestination{Weight: 100}}
	old := ReplicaSet("aaa", "nginx:1.27", "1", 4, time.Hour)
	old.Annotations[plan.AnnotationScaleDownDeadline] = Now.Add(25 * time.Second).Format(time.RFC3339)
	current := ReplicaSet("bbb", "nginx:1.28", "2", 4, 3*time.Minute)
	return &rolloutview.Snapshot{Rollout: ro, ReplicaSets: []*appsv1.ReplicaSet{old, current},
		Pods: append(Pods(old, 4, time.Hour), Pods(current, 4, 3*time.Minute)...), Now: Now}
}

// BlueGreenPromotedScalingDown: revision 2 stable, active and preview, the rollout
// Healthy; revision 1 still runs its 2 pods until 25s after Now (scaleDownDelaySeconds).
func BlueGreenPromotedScalingDown() *rolloutview.Snapshot {
	s := BlueGreenStable()
	old := s.ReplicaSets[0]
	old.Spec.Replicas = i32(2)
	old.Status = appsv1.ReplicaSetStatus{Replicas: 2, ReadyReplicas: 2, AvailableReplicas: 2}
	old.Annotations[plan.AnnotationScaleDownDeadline] = Now.Add(25 * time.Second).Format(time.RFC3339)
	st := &s.Rollout.Status
	st.Replicas, st.ReadyReplicas, st.AvailableReplicas = 4, 4, 4
	s.Pods = append(s.Pods, Pods(old, 2, time.Hour)...)
	s.Now = Now
	return s
}
