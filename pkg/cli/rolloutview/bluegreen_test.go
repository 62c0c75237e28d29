package rolloutview

import (
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/serin-dev/serin/pkg/apis/rollouts/v1alpha1"
	"github.com/serin-dev/serin/pkg/plan"
)

// blueGreen is rollout web (2 replicas, manual promotion, previewReplicaCount 1, pre- and
// post-promotion analysis) on revision 1 (aaa) with revision 2 (bbb) of the given size.
func blueGreen(phase v1alpha1.RolloutPhase, newReplicas int32) (*v1alpha1.Rollout, *appsv1.ReplicaSet, *appsv1.ReplicaSet) {
	ro := rollout(phase, 0)
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
	return ro, replicaSet("aaa", "nginx:1.27", "1", 2, time.Hour), replicaSet("bbb", "nginx:1.28", "2", newReplicas, 3*time.Minute)
}

func analysisRun(ro *v1alpha1.Rollout, name, runType string, phase v1alpha1.AnalysisPhase, values ...string) *v1alpha1.AnalysisRun {
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

func pods(rs *appsv1.ReplicaSet, n int, created time.Duration) []*corev1.Pod {
	var out []*corev1.Pod
	for i := range n {
		out = append(out, pod(rs, string(rune('a'+i)), true, created))
	}
	return out
}

// blueGreenPaused: revision 2 on preview at 1 of 2 replicas, pre-promotion analysis
// passed, paused until promote; active on revision 1.
func blueGreenPaused() *Snapshot {
	ro, stable, preview := blueGreen(v1alpha1.RolloutPhasePaused, 1)
	ro.Status.Message = string(v1alpha1.PauseReasonBlueGreenPause)
	ro.Status.PauseConditions = []v1alpha1.PauseCondition{{Reason: v1alpha1.PauseReasonBlueGreenPause, StartTime: ago(2 * time.Minute)}}
	ro.Status.ControllerPause = true
	ro.Status.BlueGreen = v1alpha1.BlueGreenStatus{ActiveSelector: "aaa", PreviewSelector: "bbb",
		PrePromotionAnalysisRunStatus: &v1alpha1.RolloutAnalysisRunStatus{Name: "web-bbb-2-pre", Status: v1alpha1.AnalysisPhaseSuccessful}}
	pre := analysisRun(ro, "web-bbb-2-pre", plan.RunTypePrePromotion, v1alpha1.AnalysisPhaseSuccessful, "1")
	return &Snapshot{Rollout: ro, ReplicaSets: []*appsv1.ReplicaSet{stable, preview},
		Pods: append(pods(stable, 2, time.Hour), pods(preview, 1, 3*time.Minute)...), AnalysisRuns: []*v1alpha1.AnalysisRun{pre}}
}

// blueGreenSwitched: promoted, revision 2 at full size on active and preview,
// post-promotion analysis running; revision 1 still up and stable.
func blueGreenSwitched() *Snapshot {
	ro, stable, preview := blueGreen(v1alpha1.RolloutPhaseProgressing, 2)
	ro.Status.Message = "more replicas need to be updated"
	ro.Status.BlueGreen = v1alpha1.BlueGreenStatus{ActiveSelector: "bbb", PreviewSelector: "bbb", ScaleUpPreviewCheckPoint: true,
		PrePromotionAnalysisRunStatus:  &v1alpha1.RolloutAnalysisRunStatus{Name: "web-bbb-2-pre", Status: v1alpha1.AnalysisPhaseSuccessful},
		PostPromotionAnalysisRunStatus: &v1alpha1.RolloutAnalysisRunStatus{Name: "web-bbb-2-post", Status: v1alpha1.AnalysisPhaseRunning}}
	pre := analysisRun(ro, "web-bbb-2-pre", plan.RunTypePrePromotion, v1alpha1.AnalysisPhaseSuccessful, "1")
	post := analysisRun(ro, "web-bbb-2-post", plan.RunTypePostPromotion, v1alpha1.AnalysisPhaseRunning, "1", "1")
	return &Snapshot{Rollout: ro, ReplicaSets: []*appsv1.ReplicaSet{stable, preview},
		Pods: append(pods(stable, 2, time.Hour), pods(preview, 2, 3*time.Minute)...), AnalysisRuns: []*v1alpha1.AnalysisRun{post, pre}}
}

// blueGreenStable: revision 2 is stable, active and preview; revision 1 scaled down.
func blueGreenStable() *Snapshot {
	ro, old, current := blueGreen(v1alpha1.RolloutPhaseHealthy, 2)
	ro.Status.Message, ro.Status.StableRS = "", "bbb"
	ro.Status.Replicas, ro.Status.ReadyReplicas, ro.Status.AvailableReplicas = 2, 2, 2
	ro.Status.BlueGreen = v1alpha1.BlueGreenStatus{ActiveSelector: "bbb", PreviewSelector: "bbb"}
	zero := int32(0)
	old.Spec.Replicas, old.Status = &zero, appsv1.ReplicaSetStatus{}
	post := analysisRun(ro, "web-bbb-2-post", plan.RunTypePostPromotion, v1alpha1.AnalysisPhaseSuccessful, "1", "1", "1")
	return &Snapshot{Rollout: ro, ReplicaSets: []*appsv1.ReplicaSet{old, current},
		Pods: pods(current, 2, 3*time.Minute), AnalysisRuns: []*v1alpha1.AnalysisRun{post}}
}

// The blue-green view names the revision behind each Service and the roles of each
// revision, and says where the promotion stands.
func TestBlueGreenView(t *testing.T) {
	tests := map[string]struct {
		snap             *Snapshot
		active, preview  int64
		promotion        string
		roles1, roles2   string
		runTypes         []string
		stable, newImage string
	}{
		"paused": {blueGreenPaused(), 1, 2, "preview up (1 of 2 available), paused until promote",
			"stable,active", "preview", []string{"PrePromotion"}, "nginx:1.27", "nginx:1.28"},
		"switched": {blueGreenSwitched(), 2, 2, "switched: post-promotion analysis running",
			"stable", "active,preview", []string{"PostPromotion", "PrePromotion"}, "nginx:1.27", "nginx:1.28"},
		"stable": {blueGreenStable(), 2, 2, "stable", "", "stable,active,preview", []string{"PostPromotion"}, "nginx:1.28", ""},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			v := New(tc.snap.Owned())
			if v.Step != "" || v.SetWeight != nil || v.ActualWeight != nil {
				t.Errorf("step %q, set weight %v, actual weight %v: want none for blue-green", v.Step, v.SetWeight, v.ActualWeight)
			}
			bg := v.BlueGreen
			if bg == nil {
				t.Fatal("no blue-green view")
			}
			if bg.Active.Revision != tc.active || bg.Preview == nil || bg.Preview.Revision != tc.preview {
				t.Errorf("active %+v, preview %+v: want revisions %d and %d", bg.Active, bg.Preview, tc.active, tc.preview)
			}
			if bg.Promotion != tc.promotion {
				t.Errorf("promotion %q, want %q", bg.Promotion, tc.promotion)
			}
			roles := map[int64]string{}
			var runTypes []string
			for _, r := range v.Revisions {
				roles[r.Number] = strings.Join(r.Roles, ",")
				for _, ar := range r.AnalysisRuns {
					runTypes = append(runTypes, ar.Type)
				}
			}
			if roles[1] != tc.roles1 || roles[2] != tc.roles2 {
				t.Errorf("roles %q / %q, want %q / %q", roles[1], roles[2], tc.roles1, tc.roles2)
			}
			if strings.Join(runTypes, ",") != strings.Join(tc.runTypes, ",") {
				t.Errorf("analysis run types %v, want %v", runTypes, tc.runTypes)
			}
			if strings.Join(v.StableImages, ",") != tc.stable || strings.Join(v.CanaryImages, ",") != tc.newImage {
				t.Errorf("images stable %v new %v, want %q %q", v.StableImages, v.CanaryImages, tc.stable, tc.newImage)
			}
		})
	}
}

// The promotion state in words follows the status the plan writes at each stage.
func TestBlueGreenPromotion(t *testing.T) {
	tests := map[string]struct {
		change func(ro *v1alpha1.Rollout, newRS *appsv1.ReplicaSet)
		want   string
		roles2 string
	}{
		"coming up": {func(ro *v1alpha1.Rollout, newRS *appsv1.ReplicaSet) {
			ro.Status.PauseConditions, ro.Status.ControllerPause = nil, false
			ro.Status.BlueGreen = v1alpha1.BlueGreenStatus{ActiveSelector: "aaa", PreviewSelector: "aaa"}
			newRS.Status.AvailableReplicas = 0
		}, "new revision coming up (0 of 2 available)", "new"},
		"pre-promotion analysis": {func(ro *v1alpha1.Rollout, _ *appsv1.ReplicaSet) {
			ro.Status.PauseConditions, ro.Status.ControllerPause = nil, false
			ro.Status.BlueGreen.PrePromotionAnalysisRunStatus.Status = v1alpha1.AnalysisPhaseRunning
		}, "preview up (1 of 2 available), pre-promotion analysis running", "preview"},
		"paused until promote": {func(*v1alpha1.Rollout, *appsv1.ReplicaSet) {},
			"preview up (1 of 2 available), paused until promote", "preview"},
		"auto-promotion pause": {func(ro *v1alpha1.Rollout, _ *appsv1.ReplicaSet) {
			ro.Spec.Strategy.BlueGreen.AutoPromotionEnabled, ro.Spec.Strategy.BlueGreen.AutoPromotionSeconds = nil, 30
		}, "preview up (1 of 2 available), paused: promotes 30s after the pause began", "preview"},
		"spec.paused": {func(ro *v1alpha1.Rollout, _ *appsv1.ReplicaSet) {
			ro.Spec.Paused, ro.Status.PauseConditions, ro.Status.ControllerPause = true, nil, false
		}, "preview up (1 of 2 available), paused by spec.paused until resume", "preview"},
		"scaling to full": {func(ro *v1alpha1.Rollout, _ *appsv1.ReplicaSet) {
			ro.Status.PauseConditions, ro.Status.ControllerPause = nil, false
			ro.Status.BlueGreen.ScaleUpPreviewCheckPoint = true
		}, "promoting: new revision scaling to full (1 of 2 available), then active switches", "preview"},
		"switched without post-promotion analysis": {func(ro *v1alpha1.Rollout, _ *appsv1.ReplicaSet) {
			ro.Status.PauseConditions, ro.Status.ControllerPause = nil, false
			ro.Status.BlueGreen.ActiveSelector = "bbb"
		}, "switched: becoming stable", "active,preview"},
		"aborted": {func(ro *v1alpha1.Rollout, _ *appsv1.ReplicaSet) {
			ro.Status.PauseConditions, ro.Status.ControllerPause, ro.Status.Abort = nil, false, true
			ro.Status.BlueGreen.PreviewSelector = "aaa"
		}, "aborted: active back on the stable revision", "new"},
		"no preview Service": {func(ro *v1alpha1.Rollout, _ *appsv1.ReplicaSet) {
			ro.Spec.Strategy.BlueGreen.PreviewService, ro.Status.BlueGreen.PreviewSelector = "", ""
		}, "new revision up (1 of 2 available), paused until promote", "new"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			s := blueGreenPaused()
			tc.change(s.Rollout, s.ReplicaSets[1])
			v := New(s.Owned())
			if v.BlueGreen.Promotion != tc.want {
				t.Errorf("promotion %q, want %q", v.BlueGreen.Promotion, tc.want)
			}
			if got := strings.Join(v.Revisions[0].Roles, ","); got != tc.roles2 {
				t.Errorf("revision %d roles %q, want %q", v.Revisions[0].Number, got, tc.roles2)
			}
			if (v.BlueGreen.Preview == nil) != (s.Rollout.Spec.Strategy.BlueGreen.PreviewService == "") {
				t.Errorf("preview %+v with previewService %q", v.BlueGreen.Preview, s.Rollout.Spec.Strategy.BlueGreen.PreviewService)
			}
		})
	}
}
