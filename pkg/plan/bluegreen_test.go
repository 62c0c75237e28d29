package plan

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"k8s.io/utils/ptr"

	"github.com/serin-dev/serin/pkg/apis/rollouts/v1alpha1"
)

func manual(bg *v1alpha1.BlueGreenStrategy) { bg.AutoPromotionEnabled = ptr.To(false) }

func expectSelects(t *testing.T, s *sim, active, preview string) {
	t.Helper()
	expect(t, "active selects", s.selects("web-active"), active)
	expect(t, "preview selects", s.selects("web-preview"), preview)
	expect(t, "status.blueGreen.activeSelector", s.ro.Status.BlueGreen.ActiveSelector, hashOf(s.rsOfImage(active)))
}

// Scenario 6: previewReplicaCount 1 with 2 replicas and manual promotion: paused with the
// preview at 1 pod and active on the old revision; after promote the new revision scales
// to full before active switches; Healthy with 2 new pods.
func TestBlueGreenPreviewReplicaCountManualPromotion(t *testing.T) {
	s := newSim(t, rollout("web", withReplicas(2), blueGreen(manual, func(bg *v1alpha1.BlueGreenStrategy) { bg.PreviewReplicaCount = ptr.To[int32](1) })))
	s.settle()
	expect(t, "phase", s.ro.Status.Phase, v1alpha1.RolloutPhaseHealthy)
	expectSelects(t, s, "v1", "v1")
	if s.ro.Status.CurrentStepIndex != nil {
		t.Errorf("a blue-green rollout has no steps: currentStepIndex %d", *s.ro.Status.CurrentStepIndex)
	}

	s.setImage("v2")
	s.settle()
	expectPods(t, s, []string{"v1", "v2"}, 2, 1)
	expectSelects(t, s, "v1", "v2")
	expect(t, "phase", s.ro.Status.Phase, v1alpha1.RolloutPhasePaused)
	expect(t, "pause reason", s.ro.Status.Message, string(v1alpha1.PauseReasonBlueGreenPause))

	s.ro.Status.PauseConditions = nil // promote
	p := s.sync()
	if slices.ContainsFunc(p.Actions, func(a Action) bool { return a.SetSelector != nil && a.SetSelector.Service == "web-active" }) {
		t.Fatalf("active switched before the new revision scaled to full: %v", p.Actions)
	}
	expect(t, "new revision scaling to full", replicasOf(s.rsOfImage("v2")), 2)
	s.settle()
	expectSelects(t, s, "v2", "v2")
	s.advance(time.Minute) // scaleDownDelaySeconds
	s.settle()
	expectPods(t, s, []string{"v1", "v2"}, 0, 2)
	expect(t, "phase", s.ro.Status.Phase, v1alpha1.RolloutPhaseHealthy)
	if !slices.Contains(s.events, ReasonSwitchedActive) {
		t.Errorf("events %v, want %s", s.events, ReasonSwitchedActive)
	}
}

// autoPromotionEnabled (the default) switches as soon as the new revision is fully
// available; autoPromotionSeconds waits that long first.
func TestBlueGreenAutoPromotion(t *testing.T) {
	s := newSim(t, rollout("web", withReplicas(2), blueGreen()))
	s.settle()
	s.setImage("v2")
	s.settle()
	expectSelects(t, s, "v2", "v2")
	expect(t, "stable", s.ro.Status.StableRS, hashOf(s.rsOfImage("v2")))

	s = newSim(t, rollout("web", withReplicas(2), blueGreen(func(bg *v1alpha1.BlueGreenStrategy) { bg.AutoPromotionSeconds = 30 })))
	s.settle()
	s.setImage("v2")
	p := s.settle()
	expectSelects(t, s, "v1", "v2")
	expect(t, "phase", s.ro.Status.Phase, v1alpha1.RolloutPhasePaused)
	expect(t, "requeue for the promotion", p.RequeueAfter, 30*time.Second)
	s.advance(29 * time.Second)
	s.settle()
	expectSelects(t, s, "v1", "v2")
	s.advance(time.Second)
	s.settle()
	expectSelects(t, s, "v2", "v2")
}

// Scenario 8 (pre): a failed pre-promotion analysis aborts; active never leaves revision
// 1 and the preview returns to it; the new ReplicaSet goes down after the abort delay.
func TestBlueGreenPrePromotionAnalysisFails(t *testing.T) {
	s := newSim(t, rollout("web", withReplicas(2), blueGreen(func(bg *v1alpha1.BlueGreenStrategy) {
		bg.PrePromotionAnalysis = analysisOf("rate")
	}))).withTemplate("rate")
	s.settle()
	s.setImage("v2")
	s.settle()
	if len(s.runs) != 1 || s.runs[0].Labels[LabelRunType] != RunTypePrePromotion {
		t.Fatalf("runs %v, want one PrePromotion run", s.runNames())
	}
	expectSelects(t, s, "v1", "v2")
	s.finish(RunTypePrePromotion, v1alpha1.AnalysisPhaseFailed, "too many errors")
	s.settle()
	expect(t, "phase", s.ro.Status.Phase, v1alpha1.RolloutPhaseDegraded)
	expectSelects(t, s, "v1", "v1")
	s.advance(time.Minute)
	s.settle()
	expectPods(t, s, []string{"v1", "v2"}, 2, 0)
}

// A successful pre-promotion analysis lets the promotion through; a failed post-promotion
// analysis switches active back to revision 1, which stayed up.
func TestBlueGreenPostPromotionAnalysisFailsSwitchesBack(t *testing.T) {
	s := newSim(t, rollout("web", withReplicas(2), blueGreen(func(bg *v1alpha1.BlueGreenStrategy) {
		bg.PrePromotionAnalysis = analysisOf("rate")
		bg.PostPromotionAnalysis = analysisOf("rate")
	}))).withTemplate("rate")
	s.settle()
	s.setImage("v2")
	s.settle()
	s.finish(RunTypePrePromotion, v1alpha1.AnalysisPhaseSuccessful, "")
	s.settle()
	expectSelects(t, s, "v2", "v2")
	expect(t, "stable stays until post-promotion passes", s.ro.Status.StableRS, hashOf(s.rsOfImage("v1")))
	expectPods(t, s, []string{"v1", "v2"}, 2, 2)
	s.finish(RunTypePostPromotion, v1alpha1.AnalysisPhaseFailed, "latency too high")
	s.settle()
	expect(t, "phase", s.ro.Status.Phase, v1alpha1.RolloutPhaseDegraded)
	expectSelects(t, s, "v1", "v1")
}

// Abort while paused before promotion, then retry and promote.
func TestBlueGreenAbortRetryPromote(t *testing.T) {
	s := newSim(t, rollout("web", withReplicas(2), blueGreen(manual)))
	s.settle()
	s.setImage("v2")
	s.settle()
	s.ro.Status.Abort = true
	s.settle()
	expect(t, "phase", s.ro.Status.Phase, v1alpha1.RolloutPhaseDegraded)
	expectSelects(t, s, "v1", "v1")
	s.ro.Status.Abort = false
	s.settle()
	expect(t, "phase after retry", s.ro.Status.Phase, v1alpha1.RolloutPhasePaused)
	expectSelects(t, s, "v1", "v2")
	s.ro.Status.PromoteFull = true
	s.settle()
	expectSelects(t, s, "v2", "v2")
}

// Scenario 7: old ReplicaSets wait out scaleDownDelaySeconds; with
// scaleDownDelayRevisionLimit 1 only the newest of them stays up.
func TestBlueGreenScaleDownDelayAndRevisionLimit(t *testing.T) {
	s := newSim(t, rollout("web", withReplicas(2), blueGreen(func(bg *v1alpha1.BlueGreenStrategy) {
		bg.ScaleDownDelaySeconds = ptr.To[int32](600)
	})))
	s.settle()
	s.setImage("v2")
	s.settle()
	s.setImage("v3")
	s.settle()
	expectPods(t, s, []string{"v1", "v2", "v3"}, 2, 2, 2)
	s.ro.Spec.Strategy.BlueGreen.ScaleDownDelayRevisionLimit = ptr.To[int32](1)
	s.settle()
	expectPods(t, s, []string{"v1", "v2", "v3"}, 0, 2, 2)
	s.advance(11 * time.Minute)
	s.settle()
	expectPods(t, s, []string{"v1", "v2", "v3"}, 0, 0, 2)
	expect(t, "phase", s.ro.Status.Phase, v1alpha1.RolloutPhaseHealthy)
}

// TestBlueGreenRandomSequences drives blue-green rollouts through random sequences of
// events, checking after every write that the active Service only moves to a fully
// available ReplicaSet, and that each sequence still ends Healthy on the last template.
func TestBlueGreenRandomSequences(t *testing.T) {
	for seed := uint64(1); seed <= 150; seed++ {
		t.Run(fmt.Sprint(seed), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(seed, 7))
			opts := []func(*v1alpha1.BlueGreenStrategy){}
			if rng.IntN(2) == 0 {
				opts = append(opts, manual)
			}
			if rng.IntN(2) == 0 {
				opts = append(opts, func(bg *v1alpha1.BlueGreenStrategy) { bg.PreviewReplicaCount = ptr.To(int32(1 + rng.IntN(2))) })
			}
			if rng.IntN(3) == 0 {
				opts = append(opts, func(bg *v1alpha1.BlueGreenStrategy) { bg.PrePromotionAnalysis = analysisOf("rate") })
			}
			if rng.IntN(3) == 0 {
				opts = append(opts, func(bg *v1alpha1.BlueGreenStrategy) { bg.PostPromotionAnalysis = analysisOf("rate") })
			}
			if rng.IntN(3) == 0 {
				opts = append(opts, func(bg *v1alpha1.BlueGreenStrategy) { bg.AutoPromotionSeconds = 20 })
			}
			s := newSim(t, rollout("web", withReplicas(int32(1+rng.IntN(4))), blueGreen(opts...))).withTemplate("rate")
			s.settle()
			version := 1
			for i := 0; i < 30; i++ {
				switch rng.IntN(8) {
				case 0, 1:
					version++
					s.setImage(fmt.Sprintf("v%d", version))
				case 2:
					s.ro.Status.PauseConditions = nil
				case 3:
					s.ro.Status.Abort = true
				case 4:
					s.ro.Status.Abort = false
				case 5:
					s.advance(time.Duration(rng.IntN(60)) * time.Second)
				case 6:
					p := s.next()
					s.applyChecked(p.Actions[:rng.IntN(len(p.Actions)+1)]) // crash: no status write
				case 7:
					if len(s.runs) > 0 && !s.runs[len(s.runs)-1].Status.Phase.Completed() {
						phases := []v1alpha1.AnalysisPhase{v1alpha1.AnalysisPhaseSuccessful, v1alpha1.AnalysisPhaseFailed, v1alpha1.AnalysisPhaseInconclusive}
						s.runs[len(s.runs)-1].Status.Phase = phases[rng.IntN(len(phases))]
					}
				}
				s.podsUp()
				s.sync()
			}
			for i := 0; i < 20 && s.ro.Status.Phase != v1alpha1.RolloutPhaseHealthy; i++ {
				for _, run := range s.runs {
					if !run.Status.Phase.Completed() {
						run.Status.Phase = v1alpha1.AnalysisPhaseSuccessful
					}
				}
				s.ro.Status.Abort = false
				s.settle()
				s.ro.Status.PauseConditions = nil
				s.advance(time.Minute)
			}
			s.settle()
			if s.ro.Status.Phase != v1alpha1.RolloutPhaseHealthy {
				t.Fatalf("not Healthy at the end: %s %q %s", s.ro.Status.Phase, s.ro.Status.Message, s.snapshot())
			}
			img := s.ro.Spec.Template.Spec.Containers[0].Image
			expectSelects(t, s, img, img)
		})
	}
}
