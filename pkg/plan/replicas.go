package plan

import (
	"math"

	"k8s.io/apimachinery/pkg/util/intstr"
)

// Default values of the canary strategy, as Argo Rollouts defines them.
const (
	defaultReplicas              = 1
	defaultMaxWeight             = 100
	defaultScaleDownDelaySeconds = 30
	defaultAbortScaleDownDelay   = 30
	defaultProgressDeadline      = 600
	defaultRevisionHistoryLimit  = 10
)

var defaultSurgeOrUnavailable = intstr.FromString("25%")

// resolve turns an int or percentage of total into a count: percentages round up for
// maxSurge and down for maxUnavailable, as Deployments do.
func resolve(v *intstr.IntOrString, total int32, roundUp bool) int32 {
	if v == nil {
		v = &defaultSurgeOrUnavailable
	}
	n, err := intstr.GetScaledValueFromIntOrPercent(v, int(total), roundUp)
	if err != nil || n < 0 {
		// Validation refuses such values before a plan is made; be conservative here.
		return 0
	}
	return int32(n)
}

// surgeAndUnavailable resolves maxSurge and maxUnavailable against replicas. When both
// come out as 0 (e.g. 10% of 3 rounds down), one pod may be unavailable so the update
// can move at all, as Deployments do.
func surgeAndUnavailable(surge, unavailable *intstr.IntOrString, replicas int32) (int32, int32) {
	s := resolve(surge, replicas, true)
	u := resolve(unavailable, replicas, false)
	if s == 0 && u == 0 {
		u = 1
	}
	return s, u
}

// weightedReplicas is ceil(replicas * weight / maxWeight): a canary at a non-zero
// weight always gets at least one pod.
func weightedReplicas(replicas, weight, maxWeight int32) int32 {
	if weight <= 0 || replicas <= 0 {
		return 0
	}
	if weight >= maxWeight {
		return replicas
	}
	return int32(math.Ceil(float64(replicas) * float64(weight) / float64(maxWeight)))
}

// rsCounts is a ReplicaSet's current size and available pods.
type rsCounts struct {
	replicas  int32
	available int32
}

// basicCanaryTargets computes one step of the replica-weighted canary (no router): the
// canary moves toward desiredNew and the stable and older ReplicaSets toward
// replicas-desiredNew and 0, never running more than replicas+maxSurge pods and never
// scaling down below replicas-maxUnavailable available pods. Unavailable pods of old
// ReplicaSets are removed first; they cost no availability.
//
// It returns the target sizes of newRS, stableRS and each of the others, in order.
func basicCanaryTargets(replicas, desiredNew, surge, unavailable int32, newRS, stable rsCounts, others []rsCounts) (int32, int32, []int32) {
	desiredStable := replicas - desiredNew
	avail := newRS.available + stable.available
	for _, o := range others {
		avail += o.available
	}

	// Scale down first what is above its target, within the availability budget.
	budget := avail - (replicas - unavailable)
	down := func(c rsCounts, target int32) int32 {
		if c.replicas <= target {
			return c.replicas
		}
		excess := c.replicas - target
		free := min(excess, c.replicas-c.available)
		paid := min(excess-free, max(budget, 0))
		budget -= paid
		return c.replicas - free - paid
	}
	otherTargets := make([]int32, len(others))
	for i, o := range others {
		otherTargets[i] = down(o, 0)
	}
	stableTarget := down(stable, desiredStable)
	newTarget := down(newRS, desiredNew)

	// Then scale up what is below its target, within the surge room left after the
	// scale-downs above (scaled-down pods no longer count, as for Deployments).
	planned := newTarget + stableTarget
	for _, t := range otherTargets {
		planned += t
	}
	room := replicas + surge - planned
	up := func(cur, target int32) int32 {
		if cur >= target || room <= 0 {
			return cur
		}
		add := min(target-cur, room)
		room -= add
		return cur + add
	}
	newTarget = up(newTarget, desiredNew)
	stableTarget = up(stableTarget, desiredStable)
	return newTarget, stableTarget, otherTargets
}
