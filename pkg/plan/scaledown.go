package plan

import (
	"slices"
	"time"

	appsv1 "k8s.io/api/apps/v1"

	"github.com/serin-dev/serin/pkg/apis/rollouts/v1alpha1"
)

// scaleDownAfter scales rs to zero delaySeconds after it was first asked to: the first
// sync writes the deadline on the ReplicaSet (so a restarted controller keeps it), later
// syncs scale down once it has passed, woken by a delayed requeue.
func (p *planner) scaleDownAfter(rs *appsv1.ReplicaSet, delaySeconds int32) {
	if rs == nil || rs == p.create || replicasOf(rs) == 0 {
		return
	}
	deadline, ok := scaleDownDeadline(rs)
	if !ok {
		deadline = p.metaNow().Add(time.Duration(delaySeconds) * time.Second)
		value := deadline.UTC().Format(time.RFC3339)
		p.annotateRS(rs, AnnotationScaleDownDeadline, &value)
	}
	if p.now.Before(deadline) {
		p.requeueAt(deadline)
		return
	}
	p.scale(rs, 0)
}

// scaleDownOthers takes every ReplicaSet that is neither new nor stable (nor except) to
// zero: at its deadline when it has one (an old stable waiting out scaleDownDelaySeconds),
// at once otherwise (a superseded canary, which the plan has already taken traffic from).
func (p *planner) scaleDownOthers(except *appsv1.ReplicaSet) {
	for _, rs := range p.revs.others {
		if rs == except || replicasOf(rs) == 0 {
			continue
		}
		if _, ok := scaleDownDeadline(rs); ok {
			p.scaleDownAfter(rs, 0)
			continue
		}
		p.scale(rs, 0)
	}
}

// waitingScaleDown reports whether rs waits out a scale-down delay once this plan is
// applied: it has a deadline, in the cluster or written by this plan, and this plan does
// not remove it.
func (p *planner) waitingScaleDown(rs *appsv1.ReplicaSet) bool {
	if v, ok := p.annotate[rs.Name][AnnotationScaleDownDeadline]; ok {
		return v != nil
	}
	_, ok := scaleDownDeadline(rs)
	return ok
}

// clearScaleDownDeadline removes a deadline left by an abort once the ReplicaSet is the
// canary again (retry).
func (p *planner) clearScaleDownDeadline(rs *appsv1.ReplicaSet) {
	if rs == nil || rs == p.create {
		return
	}
	if _, ok := rs.Annotations[AnnotationScaleDownDeadline]; ok {
		p.annotateRS(rs, AnnotationScaleDownDeadline, nil)
	}
}

func scaleDownDeadline(rs *appsv1.ReplicaSet) (time.Time, bool) {
	v, ok := rs.Annotations[AnnotationScaleDownDeadline]
	if !ok {
		return time.Time{}, false
	}
	t, err := time.Parse(time.RFC3339, v)
	if err != nil {
		// A deadline nobody can read is treated as passed.
		return time.Time{}, true
	}
	return t, true
}

// basicTargets sizes newRS, stableRS and the others for a canary without a router.
func (p *planner) basicTargets(newRS, stableRS *appsv1.ReplicaSet, desiredNew int32) {
	c := p.ro.Spec.Strategy.Canary
	replicas := desiredReplicas(p.ro)
	surge, unavailable := surgeAndUnavailable(c.MaxSurge, c.MaxUnavailable, replicas)
	counts := func(rs *appsv1.ReplicaSet) rsCounts {
		if rs == nil || rs == p.create {
			return rsCounts{}
		}
		return rsCounts{replicas: replicasOf(rs), available: p.available(rs)}
	}
	var others []*appsv1.ReplicaSet
	var otherCounts []rsCounts
	for _, rs := range p.revs.others {
		if rs != newRS && rs != stableRS {
			others = append(others, rs)
			otherCounts = append(otherCounts, counts(rs))
		}
	}
	n, s, o := basicCanaryTargets(replicas, desiredNew, surge, unavailable, counts(newRS), counts(stableRS), otherCounts)
	p.scale(newRS, n)
	p.scale(stableRS, s)
	for i, rs := range others {
		p.scale(rs, o[i])
	}
}

// setTraffic asks the router for a weight and header routes, unless it applies them
// already.
func (p *planner) setTraffic(weight int32, routes []v1alpha1.SetHeaderRoute) {
	if cur := p.in.Traffic; cur != nil && !cur.OutOfSync && cur.CanaryWeight == weight && sameRoutes(cur.HeaderRoutes, routes) {
		p.traffic = nil
		return
	}
	p.traffic = &SetTraffic{CanaryWeight: weight, HeaderRoutes: routes}
}

func sameRoutes(a, b []v1alpha1.SetHeaderRoute) bool {
	return slices.EqualFunc(a, b, func(x, y v1alpha1.SetHeaderRoute) bool {
		return x.Name == y.Name && slices.EqualFunc(x.Match, y.Match, func(m, n v1alpha1.HeaderRoutingMatch) bool {
			return m.HeaderName == n.HeaderName && m.CookieName == n.CookieName &&
				(m.HeaderValue == nil) == (n.HeaderValue == nil) && (m.HeaderValue == nil || *m.HeaderValue == *n.HeaderValue)
		})
	})
}

// pendingScale reports whether this plan creates or resizes a ReplicaSet.
func (p *planner) pendingScale() bool { return p.create != nil || len(p.scales) > 0 }

// anyOtherAvailable reports whether a ReplicaSet other than rs has available pods.
func (p *planner) anyOtherAvailable(rs *appsv1.ReplicaSet) bool {
	for _, o := range p.in.ReplicaSets {
		if o != rs && p.available(o) > 0 {
			return true
		}
	}
	return false
}
