package plan

import (
	"fmt"
	"slices"
	"testing"

	appsv1 "k8s.io/api/apps/v1"

	"github.com/serin-dev/serin/pkg/apis/rollouts/v1alpha1"
)

// oneWay is what the sim remembers to check that traffic moves one way (docs/design.md
// invariant 7) and that a promotion moves the stable Service before the weight drops
// (invariant 4): the status the plan being applied will write, and how many canary pods
// were serving when the weight in place was written.
type oneWay struct {
	planned    *v1alpha1.RolloutStatus
	evictions  []string // pods the plan being applied evicts
	servingAt  int32    // serving canary pods when the current weight was written
	revisionAt string   // the revision the canary Service selected then
}

// next plans one sync and remembers the status it will write.
func (s *sim) next() Plan {
	p := Next(s.input())
	s.oneWay.planned, s.oneWay.evictions = &p.Status, nil
	for _, a := range p.Actions {
		if a.EvictPod != nil {
			s.oneWay.evictions = append(s.oneWay.evictions, *a.EvictPod)
		}
	}
	return p
}

// weightWritten records the canary's serving pods behind a newly written weight.
func (s *sim) weightWritten(int32) {
	s.oneWay.servingAt, s.oneWay.revisionAt = 0, ""
	if rs := s.canaryRS(); rs != nil {
		s.oneWay.servingAt, s.oneWay.revisionAt = s.servingPods(rs), hashOf(rs)
	}
}

func (s *sim) evictsPodOf(rs *appsv1.ReplicaSet) bool {
	for _, pod := range s.podsOf[rs.Name] {
		if slices.Contains(s.oneWay.evictions, pod.Name) {
			return true
		}
	}
	return false
}

func (s *sim) canaryRS() *appsv1.ReplicaSet {
	if c := s.ro.Spec.Strategy.Canary; c != nil {
		return s.rsOfService(c.CanaryService)
	}
	return nil
}

// oneWayViolation names a broken invariant 4 or 7 that action a would cause: the canary
// weight going down within one revision while nothing calls for it. It may go down on
// abort, on a rollback or a new revision (the canary Service's revision is not the one
// being rolled out), to a step's own lower weight, and when canary pods that carried it
// stopped serving. At promotion it drops to 0 only once the stable Service selects the
// new revision.
func (s *sim) oneWayViolation(a Action) string {
	c := s.ro.Spec.Strategy.Canary
	st := s.oneWay.planned
	if c == nil || st == nil || a.SetTraffic == nil || s.traffic == nil || s.traffic.Problem != "" {
		return ""
	}
	cur, next := s.traffic.CanaryWeight, a.SetTraffic.CanaryWeight
	if next >= cur {
		return ""
	}
	rs := s.canaryRS()
	if rs == nil {
		return ""
	}
	hash := hashOf(rs)
	switch {
	case hash == st.StableRS && hash != s.ro.Status.StableRS:
		// Promotion of this revision.
		if hashOf(s.rsOfService(c.StableService)) != hash {
			return fmt.Sprintf("invariant 4 broken: canary weight %d → %d before the stable Service selects the promoted revision", cur, next)
		}
		return ""
	case st.Abort || s.ro.Status.Abort:
		return ""
	case hash != st.CurrentPodHash || hash == st.StableRS:
		return "" // a new revision, or a rollback
	case s.oneWay.revisionAt != hash || s.servingPods(rs) < s.oneWay.servingAt:
		return "" // pods that carried the weight stopped serving
	case s.evictsPodOf(rs):
		return "" // restartAt takes traffic off a canary pod it is about to evict
	}
	steps := c.Steps
	target := SetWeightAt(steps, clampIndex(st.CurrentStepIndex, len(steps)), maxWeight(c))
	if old := s.ro.Status.CurrentStepIndex; old != nil {
		target = min(target, SetWeightAt(steps, clampIndex(old, len(steps)), maxWeight(c)))
	}
	if next >= min(cur, target) {
		return "" // a step with a lower weight
	}
	return fmt.Sprintf("invariant 7 broken: canary weight %d → %d within revision %s with %d canary pods serving (%d when it was written)",
		cur, next, hash, s.servingPods(rs), s.oneWay.servingAt)
}

// allowedWeight at each step transition: the weight a step raises keeps what the canary's
// available pods already carry and rises with them; it falls only to what the pods left
// can carry.
func TestAllowedWeight(t *testing.T) {
	tests := map[string]struct {
		capacity        canaryCapacity
		weight, current int32
		want            int32
	}{
		"0→20, canary pod not up yet":    {canaryCapacity{before: 0, replicas: 4, desired: 1, available: 0, maxWeight: 100}, 20, 0, 0},
		"0→20, canary pod up":            {canaryCapacity{before: 0, replicas: 4, desired: 1, available: 1, maxWeight: 100}, 20, 0, 20},
		"20→50, new pod not up yet":      {canaryCapacity{before: 1, replicas: 4, desired: 2, available: 1, maxWeight: 100}, 50, 20, 20},
		"20→50, both pods up":            {canaryCapacity{before: 1, replicas: 4, desired: 2, available: 2, maxWeight: 100}, 50, 20, 50},
		"50→80, no new pod up: keeps 50": {canaryCapacity{before: 2, replicas: 4, desired: 4, available: 2, maxWeight: 100}, 80, 50, 50},
		"50→80, one new pod up: 60":      {canaryCapacity{before: 2, replicas: 4, desired: 4, available: 3, maxWeight: 100}, 80, 50, 60},
		"50→80, every pod up":            {canaryCapacity{before: 2, replicas: 4, desired: 4, available: 4, maxWeight: 100}, 80, 50, 80},
		"50→80, a pod that carried 50 died": {
			canaryCapacity{before: 2, replicas: 4, desired: 4, available: 1, maxWeight: 100}, 80, 50, 25},
		"at 50, every canary pod died":   {canaryCapacity{before: 2, replicas: 4, desired: 2, available: 0, maxWeight: 100}, 50, 50, 0},
		"at 50, one of two pods died":    {canaryCapacity{before: 2, replicas: 4, desired: 2, available: 1, maxWeight: 100}, 50, 50, 25},
		"80→20: a step lowers it":        {canaryCapacity{before: 4, replicas: 4, desired: 1, available: 4, maxWeight: 100}, 20, 80, 20},
		"80→20, only lower step carried": {canaryCapacity{before: 8, replicas: 10, desired: 2, available: 1, maxWeight: 100}, 20, 80, 10},
		"end of steps: 80→100, 4 of 5":   {canaryCapacity{before: 4, replicas: 5, desired: 5, available: 4, maxWeight: 100}, 100, 80, 80},
		"setCanaryScale replicas 1, weight 50": {
			canaryCapacity{before: 1, replicas: 4, desired: 1, available: 1, maxWeight: 100}, 50, 0, 50},
		"setCanaryScale replicas 1 → matchTrafficWeight 50: keeps 50": {
			canaryCapacity{before: 1, replicas: 4, desired: 2, available: 1, maxWeight: 100}, 50, 50, 50},
		"maxTrafficWeight 1000: 200→500, keeps 200": {
			canaryCapacity{before: 2, replicas: 10, desired: 5, available: 2, maxWeight: 1000}, 500, 200, 200},
		"maxTrafficWeight 1000: 200→500, 4 of 5 up": {
			canaryCapacity{before: 2, replicas: 10, desired: 5, available: 4, maxWeight: 1000}, 500, 200, 400},
		"router shows more than the step (edited by hand)": {
			canaryCapacity{before: 2, replicas: 4, desired: 2, available: 2, maxWeight: 100}, 50, 90, 50},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			if got := allowedWeight(tc.capacity, tc.weight, tc.current); got != tc.want {
				t.Errorf("allowedWeight(%+v, %d, %d) = %d, want %d", tc.capacity, tc.weight, tc.current, got, tc.want)
			}
		})
	}
}

// podsAvailable lets image's pods come up but only n of them become available.
func (s *sim) podsAvailable(image string, n int32) {
	s.podsUp()
	if rs := s.rsOfImage(image); rs != nil {
		rs.Status.AvailableReplicas = min(n, replicasOf(rs))
		rs.Status.ReadyReplicas = rs.Status.AvailableReplicas
	}
}

// A step that raises the weight keeps what the pods in place carry while its new pods come
// up, and rises with them: 20 → 50 → 80 with pods becoming available one by one.
func TestStepsRaiseTheWeightWithoutADip(t *testing.T) {
	s := newSim(t, rollout("web", withNginx(), withSteps(setWeight(20), pause(), setWeight(50), pause(), setWeight(80), pause())))
	s.settle()
	s.setImage("v2")
	s.podsAvailable("v2", 0)
	s.sync()
	expect(t, "weight before the canary pod is available", s.weight(), 0)
	s.settle()
	expect(t, "weight at the first pause", s.weight(), 20)

	s.promote()
	s.sync() // the pause ends: on to the next step
	for _, tc := range []struct {
		available int32
		want      int32
	}{{1, 20}, {2, 50}} { // 20→50: 20 stays on the first pod until the second is up
		s.podsAvailable("v2", tc.available)
		s.sync()
		expect(t, fmt.Sprintf("20→50 with %d canary pods available: weight", tc.available), s.weight(), tc.want)
	}
	s.settle()
	expect(t, "step at the second pause", step(s), 3)
	expect(t, "weight at the second pause", s.weight(), 50)

	s.promote()
	s.sync() // the pause ends: on to the next step
	for _, tc := range []struct {
		available int32
		want      int32
	}{{2, 50}, {3, 60}, {4, 80}} { // 50→80: no dip to 40 while pods 3 and 4 come up
		s.podsAvailable("v2", tc.available)
		s.sync()
		expect(t, fmt.Sprintf("50→80 with %d canary pods available: weight", tc.available), s.weight(), tc.want)
	}
	s.settle()
	expect(t, "step at the third pause", step(s), 5)
	s.promote()
	s.settle()
	expect(t, "stable selects", s.selects("web-stable"), "v2")
	expect(t, "weight after promotion", s.weight(), 0)
	if want := []int32{0, 20, 50, 60, 80, 0}; !slices.Equal(s.weights, want) {
		t.Errorf("weights written %v, want %v", s.weights, want)
	}
}

// The order of the traffic and Service writes: a promotion (after the last step, or with
// promote --full) moves the stable Service to the new revision before the weight drops to
// 0; an abort and a rollback take the weight to 0 before the canary Service goes back.
func TestTrafficAndServiceOrder(t *testing.T) {
	steps := withSteps(setWeight(20), pause(), setWeight(50), pause())
	tests := map[string]struct {
		steps      int // promotes before the change
		change     func(s *sim)
		service    string // the Service whose selector moves
		weightLast bool   // the weight drops after that Service moves
	}{
		"promotion after the last step": {steps: 1, change: (*sim).promote, service: "web-stable", weightLast: true},
		"promote --full at step 1": {change: func(s *sim) { s.ro.Status.PromoteFull = true },
			service: "web-stable", weightLast: true},
		"abort at step 3":    {steps: 1, change: func(s *sim) { s.ro.Status.Abort = true }, service: "web-canary"},
		"rollback to stable": {steps: 1, change: func(s *sim) { s.setImage("v1") }, service: "web-canary"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			s := newSim(t, rollout("web", withNginx(), steps))
			s.settle()
			s.setImage("v2")
			s.settle()
			for range tc.steps {
				s.promote()
				s.settle()
			}
			if s.weight() == 0 {
				t.Fatal("no canary weight before the change")
			}
			tc.change(s)
			// Sync until the plan that takes the weight to 0 (a promotion first scales the
			// canary up to every replica).
			var p Plan
			traffic, selector := -1, -1
			for i := 0; i < 10 && traffic < 0; i++ {
				s.podsUp()
				p = Next(s.input())
				for i, a := range p.Actions {
					switch {
					case a.SetTraffic != nil && a.SetTraffic.CanaryWeight == 0:
						traffic = i
					case a.SetSelector != nil && a.SetSelector.Service == tc.service:
						selector = i
					}
				}
				s.sync()
			}
			if traffic < 0 || selector < 0 {
				t.Fatalf("plan %v: want weight 0 and a selector change of %s", p.Actions, tc.service)
			}
			if got := selector < traffic; got != tc.weightLast {
				t.Errorf("%s moves at action %d, weight 0 at action %d; want the Service first = %t", tc.service, selector, traffic, tc.weightLast)
			}
			s.settle() // and the sim's invariant checks hold throughout
		})
	}
}
