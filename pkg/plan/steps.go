package plan

import (
	"encoding/json"
	"fmt"
	"hash/fnv"
	"strconv"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/rand"

	"github.com/serin-dev/serin/pkg/apis/rollouts/v1alpha1"
)

// SetWeightAt is the traffic weight in force at step idx: that of the last setWeight at
// or before it, 0 before any, and maxWeight once every step has run.
func SetWeightAt(steps []v1alpha1.CanaryStep, idx, maxWeight int32) int32 {
	if int(idx) >= len(steps) {
		return maxWeight
	}
	var w int32
	for i := int32(0); i <= idx; i++ {
		if steps[i].SetWeight != nil {
			w = *steps[i].SetWeight
		}
	}
	return w
}

// CanaryReplicasAt is the size of the canary at step idx: the last setCanaryScale's
// replicas or weight, unless a later matchTrafficWeight cancelled it, else the share of
// replicas the traffic weight calls for; every replica once the steps have run.
func CanaryReplicasAt(steps []v1alpha1.CanaryStep, idx, replicas, maxWeight int32) int32 {
	if int(idx) >= len(steps) {
		return replicas
	}
	var weight int32
	var override *int32
	for i := int32(0); i <= idx; i++ {
		switch s := steps[i]; {
		case s.SetWeight != nil:
			weight = *s.SetWeight
		case s.SetCanaryScale != nil && s.SetCanaryScale.MatchTrafficWeight:
			override = nil
		case s.SetCanaryScale != nil && s.SetCanaryScale.Replicas != nil:
			override = int32p(*s.SetCanaryScale.Replicas)
		case s.SetCanaryScale != nil && s.SetCanaryScale.Weight != nil:
			override = int32p(weightedReplicas(replicas, *s.SetCanaryScale.Weight, 100))
		}
	}
	if override != nil {
		return *override
	}
	return weightedReplicas(replicas, weight, maxWeight)
}

// HeaderRoutesAt is the header and cookie routes in force at step idx: each
// setHeaderRoute adds or replaces its route, one without match removes it.
func HeaderRoutesAt(steps []v1alpha1.CanaryStep, idx int32) []v1alpha1.SetHeaderRoute {
	last := min(int(idx), len(steps)-1)
	var routes []v1alpha1.SetHeaderRoute
	for i := 0; i <= last; i++ {
		hr := steps[i].SetHeaderRoute
		if hr == nil {
			continue
		}
		kept := routes[:0:0]
		for _, r := range routes {
			if r.Name != hr.Name {
				kept = append(kept, r)
			}
		}
		routes = kept
		if len(hr.Match) > 0 {
			routes = append(routes, *hr.DeepCopy())
		}
	}
	return routes
}

// StepsHash identifies a list of steps; when it changes mid-rollout the steps restart.
func StepsHash(steps []v1alpha1.CanaryStep) string {
	b, err := json.Marshal(steps)
	if err != nil {
		panic(err) // steps always marshal
	}
	h := fnv.New32a()
	h.Write(b)
	return rand.SafeEncodeString(strconv.FormatUint(uint64(h.Sum32()), 10))
}

// DescribeStep is a canary step in a few words: "setWeight 20", "pause 30s", "pause"
// (events, status messages, the plugin and its preview all say it so).
func DescribeStep(s *v1alpha1.CanaryStep) string {
	switch {
	case s.SetWeight != nil:
		return fmt.Sprintf("setWeight %d", *s.SetWeight)
	case s.Pause != nil && s.Pause.Duration != nil:
		return "pause " + s.Pause.Duration.String()
	case s.Pause != nil:
		return "pause"
	case s.SetCanaryScale != nil && s.SetCanaryScale.Replicas != nil:
		return fmt.Sprintf("setCanaryScale replicas %d", *s.SetCanaryScale.Replicas)
	case s.SetCanaryScale != nil && s.SetCanaryScale.Weight != nil:
		return fmt.Sprintf("setCanaryScale weight %d", *s.SetCanaryScale.Weight)
	case s.SetCanaryScale != nil:
		return "setCanaryScale matchTrafficWeight"
	case s.SetHeaderRoute != nil:
		return "setHeaderRoute " + s.SetHeaderRoute.Name
	case s.Analysis != nil:
		return "analysis"
	}
	return "step"
}

func findPause(conds []v1alpha1.PauseCondition, reason v1alpha1.PauseReason) *v1alpha1.PauseCondition {
	for i := range conds {
		if conds[i].Reason == reason {
			return &conds[i]
		}
	}
	return nil
}

func removePause(conds []v1alpha1.PauseCondition, reason v1alpha1.PauseReason) []v1alpha1.PauseCondition {
	var out []v1alpha1.PauseCondition
	for _, c := range conds {
		if c.Reason != reason {
			out = append(out, c)
		}
	}
	return out
}

// canaryCapacity is what decides how much traffic a canary can carry: its pods wanted at
// this step and at the step before, and those available, out of the rollout's replicas.
type canaryCapacity struct {
	replicas  int32 // spec.replicas
	desired   int32 // canary pods this step asks for (setCanaryScale may make it fewer)
	before    int32 // canary pods the step before asked for: those that carry the weight in place
	available int32 // canary pods available now
	maxWeight int32
}

// podsFor is how many pods weight w needs when the canary is sized for size pods: its share
// of replicas, or fewer when setCanaryScale sized the canary smaller on purpose.
func (c canaryCapacity) podsFor(w, size int32) int32 {
	return min(size, weightedReplicas(c.replicas, w, c.maxWeight))
}

// carried is the share of weight w that the canary's available pods can carry when it is
// sized for size pods: w once the pods w needs are all available, in proportion to them
// before (invariant 1).
func (c canaryCapacity) carried(w, size int32) int32 {
	return cappedWeight(w, c.available, c.podsFor(w, size))
}

// allowedWeight is the weight the canary may have when the step asks for weight and the
// router applies current. Traffic moves one way within a revision (invariant 7): a step
// that raises the weight keeps the weight in place while the pods that carry it (sized at
// the step before) are available, and rises as its new pods come up; it goes down only to
// a step's lower weight, or as far as pods that carried it stopped being available.
func allowedWeight(c canaryCapacity, weight, current int32) int32 {
	allowed := c.carried(weight, c.desired)
	if allowed >= weight {
		return weight
	}
	held := min(current, weight)
	keep := c.carried(held, c.before)
	if c.available <= c.podsFor(held, c.before) {
		// No pod beyond those that carry the weight in place: keep it, or what is left of it.
		return keep
	}
	return max(allowed, keep)
}

// cappedWeight is the weight the canary may receive with available of its desired pods
// up: none without a pod, and a share of the step's weight in proportion to the pods up
// (docs/design.md invariant 1).
func cappedWeight(weight, available, desired int32) int32 {
	if weight <= 0 || available <= 0 || desired <= 0 {
		return 0
	}
	if available >= desired {
		return weight
	}
	return int32(int64(weight) * int64(available) / int64(desired))
}

func desiredReplicas(ro *v1alpha1.Rollout) int32 {
	if ro.Spec.Replicas == nil {
		return defaultReplicas
	}
	return *ro.Spec.Replicas
}

func maxWeight(c *v1alpha1.CanaryStrategy) int32 {
	if c.TrafficRouting != nil && c.TrafficRouting.MaxTrafficWeight != nil {
		return *c.TrafficRouting.MaxTrafficWeight
	}
	return defaultMaxWeight
}

func clampIndex(idx *int32, n int) int32 {
	if idx == nil || *idx < 0 {
		return 0
	}
	return min(*idx, int32(n))
}

func int32OrDefault(v *int32, def int32) int32 {
	if v == nil {
		return def
	}
	return *v
}

func int32p(v int32) *int32 { return &v }

// metaNow is now as the API stores it: whole seconds, rounded up so that a pause timed
// from it is never shorter than asked (the controller reports the exact start it saw in
// Input.ObservedPauses; see pauseStart).
func (p *planner) metaNow() metav1.Time {
	t := p.now.Truncate(time.Second)
	if t.Before(p.now) {
		t = t.Add(time.Second)
	}
	return metav1.NewTime(t)
}
