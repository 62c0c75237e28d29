package plan

import (
	"slices"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/serin-dev/serin/pkg/apis/rollouts/v1alpha1"
)

func expect[T comparable](t *testing.T, what string, got, want T) {
	t.Helper()
	if got != want {
		t.Errorf("%s = %v, want %v", what, got, want)
	}
}

func expectPods(t *testing.T, s *sim, images []string, want ...int32) {
	t.Helper()
	if got := s.pods(images...); !slices.Equal(got, want) {
		t.Errorf("pods of %v = %v, want %v", images, got, want)
	}
}

func step(s *sim) int32 { return clampIndex(s.ro.Status.CurrentStepIndex, 1<<20) }

// The first Rollout has nothing to compare against: no steps, straight to Healthy.
func TestFirstRolloutIsStableAtOnce(t *testing.T) {
	s := newSim(t, rollout("web", withNginx(), withSteps(setWeight(20), pause())))
	s.settle()
	expectPods(t, s, []string{"v1"}, 4)
	expect(t, "phase", s.ro.Status.Phase, v1alpha1.RolloutPhaseHealthy)
	expect(t, "stable selects", s.selects("web-stable"), "v1")
	expect(t, "canary selects", s.selects("web-canary"), "v1")
	expect(t, "weight", s.weight(), 0)
	expect(t, "step", step(s), 2)
}

// Full canary, with each router: setWeight 20 → pause {} → promote → setWeight 50 → pause 5s → done.
func TestCanaryThroughEveryStep(t *testing.T) { eachRouter(t, testCanaryThroughEveryStep) }

func testCanaryThroughEveryStep(t *testing.T, withRouter rolloutOpt) {
	s := newSim(t, rollout("web", withRouter, withSteps(setWeight(20), pause(), setWeight(50), pauseFor("5s"))))
	s.settle()
	s.setImage("v2")
	s.settle()
	expectPods(t, s, []string{"v1", "v2"}, 4, 1)
	expect(t, "weight at the first pause", s.weight(), 20)
	expect(t, "stable selects", s.selects("web-stable"), "v1")
	expect(t, "canary selects", s.selects("web-canary"), "v2")
	expect(t, "phase", s.ro.Status.Phase, v1alpha1.RolloutPhasePaused)
	expect(t, "step", step(s), 1)

	s.promote()
	p := s.settle()
	expectPods(t, s, []string{"v1", "v2"}, 4, 2)
	expect(t, "weight at the timed pause", s.weight(), 50)
	expect(t, "step", step(s), 3)
	expect(t, "phase", s.ro.Status.Phase, v1alpha1.RolloutPhasePaused)
	if p.RequeueAfter <= 0 || p.RequeueAfter > 5*time.Second {
		t.Errorf("RequeueAfter = %v, want the rest of the 5s pause", p.RequeueAfter)
	}

	s.advance(5 * time.Second)
	s.settle()
	expectPods(t, s, []string{"v1", "v2"}, 4, 4)
	expect(t, "stable selects after promotion", s.selects("web-stable"), "v2")
	expect(t, "canary selects after promotion", s.selects("web-canary"), "v2")
	expect(t, "weight after promotion", s.weight(), 0)
	// Promoted: Healthy at once; the old stable goes down in the background.
	expect(t, "phase while the old stable waits out its delay", s.ro.Status.Phase, v1alpha1.RolloutPhaseHealthy)

	s.advance(30 * time.Second)
	s.settle()
	expectPods(t, s, []string{"v1", "v2"}, 0, 4)
	expect(t, "phase", s.ro.Status.Phase, v1alpha1.RolloutPhaseHealthy)
	expect(t, "stableRS", s.ro.Status.StableRS, hashOf(s.rsOfImage("v2")))
	if !slices.Equal(s.weights, []int32{0, 20, 50, 0}) {
		t.Errorf("weights written %v, want [0 20 50 0]", s.weights)
	}
}

// Abort: weight 0, canary Service back to stable, canary down after the delay; retry runs
// the steps again; promote ends Healthy.
func TestAbortRetryPromote(t *testing.T) { eachRouter(t, testAbortRetryPromote) }

func testAbortRetryPromote(t *testing.T, withRouter rolloutOpt) {
	s := newSim(t, rollout("web", withRouter, withSteps(setWeight(20), pause(), setWeight(50), pause()),
		withCanary(func(c *v1alpha1.CanaryStrategy) { c.AbortScaleDownDelaySeconds = int32p(10) })))
	s.settle()
	s.setImage("v2")
	s.settle()
	s.promote()
	s.settle()
	expect(t, "step before abort", step(s), 3)

	s.ro.Status.Abort = true
	s.settle()
	expect(t, "phase", s.ro.Status.Phase, v1alpha1.RolloutPhaseDegraded)
	expect(t, "message", s.ro.Status.Message, "RolloutAborted: Rollout aborted update to revision 2")
	expect(t, "weight", s.weight(), 0)
	expect(t, "canary selects", s.selects("web-canary"), "v1")
	expectPods(t, s, []string{"v1", "v2"}, 4, 2) // the canary waits out abortScaleDownDelaySeconds
	s.advance(10 * time.Second)
	s.settle()
	expectPods(t, s, []string{"v1", "v2"}, 4, 0)

	s.ro.Status.Abort = false // retry
	s.settle()
	expect(t, "step after retry", step(s), 1)
	expect(t, "weight after retry", s.weight(), 20)
	expectPods(t, s, []string{"v1", "v2"}, 4, 1)
	s.promote()
	s.settle()
	s.promote()
	s.settle()
	s.advance(time.Minute)
	s.settle()
	expect(t, "phase", s.ro.Status.Phase, v1alpha1.RolloutPhaseHealthy)
	expectPods(t, s, []string{"v1", "v2"}, 0, 4)
	want := []string{v1alpha1.ReasonNewReplicaSetCreated, v1alpha1.ReasonNewReplicaSetCreated, v1alpha1.ReasonStepCompleted, v1alpha1.ReasonPaused,
		v1alpha1.ReasonResumed, v1alpha1.ReasonStepCompleted, v1alpha1.ReasonStepCompleted, v1alpha1.ReasonPaused, v1alpha1.ReasonAborted, v1alpha1.ReasonRetried,
		v1alpha1.ReasonStepCompleted, v1alpha1.ReasonPaused, v1alpha1.ReasonResumed, v1alpha1.ReasonStepCompleted, v1alpha1.ReasonStepCompleted, v1alpha1.ReasonPaused,
		v1alpha1.ReasonResumed, v1alpha1.ReasonStepCompleted, v1alpha1.ReasonPromoted}
	if !slices.Equal(s.events, want) {
		t.Errorf("events\n got %v\nwant %v", s.events, want)
	}
}

// promoteFull skips every remaining step.
func TestPromoteFull(t *testing.T) {
	s := newSim(t, rollout("web", withNginx(), withSteps(setWeight(20), pause(), setWeight(50), pause())))
	s.settle()
	s.setImage("v2")
	s.settle()
	s.ro.Status.PromoteFull = true
	s.settle()
	expect(t, "stable selects", s.selects("web-stable"), "v2")
	expect(t, "promoteFull cleared", s.ro.Status.PromoteFull, false)
	s.advance(time.Minute)
	s.settle()
	expect(t, "phase", s.ro.Status.Phase, v1alpha1.RolloutPhaseHealthy)
	expectPods(t, s, []string{"v1", "v2"}, 0, 4)
}

// A canary whose pods never become ready gets no traffic, and the progress deadline marks
// the rollout Degraded.
func TestCanaryNeverReady(t *testing.T) {
	s := newSim(t, rollout("web", withNginx(), withSteps(setWeight(20), pause())))
	s.settle()
	s.notReady["v2"] = true
	s.setImage("v2")
	p := s.settle()
	expect(t, "weight", s.weight(), 0)
	expect(t, "canary selects", s.selects("web-canary"), "v1")
	expect(t, "phase before the deadline", s.ro.Status.Phase, v1alpha1.RolloutPhaseProgressing)
	if p.RequeueAfter <= 0 || p.RequeueAfter > 600*time.Second {
		t.Errorf("RequeueAfter = %v, want the progress deadline", p.RequeueAfter)
	}
	s.advance(601 * time.Second)
	s.settle()
	expect(t, "phase after the deadline", s.ro.Status.Phase, v1alpha1.RolloutPhaseDegraded)
	expect(t, "weight", s.weight(), 0)
	if !slices.Contains(s.events, v1alpha1.ReasonProgressDeadline) {
		t.Errorf("no %s event in %v", v1alpha1.ReasonProgressDeadline, s.events)
	}
}

// A third template while the second is paused supersedes it; stable never moves.
func TestTemplateChangeMidCanary(t *testing.T) {
	s := newSim(t, rollout("web", withNginx(), withSteps(setWeight(20), pause(), setWeight(50), pause())))
	s.settle()
	s.setImage("v2")
	s.settle()
	s.promote()
	s.settle()
	expectPods(t, s, []string{"v1", "v2"}, 4, 2)
	s.setImage("v3")
	s.settle()
	expectPods(t, s, []string{"v1", "v2", "v3"}, 4, 0, 1)
	expect(t, "stable selects", s.selects("web-stable"), "v1")
	expect(t, "canary selects", s.selects("web-canary"), "v3")
	expect(t, "step", step(s), 1)
	expect(t, "weight", s.weight(), 20)
}

// Re-applying the stable template mid-canary goes straight back to stable, skipping steps.
func TestRollbackToStableSkipsSteps(t *testing.T) {
	s := newSim(t, rollout("web", withNginx(), withSteps(setWeight(20), pause(), setWeight(50), pause())))
	s.settle()
	s.setImage("v2")
	s.settle()
	s.setImage("v1")
	s.settle()
	expectPods(t, s, []string{"v1", "v2"}, 4, 0)
	expect(t, "weight", s.weight(), 0)
	expect(t, "canary selects", s.selects("web-canary"), "v1")
	expect(t, "phase", s.ro.Status.Phase, v1alpha1.RolloutPhaseHealthy)
	expect(t, "step", step(s), 4)
	if !slices.Contains(s.events, v1alpha1.ReasonRollbackToStable) {
		t.Errorf("no %s event in %v", v1alpha1.ReasonRollbackToStable, s.events)
	}
}

// Scenario 1: the canary's pod count follows setCanaryScale and setWeight.
func TestCanaryScalePerStep(t *testing.T) {
	s := newSim(t, rollout("web", withNginx(), withSteps(
		pause(),
		canaryScale(v1alpha1.SetCanaryScale{Replicas: int32p(1)}),
		setWeight(25),
		pause(),
		canaryScale(v1alpha1.SetCanaryScale{Weight: int32p(75)}),
		pause(),
		canaryScale(v1alpha1.SetCanaryScale{MatchTrafficWeight: true}),
		pause(),
	)))
	s.settle()
	s.setImage("v2")
	s.settle()
	expectPods(t, s, []string{"v2", "v1"}, 0, 4)
	s.promote()
	s.settle()
	expectPods(t, s, []string{"v2", "v1"}, 1, 4)
	expect(t, "weight", s.weight(), 25)
	s.promote()
	s.settle()
	expectPods(t, s, []string{"v2", "v1"}, 3, 4)
	s.promote()
	s.settle()
	expectPods(t, s, []string{"v2", "v1"}, 1, 4)
	s.promote()
	s.settle()
	s.advance(time.Minute)
	s.settle()
	expectPods(t, s, []string{"v2", "v1"}, 4, 0)
	expect(t, "phase", s.ro.Status.Phase, v1alpha1.RolloutPhaseHealthy)
}

// Without a router the weight is a share of replicas, within maxSurge/maxUnavailable.
func TestBasicCanary(t *testing.T) {
	s := newSim(t, rollout("api", withReplicas(5), withSteps(setWeight(20), pause(), setWeight(60), pause())))
	s.settle()
	s.setImage("v2")
	s.settle()
	expectPods(t, s, []string{"v1", "v2"}, 4, 1)
	s.promote()
	s.settle()
	expectPods(t, s, []string{"v1", "v2"}, 2, 3)
	s.promote()
	s.settle()
	expectPods(t, s, []string{"v1", "v2"}, 0, 5)
	expect(t, "phase", s.ro.Status.Phase, v1alpha1.RolloutPhaseHealthy)
	if s.traffic != nil {
		t.Errorf("a rollout without a router wrote traffic %+v", s.traffic)
	}
}

// Editing the steps mid-rollout restarts them.
func TestStepsChangeRestarts(t *testing.T) {
	s := newSim(t, rollout("web", withNginx(), withSteps(setWeight(20), pause(), setWeight(50), pause())))
	s.settle()
	s.setImage("v2")
	s.settle()
	s.promote()
	s.settle()
	expect(t, "step", step(s), 3)
	s.ro.Spec.Strategy.Canary.Steps = []v1alpha1.CanaryStep{setWeight(10), pause()}
	s.settle()
	expect(t, "step after the change", step(s), 1)
	expect(t, "weight", s.weight(), 10)
}

// spec.paused holds the rollout where it is.
func TestSpecPaused(t *testing.T) {
	s := newSim(t, rollout("web", withNginx(), withSteps(setWeight(20), setWeight(50), pause())))
	s.settle()
	s.ro.Spec.Paused = true
	s.setImage("v2")
	s.settle()
	expect(t, "phase", s.ro.Status.Phase, v1alpha1.RolloutPhasePaused)
	expect(t, "step", step(s), 0)
	s.ro.Spec.Paused = false
	s.settle()
	expect(t, "step", step(s), 2)
	expect(t, "weight", s.weight(), 50)
}

// An invalid spec or a missing Service blocks every action.
func TestBlockedRollouts(t *testing.T) {
	tests := map[string]struct {
		ro      *v1alpha1.Rollout
		mutate  func(*sim)
		message string
	}{
		"two strategies": {
			ro: rollout("web", func(ro *v1alpha1.Rollout) {
				ro.Spec.Strategy.BlueGreen = &v1alpha1.BlueGreenStrategy{ActiveService: "a"}
			}),
			message: "InvalidSpec: spec.strategy: Invalid value: spec.strategy must set exactly one of canary or blueGreen",
		},
		"missing stable Service": {
			ro:      rollout("web", withNginx()),
			mutate:  func(s *sim) { delete(s.svcs, "web-stable") },
			message: "InvalidSpec: spec.strategy.canary: Service web-stable not found",
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			s := newSim(t, tc.ro)
			if tc.mutate != nil {
				tc.mutate(s)
			}
			p := s.sync()
			if len(p.Actions) != 0 {
				t.Errorf("actions %v, want none", p.Actions)
			}
			expect(t, "phase", p.Status.Phase, v1alpha1.RolloutPhaseDegraded)
			expect(t, "message", p.Status.Message, tc.message)
			if c := findCondition(p.Status.Conditions, v1alpha1.InvalidSpec); c == nil || c.Status != "True" {
				t.Errorf("no InvalidSpec condition: %+v", p.Status.Conditions)
			}
			if len(p.Events) != 1 || p.Events[0].Type != "Warning" {
				t.Errorf("events %+v, want one Warning", p.Events)
			}
			if again := Next(s.input()); len(again.Events) != 0 {
				t.Errorf("the same problem was reported twice: %+v", again.Events)
			}
		})
	}
}

// Old ReplicaSets beyond revisionHistoryLimit are deleted, oldest first.
func TestRevisionHistoryLimit(t *testing.T) {
	s := newSim(t, rollout("web", withNginx(), withSteps(setWeight(50)), func(ro *v1alpha1.Rollout) {
		ro.Spec.RevisionHistoryLimit = int32p(2)
	}))
	s.settle()
	for v := 2; v <= 6; v++ {
		s.setImage("v" + string(rune('0'+v)))
		s.settle()
		s.advance(time.Minute)
		s.settle()
	}
	var images []string
	for _, rs := range s.rss {
		images = append(images, rs.Spec.Template.Spec.Containers[0].Image)
	}
	if !slices.Equal(images, []string{"v4", "v5", "v6"}) {
		t.Errorf("ReplicaSets left %v, want the current one and the 2 newest old ones [v4 v5 v6]", images)
	}
}

// scaleDownDelayRevisionLimit keeps at most N old ReplicaSets up during their delay.
func TestScaleDownDelayRevisionLimit(t *testing.T) {
	s := newSim(t, rollout("web", withNginx(), withSteps(setWeight(50)), withCanary(func(c *v1alpha1.CanaryStrategy) {
		c.ScaleDownDelayRevisionLimit = int32p(1)
		c.ScaleDownDelaySeconds = int32p(600)
	})))
	s.settle()
	s.setImage("v2")
	s.settle()
	expectPods(t, s, []string{"v1", "v2"}, 4, 4)
	s.setImage("v3")
	s.settle()
	expectPods(t, s, []string{"v1", "v2", "v3"}, 0, 4, 4)
}

// minPodsPerReplicaSet gives a small canary more pods.
func TestMinPodsPerReplicaSet(t *testing.T) {
	s := newSim(t, rollout("web", withReplicas(10), withNginx(), withSteps(setWeight(5), pause()), withCanary(func(c *v1alpha1.CanaryStrategy) {
		c.MinPodsPerReplicaSet = int32p(2)
	})))
	s.settle()
	s.setImage("v2")
	s.settle()
	expectPods(t, s, []string{"v1", "v2"}, 10, 2)
	expect(t, "weight", s.weight(), 5)
}

// Scenario 10: restartAt while paused replaces the older pods within maxUnavailable,
// without moving the step.
func TestRestartAtWhilePaused(t *testing.T) {
	s := newSim(t, rollout("web", withNginx(), withSteps(setWeight(20), pause())))
	s.settle()
	s.setImage("v2")
	s.settle()
	expect(t, "step", step(s), 1)
	s.advance(time.Minute)
	at := metav1.NewTime(s.now)
	s.ro.Spec.RestartAt = &at
	for i := 0; i < 20; i++ {
		// Two syncs before the evicted pods are gone and replaced: on a real cluster the
		// controller syncs again while a pod terminates and the ReplicaSet's status still
		// counts it.
		evictions := 0
		for _, p := range []Plan{s.sync(), s.sync()} {
			for _, a := range p.Actions {
				if a.EvictPod != nil {
					evictions++
				}
			}
		}
		if evictions > 1 {
			t.Fatalf("round %d evicted %d pods; maxUnavailable (25%% of 4) allows 1", i, evictions)
		}
		s.podsUp()
	}
	expect(t, "pods evicted", len(s.evicted), 5)
	expect(t, "step", step(s), 1)
	expect(t, "phase", s.ro.Status.Phase, v1alpha1.RolloutPhasePaused)
	if s.ro.Status.RestartedAt == nil || !s.ro.Status.RestartedAt.Equal(&at) {
		t.Errorf("restartedAt = %v, want %v", s.ro.Status.RestartedAt, at)
	}
	for _, pods := range s.podsOf {
		for _, pod := range pods {
			if pod.CreationTimestamp.Before(&at) {
				t.Errorf("pod %s from before restartAt is still there", pod.Name)
			}
		}
	}
}

// A router that reports its objects out of sync gets the split asked for again, even when
// its highest weight equals the plan's.
func TestOutOfSyncTrafficIsWrittenAgain(t *testing.T) {
	s := newSim(t, rollout("web", withNginx(), withSteps(setWeight(20), pause())))
	s.settle()
	s.setImage("v2")
	s.settle()
	expect(t, "weight", s.weight(), 20)
	s.traffic.OutOfSync = true
	p := s.sync()
	if !slices.ContainsFunc(p.Actions, func(a Action) bool { return a.SetTraffic != nil && a.SetTraffic.CanaryWeight == 20 }) {
		t.Errorf("actions %v, want SetTraffic 20", p.Actions)
	}
}

// A ReplicaSet that has the template's hash but was made from another template is a hash
// collision: the plan moves to the next collision count; the apiserver's defaults on a
// ReplicaSet's template are not a collision (every sim ReplicaSet has them).
func TestHashCollision(t *testing.T) {
	s := newSim(t, rollout("web", withNginx(), withSteps(setWeight(20), pause())))
	s.settle()
	rs := s.rsOfImage("v1")
	rs.Annotations[AnnotationTemplateDigest] = "a-different-template"
	p := s.sync()
	if s.ro.Status.CollisionCount == nil || *s.ro.Status.CollisionCount != 1 {
		t.Fatalf("collisionCount %v, want 1", s.ro.Status.CollisionCount)
	}
	if !slices.ContainsFunc(p.Events, func(e Event) bool { return e.Reason == v1alpha1.ReasonHashCollision }) {
		t.Errorf("events %v, want %s", p.Events, v1alpha1.ReasonHashCollision)
	}
	if len(s.rss) != 1 {
		t.Errorf("%d ReplicaSets after one collision, want 1 until the next sync", len(s.rss))
	}
}

// A header route gets the canary a pod to serve it, and its step waits until the router
// shows the route.
func TestHeaderRouteStep(t *testing.T) { eachRouter(t, testHeaderRouteStep) }

func testHeaderRouteStep(t *testing.T, withRouter rolloutOpt) {
	route := v1alpha1.SetHeaderRoute{Name: "testers", Match: []v1alpha1.HeaderRoutingMatch{
		{HeaderName: "X-Canary", HeaderValue: &v1alpha1.StringMatch{Exact: "yes"}}}}
	s := newSim(t, rollout("web", withRouter, withSteps(
		v1alpha1.CanaryStep{SetHeaderRoute: &route}, pause(),
		v1alpha1.CanaryStep{SetHeaderRoute: &v1alpha1.SetHeaderRoute{Name: "testers"}}, setWeight(30), pause())))
	s.settle()
	s.setImage("v2")
	s.settle()
	expect(t, "step", step(s), 1)
	expectPods(t, s, []string{"v1", "v2"}, 4, 1)
	expect(t, "weight", s.weight(), 0)
	if len(s.traffic.HeaderRoutes) != 1 || s.traffic.HeaderRoutes[0].Name != "testers" {
		t.Errorf("routes %+v, want testers", s.traffic.HeaderRoutes)
	}
	s.promote()
	s.settle()
	expect(t, "step", step(s), 4)
	expect(t, "weight", s.weight(), 30)
	if len(s.traffic.HeaderRoutes) != 0 {
		t.Errorf("routes %+v after the route was removed, want none", s.traffic.HeaderRoutes)
	}
}

// A router that cannot act (e.g. a canary Ingress Serin does not own) makes the rollout
// Degraded with the router's words, once as a Warning event, and no traffic is written.
func TestTrafficRouterProblem(t *testing.T) {
	s := newSim(t, rollout("web", withNginx(), withSteps(setWeight(20), pause())))
	s.settle()
	s.traffic.Problem = "Ingress web-web-canary exists and is not owned by Rollout web: Serin never takes it over"
	s.setImage("v2")
	p := s.sync()
	expect(t, "phase", p.Status.Phase, v1alpha1.RolloutPhaseDegraded)
	expect(t, "message", p.Status.Message, "TrafficRoutingError: "+s.traffic.Problem)
	if !slices.ContainsFunc(p.Events, func(e Event) bool { return e.Reason == v1alpha1.ReasonTrafficRoutingError && e.Type == "Warning" }) {
		t.Errorf("events %+v, want a %s warning", p.Events, v1alpha1.ReasonTrafficRoutingError)
	}
	for i := 0; i < 3; i++ {
		s.podsUp()
		p = s.sync()
		if slices.ContainsFunc(p.Events, func(e Event) bool { return e.Reason == v1alpha1.ReasonTrafficRoutingError }) {
			t.Errorf("the same problem was reported again: %+v", p.Events)
		}
	}
	expect(t, "weight", s.weight(), 0)
	expect(t, "step", step(s), 0)
	c := findCondition(s.ro.Status.Conditions, v1alpha1.TrafficRoutingError)
	if c == nil || c.Status != corev1.ConditionTrue || c.Message != s.traffic.Problem {
		t.Errorf("TrafficRoutingError condition = %+v, want True with the router's message", c)
	}

	s.traffic.Problem = "" // the user deleted the foreign Ingress
	s.settle()
	expect(t, "phase once the router can act", s.ro.Status.Phase, v1alpha1.RolloutPhasePaused)
	expect(t, "weight", s.weight(), 20)
	if c := findCondition(s.ro.Status.Conditions, v1alpha1.TrafficRoutingError); c != nil {
		t.Errorf("TrafficRoutingError condition kept after the problem went: %+v", c)
	}
}

// A Rollout deleted with --cascade=orphan and created again adopts its ReplicaSets: same
// revision, no new ReplicaSet, no pod replaced.
func TestAdoptOrphanedReplicaSets(t *testing.T) {
	s := newSim(t, rollout("web", withNginx(), withSteps(setWeight(20), pause())))
	s.settle()
	rs := s.rsOfImage("v1")
	pods := append([]*corev1.Pod(nil), s.podsOf[rs.Name]...)
	for _, r := range s.rss {
		r.OwnerReferences = nil
	}
	again := rollout("web", withNginx(), withSteps(setWeight(20), pause()))
	again.UID = "uid-web-again"
	s.ro = again
	p := s.sync()
	if len(p.Actions) == 0 || p.Actions[0].AdoptReplicaSet == nil || *p.Actions[0].AdoptReplicaSet != rs.Name {
		t.Fatalf("first action %v, want adopt %s", p.Actions, rs.Name)
	}
	s.settle()
	expect(t, "ReplicaSets", len(s.rss), 1)
	expect(t, "phase", s.ro.Status.Phase, v1alpha1.RolloutPhaseHealthy)
	expect(t, "stableRS", s.ro.Status.StableRS, hashOf(rs))
	if !slices.Equal(s.podsOf[rs.Name], pods) {
		t.Errorf("pods were replaced during adoption")
	}
}

// A restartAt in the future wakes the rollout up when it comes (no event would).
func TestRestartAtInTheFuture(t *testing.T) {
	s := newSim(t, rollout("web", withNginx(), withSteps(setWeight(20), pause())))
	s.settle()
	at := metav1.NewTime(s.now.Add(90 * time.Second))
	s.ro.Spec.RestartAt = &at
	p := s.sync()
	if p.RequeueAfter <= 0 || p.RequeueAfter > 90*time.Second {
		t.Fatalf("RequeueAfter = %v, want at most 90s", p.RequeueAfter)
	}
	if len(s.evicted) != 0 {
		t.Fatalf("evicted %v before restartAt", s.evicted)
	}
	s.advance(90 * time.Second)
	for i := 0; i < 10; i++ {
		s.sync()
		s.podsUp()
	}
	expect(t, "pods evicted", len(s.evicted), 4)
}
