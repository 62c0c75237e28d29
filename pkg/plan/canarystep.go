package plan

import "github.com/serin-dev/serin/pkg/apis/rollouts/v1alpha1"

// The pure decisions of a canary step: how big the canary is, how much traffic it may
// have, and whether the step is done. canaryProgress asks them and plans the answers.

// canarySize is how many pods the canary runs at step idx: the step's share of replicas
// or its setCanaryScale; with a router, at least one while a header route sends requests
// to it, and at least minPodsPerReplicaSet (up to replicas) when it runs any.
func canarySize(c *v1alpha1.CanaryStrategy, idx, replicas int32) int32 {
	desired := CanaryReplicasAt(c.Steps, idx, replicas, maxWeight(c))
	if c.TrafficRouting == nil {
		return desired
	}
	if desired == 0 && len(HeaderRoutesAt(c.Steps, idx)) > 0 {
		// Requests matching a header route go to the canary whatever the weight: it needs
		// a pod to serve them.
		desired = 1
	}
	if c.MinPodsPerReplicaSet != nil && desired > 0 {
		desired = max(desired, min(*c.MinPodsPerReplicaSet, replicas))
	}
	return desired
}

// canaryPods are the canary's pods as a step sees them.
type canaryPods struct {
	replicas  int32 // spec.replicas
	desired   int32 // canarySize at this step
	available int32 // canary pods available now
}

// canaryTraffic is the split a routed canary may have at step idx when the router applies
// current and selected tells whether the canary Service selects the canary: no weight
// before it does, then allowedWeight (traffic moves one way, invariants 1 and 7); the
// step's header routes once the canary has weight, or an available pod behind the canary
// Service.
func canaryTraffic(c *v1alpha1.CanaryStrategy, idx int32, pods canaryPods, current int32, selected bool) SetTraffic {
	var t SetTraffic
	if selected {
		maxW := maxWeight(c)
		before := pods.desired
		if idx > 0 {
			before = CanaryReplicasAt(c.Steps, idx-1, pods.replicas, maxW)
		}
		t.CanaryWeight = allowedWeight(canaryCapacity{
			replicas: pods.replicas, desired: pods.desired, before: before, available: pods.available, maxWeight: maxW,
		}, SetWeightAt(c.Steps, idx, maxW), current)
	}
	if t.CanaryWeight > 0 || pods.available > 0 && selected {
		t.HeaderRoutes = HeaderRoutesAt(c.Steps, idx)
	}
	return t
}

// stepShows is what the cluster shows (with this plan's traffic change counted as made)
// for a setWeight, setCanaryScale or setHeaderRoute step.
type stepShows struct {
	// atScale: the canary runs the pods the step asks for, all available, and no scale
	// is pending.
	atScale bool
	routed  bool
	// weight is the step's weight (SetWeightAt).
	weight int32
	// traffic is the split once this plan is applied; CanaryWeight -1 when unknown.
	traffic SetTraffic
	// routesKnown: the router's header routes are known (observed in sync, or set now).
	routesKnown bool
	// routes are the header routes in force at this step.
	routes []v1alpha1.SetHeaderRoute
}

// stepDone reports whether a setWeight, setCanaryScale or setHeaderRoute step is done:
// the canary at its size (and, routed, at the step's weight), or the router showing
// exactly the step's header routes. Traffic the plan sets counts as set: the status that
// records the step as done is written only once every action of the plan succeeded.
// Pause and analysis steps are not decided here (false).
func stepDone(step *v1alpha1.CanaryStep, s stepShows) bool {
	switch {
	case step.SetWeight != nil:
		return s.atScale && (!s.routed || s.traffic.CanaryWeight == s.weight)
	case step.SetCanaryScale != nil:
		return s.atScale
	case step.SetHeaderRoute != nil:
		return s.routesKnown && sameRoutes(s.traffic.HeaderRoutes, s.routes)
	}
	return false
}
