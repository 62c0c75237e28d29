package dashboard

import (
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	"github.com/serin-dev/serin/pkg/apis/rollouts/v1alpha1"
	"github.com/serin-dev/serin/pkg/plan"
	"github.com/serin-dev/serin/pkg/rolloutview"
)

// blueGreen makes the fixture a blue-green rollout: manual promotion, a preview of one
// pod, pre- and post-promotion analysis; stable h1 (revision 1) and h2 (revision 2) new.
func blueGreen(ro *v1alpha1.Rollout) {
	ro.Spec.Strategy = v1alpha1.RolloutStrategy{BlueGreen: &v1alpha1.BlueGreenStrategy{
		ActiveService: "web-active", PreviewService: "web-preview",
		AutoPromotionEnabled: ptr.To(false), PreviewReplicaCount: ptr.To[int32](1),
		PrePromotionAnalysis:  &v1alpha1.RolloutAnalysis{Templates: []v1alpha1.AnalysisTemplateRef{{TemplateName: "smoke"}}},
		PostPromotionAnalysis: &v1alpha1.RolloutAnalysis{Templates: []v1alpha1.AnalysisTemplateRef{{TemplateName: "errors"}}},
	}}
	ro.Status.CurrentPodHash = "h2"
	ro.Status.Phase = v1alpha1.RolloutPhaseProgressing
	ro.Status.BlueGreen.ActiveSelector = "h1"
	ro.Status.BlueGreen.PreviewSelector = "h1"
}

func bgStatus(f func(s *v1alpha1.RolloutStatus)) roOpt {
	return func(ro *v1alpha1.Rollout) { f(&ro.Status) }
}

var (
	previewUp = bgStatus(func(s *v1alpha1.RolloutStatus) { s.BlueGreen.PreviewSelector = "h2" })
	prePassed = bgStatus(func(s *v1alpha1.RolloutStatus) {
		s.BlueGreen.PrePromotionAnalysisRunStatus = &v1alpha1.RolloutAnalysisRunStatus{Name: "web-h2-pre", Status: v1alpha1.AnalysisPhaseSuccessful}
	})
	bgPaused = bgStatus(func(s *v1alpha1.RolloutStatus) {
		s.Phase = v1alpha1.RolloutPhasePaused
		s.PauseConditions = []v1alpha1.PauseCondition{{Reason: v1alpha1.PauseReasonBlueGreenPause}}
	})
	promoted  = bgStatus(func(s *v1alpha1.RolloutStatus) { s.PauseConditions = nil; s.BlueGreen.ScaleUpPreviewCheckPoint = true })
	switched  = bgStatus(func(s *v1alpha1.RolloutStatus) { s.BlueGreen.ActiveSelector = "h2" })
	newStable = bgStatus(func(s *v1alpha1.RolloutStatus) { s.StableRS = "h2"; s.Phase = v1alpha1.RolloutPhaseHealthy })
)

func TestBlueGreenView(t *testing.T) {
	rss := []*appsv1.ReplicaSet{rs("web-h1", "h1", "1", "web:1", 2, 2), rs("web-h2", "h2", "2", "web:2", 1, 1)}
	// Stages: preview, prePromotionAnalysis, paused, scaleUp, switched, postPromotionAnalysis, stable.
	tests := map[string]struct {
		ro                        *v1alpha1.Rollout
		wantStates, wantStage     string
		wantActive, wantPreview   string // revisions
		wantServices1, wantServs2 string // the services badges of revisions 1 and 2
	}{
		"preview coming up": {testRollout(blueGreen),
			"c......", rolloutview.StagePreview, "1", "1", "active,preview", ""},
		"pre-promotion analysis running": {testRollout(blueGreen, previewUp),
			"dc.....", rolloutview.StagePreAnalysis, "1", "2", "active", "preview"},
		"paused until promoted": {testRollout(blueGreen, previewUp, prePassed, bgPaused),
			"ddc....", rolloutview.StagePaused, "1", "2", "active", "preview"},
		"promoted, scaling to full": {testRollout(blueGreen, previewUp, prePassed, promoted),
			"dddc...", rolloutview.StageScaleUp, "1", "2", "active", "preview"},
		"switched, post-promotion analysis": {testRollout(blueGreen, previewUp, prePassed, promoted, switched),
			"ddddDc.", rolloutview.StagePostAnalysis, "2", "2", "", "active,preview"},
		"stable": {testRollout(blueGreen, previewUp, prePassed, promoted, switched, newStable),
			"ddddddd", rolloutview.StageStable, "2", "2", "", "active,preview"},
		"aborted": {testRollout(blueGreen, previewUp, aborted),
			"d......", rolloutview.StageAborted, "1", "2", "active", "preview"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			v := BuildView(&rolloutview.Snapshot{Rollout: tc.ro, ReplicaSets: rss})
			bg := v.BlueGreen
			if bg == nil {
				t.Fatal("no blueGreen view")
			}
			var states strings.Builder
			for _, s := range bg.Stages {
				states.WriteByte(map[string]byte{"done": 'd', "current": 'c', "pending": '.'}[s.State])
			}
			want := strings.ReplaceAll(tc.wantStates, "D", "d")
			if states.String() != want || bg.Stage != tc.wantStage {
				t.Errorf("stages %s at %q, want %s at %q", states.String(), bg.Stage, want, tc.wantStage)
			}
			if bg.ActiveRevision != tc.wantActive || bg.PreviewRevision != tc.wantPreview {
				t.Errorf("active on %q, preview on %q; want %q and %q", bg.ActiveRevision, bg.PreviewRevision, tc.wantActive, tc.wantPreview)
			}
			byRev := map[string]string{}
			for _, r := range v.Revisions {
				byRev[r.Revision] = strings.Join(r.Services, ",")
			}
			if byRev["1"] != tc.wantServices1 || byRev["2"] != tc.wantServs2 {
				t.Errorf("service badges: revision 1 %q, revision 2 %q; want %q and %q", byRev["1"], byRev["2"], tc.wantServices1, tc.wantServs2)
			}
			if len(v.Steps) != 0 || v.SetWeight != nil || v.ActualWeight != nil || len(v.HeaderRoutes) != 0 {
				t.Errorf("canary steps or weights on a blue-green view: %+v, set %v, actual %v", v.Steps, v.SetWeight, v.ActualWeight)
			}
		})
	}
}

func TestBlueGreenStagesThatApply(t *testing.T) {
	auto := func(ro *v1alpha1.Rollout) {
		bg := ro.Spec.Strategy.BlueGreen
		bg.AutoPromotionEnabled, bg.PreviewReplicaCount, bg.PrePromotionAnalysis, bg.PostPromotionAnalysis = nil, nil, nil, nil
	}
	timed := func(ro *v1alpha1.Rollout) { ro.Spec.Strategy.BlueGreen.AutoPromotionSeconds = 30 }
	tests := map[string]struct {
		ro   *v1alpha1.Rollout
		want string
	}{
		"every option": {testRollout(blueGreen),
			"new revision up on preview web-preview|pre-promotion analysis|paused until promoted|scaled to all replicas|active web-active switched|post-promotion analysis|stable"},
		"auto-promotion, nothing else": {testRollout(blueGreen, auto),
			"new revision up on preview web-preview|active web-active switched|stable"},
		"autoPromotionSeconds": {testRollout(blueGreen, auto, timed),
			"new revision up on preview web-preview|paused 30s before promotion|active web-active switched|stable"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			var texts []string
			for _, s := range BuildView(&rolloutview.Snapshot{Rollout: tc.ro}).BlueGreen.Stages {
				texts = append(texts, s.Text)
			}
			if got := strings.Join(texts, "|"); got != tc.want {
				t.Errorf("stages\n got %s\nwant %s", got, tc.want)
			}
		})
	}
	if v := BuildView(&rolloutview.Snapshot{Rollout: testRollout()}); v.BlueGreen != nil {
		t.Errorf("a canary rollout has a blueGreen view: %+v", v.BlueGreen)
	}
}

func TestBlueGreenAnalysisRuns(t *testing.T) {
	run := func(name, typ string) *v1alpha1.AnalysisRun {
		return &v1alpha1.AnalysisRun{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "shop",
			Labels: map[string]string{plan.LabelRunType: typ}}}
	}
	ro := testRollout(blueGreen, previewUp, switched, bgStatus(func(s *v1alpha1.RolloutStatus) {
		s.BlueGreen.PrePromotionAnalysisRunStatus = &v1alpha1.RolloutAnalysisRunStatus{Name: "web-h2-pre", Status: v1alpha1.AnalysisPhaseSuccessful}
		s.BlueGreen.PostPromotionAnalysisRunStatus = &v1alpha1.RolloutAnalysisRunStatus{Name: "web-h2-post", Status: v1alpha1.AnalysisPhaseFailed, Message: "error-rate failed"}
	}))
	v := BuildView(&rolloutview.Snapshot{Rollout: ro, AnalysisRuns: []*v1alpha1.AnalysisRun{
		run("web-h2-pre", plan.RunTypePrePromotion), run("web-h2-post", plan.RunTypePostPromotion)}})
	types := map[string]string{}
	for _, a := range v.AnalysisRuns {
		types[a.Name] = a.Type
	}
	if types["web-h2-pre"] != "PrePromotion" || types["web-h2-post"] != "PostPromotion" {
		t.Errorf("run types %v", types)
	}
	bg := v.BlueGreen
	if bg.PrePromotion == nil || bg.PrePromotion.Phase != "Successful" || bg.PostPromotion == nil ||
		bg.PostPromotion.Name != "web-h2-post" || bg.PostPromotion.Message != "error-rate failed" {
		t.Errorf("run references pre %+v post %+v", bg.PrePromotion, bg.PostPromotion)
	}
}
