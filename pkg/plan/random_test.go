package plan

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/serin-dev/serin/pkg/apis/rollouts/v1alpha1"
)

// TestRandomSequencesKeepInvariants drives many rollouts through random sequences of what
// happens to them — new templates, promote, abort, retry, promote full, canary pods that
// fail or recover, time passing, and controller crashes that apply only part of a plan —
// checking the safety invariants after every write. Each sequence must then reach Healthy
// on the last template once the pods recover and the user promotes.
func TestRandomSequencesKeepInvariants(t *testing.T) {
	for seed := uint64(1); seed <= 300; seed++ {
		t.Run(fmt.Sprint(seed), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(seed, 42))
			s := newSim(t, randomRollout(rng)).withTemplate("rate")
			s.settle()
			version := 1
			for i := 0; i < 40; i++ {
				op := rng.IntN(12)
				t.Logf("op %d: %s | phase=%s step=%v stable=%s abort=%v | %s", i, opNames[op], s.ro.Status.Phase,
					s.ro.Status.CurrentStepIndex, s.ro.Status.StableRS, s.ro.Status.Abort, s.snapshot())
				switch op {
				case 0, 1:
					version++
					s.setImage(fmt.Sprintf("v%d", version))
				case 2:
					s.promote()
				case 3:
					s.ro.Status.Abort = true
				case 4:
					s.ro.Status.Abort = false
				case 5:
					s.ro.Status.PromoteFull = true
				case 6:
					// The new revision's pods fail (or recover); never the stable's: keeping
					// stable pods alive is not the controller's doing.
					if img := s.ro.Spec.Template.Spec.Containers[0].Image; s.ro.Status.StableRS != hashOf(s.rsOfImage(img)) {
						s.notReady[img] = !s.notReady[img]
					}
				case 7:
					s.advance(time.Duration(rng.IntN(90)) * time.Second)
				case 8:
					// The controller dies part-way through a plan: no status write.
					p := s.next()
					s.applyChecked(p.Actions[:rng.IntN(len(p.Actions)+1)])
				case 9:
					s.canaryPodsFlap(rng)
				case 10:
					at := s.metaNow()
					s.ro.Spec.RestartAt = &at
				case 11:
					// The newest AnalysisRun reaches a phase.
					if len(s.runs) > 0 {
						run := s.runs[len(s.runs)-1]
						phases := []v1alpha1.AnalysisPhase{v1alpha1.AnalysisPhaseRunning, v1alpha1.AnalysisPhaseSuccessful,
							v1alpha1.AnalysisPhaseFailed, v1alpha1.AnalysisPhaseError, v1alpha1.AnalysisPhaseInconclusive}
						if !run.Status.Phase.Completed() {
							run.Status.Phase = phases[rng.IntN(len(phases))]
						}
					}
				}
				s.podsUpExceptFlapping()
				s.sync()
			}
			// Heal and finish: every pod recovers, the user retries and promotes.
			s.notReady = map[string]bool{}
			s.ro.Status.Abort = false
			for i := 0; i < 20 && s.ro.Status.Phase != v1alpha1.RolloutPhaseHealthy; i++ {
				for _, run := range s.runs {
					if !run.Status.Phase.Completed() {
						run.Status.Phase = v1alpha1.AnalysisPhaseSuccessful
					}
				}
				s.ro.Status.Abort = false
				s.settle()
				s.promote()
				s.advance(time.Minute)
			}
			s.settle()
			if s.ro.Status.Phase != v1alpha1.RolloutPhaseHealthy {
				t.Fatalf("not Healthy at the end: %s %q", s.ro.Status.Phase, s.ro.Status.Message)
			}
			// Old ReplicaSets waiting out their scale-down delay go down in the background,
			// and the rollout stays Healthy meanwhile.
			s.advance(time.Minute)
			s.settle()
			if s.ro.Status.Phase != v1alpha1.RolloutPhaseHealthy {
				t.Fatalf("not Healthy after the scale-down delays: %s %q", s.ro.Status.Phase, s.ro.Status.Message)
			}
			img := s.ro.Spec.Template.Spec.Containers[0].Image
			for _, rs := range s.rss {
				if want := map[bool]int32{true: desiredReplicas(s.ro), false: 0}[rs.Spec.Template.Spec.Containers[0].Image == img]; replicasOf(rs) != want {
					t.Errorf("ReplicaSet %s (%s) has %d replicas at the end, want %d", rs.Name, rs.Spec.Template.Spec.Containers[0].Image, replicasOf(rs), want)
				}
			}
			if s.ro.Spec.Strategy.Canary.StableMetadata != nil {
				expectRoles(t, s, img, "stable", int(desiredReplicas(s.ro)))
			}
		})
	}
}

var opNames = []string{"new template", "new template", "promote", "abort", "retry", "promote full",
	"new pods fail/recover", "time passes", "controller crash mid-plan", "canary pods flap", "restart", "analysis verdict"}

func randomRollout(rng *rand.Rand) *v1alpha1.Rollout {
	pick := []v1alpha1.CanaryStep{setWeight(10), setWeight(25), setWeight(50), setWeight(80), pause(), pauseFor("30s"),
		canaryScale(v1alpha1.SetCanaryScale{Replicas: int32p(2)}), canaryScale(v1alpha1.SetCanaryScale{MatchTrafficWeight: true}),
		analysisStep("rate"),
		{SetHeaderRoute: &v1alpha1.SetHeaderRoute{Name: "r", Match: []v1alpha1.HeaderRoutingMatch{{CookieName: "canary"}}}},
		{SetHeaderRoute: &v1alpha1.SetHeaderRoute{Name: "r"}}}
	var steps []v1alpha1.CanaryStep
	for i := rng.IntN(6); i > 0; i-- {
		steps = append(steps, pick[rng.IntN(len(pick))])
	}
	opts := []rolloutOpt{withReplicas(int32(1 + rng.IntN(6))), withSteps(steps...)}
	if rng.IntN(3) > 0 {
		if rng.IntN(2) == 0 {
			opts = append(opts, withNginx())
		} else {
			// HTTPRoutes match headers, not cookies.
			opts = append(opts, withGatewayAPI(), withSteps(cookiesToHeaders(steps)...))
		}
	} else {
		// setCanaryScale and setHeaderRoute need a router: drop them from router-less rollouts.
		var basic []v1alpha1.CanaryStep
		for _, s := range steps {
			if s.SetCanaryScale == nil && s.SetHeaderRoute == nil {
				basic = append(basic, s)
			}
		}
		opts = append(opts, withSteps(basic...))
	}
	if rng.IntN(2) == 0 {
		opts = append(opts, withRoleMetadata(map[string]string{"role": "canary"}, map[string]string{"role": "stable"}))
	}
	ro := rollout("web", opts...)
	if n := len(ro.Spec.Strategy.Canary.Steps); n > 0 && rng.IntN(4) == 0 {
		withBackground("rate", int32(rng.IntN(min(n, 3))))(ro)
	}
	return ro
}

// cookiesToHeaders is steps with each cookie match of a header route turned into a
// header match of the same name.
func cookiesToHeaders(steps []v1alpha1.CanaryStep) []v1alpha1.CanaryStep {
	out := make([]v1alpha1.CanaryStep, len(steps))
	for i, s := range steps {
		out[i] = *s.DeepCopy()
		if hr := out[i].SetHeaderRoute; hr != nil {
			for j, m := range hr.Match {
				if m.CookieName != "" {
					hr.Match[j] = v1alpha1.HeaderRoutingMatch{HeaderName: m.CookieName, HeaderValue: &v1alpha1.StringMatch{Exact: "always"}}
				}
			}
		}
	}
	return out
}

// canaryPodsFlap makes some pods of a non-stable ReplicaSet unavailable until the next
// flap; the stable revision stays healthy (its failures are not the controller's doing).
func (s *sim) canaryPodsFlap(rng *rand.Rand) {
	for _, rs := range s.rss {
		if hashOf(rs) != s.ro.Status.StableRS && replicasOf(rs) > 0 {
			// Pods only fail here: a flap never makes never-ready pods available.
			rs.Status.AvailableReplicas = int32(rng.IntN(int(rs.Status.AvailableReplicas) + 1))
			rs.Status.ReadyReplicas = rs.Status.AvailableReplicas
			if rs.Annotations == nil {
				rs.Annotations = map[string]string{}
			}
			rs.Annotations["test/flapping"] = "true"
		}
	}
}

// podsUpExceptFlapping brings pods up, leaving flapping ReplicaSets as they are.
func (s *sim) podsUpExceptFlapping() {
	for _, rs := range s.rss {
		if rs.Annotations["test/flapping"] == "true" {
			delete(rs.Annotations, "test/flapping")
			rs.Status.AvailableReplicas = min(rs.Status.AvailableReplicas, replicasOf(rs))
			rs.Status.ReadyReplicas = rs.Status.AvailableReplicas
			rs.Status.Replicas = replicasOf(rs)
			continue
		}
		n := replicasOf(rs)
		s.syncPods(rs)
		rs.Status.Replicas, rs.Status.ObservedGeneration = n, rs.Generation
		if s.notReady[rs.Spec.Template.Spec.Containers[0].Image] {
			rs.Status.ReadyReplicas, rs.Status.AvailableReplicas = 0, 0
		} else {
			rs.Status.ReadyReplicas, rs.Status.AvailableReplicas = n, n
		}
	}
}
