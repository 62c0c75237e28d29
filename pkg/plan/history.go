package plan

import (
	appsv1 "k8s.io/api/apps/v1"
)

// cleanUpHistory deletes the oldest scaled-down ReplicaSets beyond
// spec.revisionHistoryLimit (default 10); those are what undo can go back to.
func (p *planner) cleanUpHistory() {
	limit := int(int32OrDefault(p.ro.Spec.RevisionHistoryLimit, defaultRevisionHistoryLimit))
	var idle []*appsv1.ReplicaSet
	for _, rs := range p.revs.others { // oldest revision first
		if _, resizing := p.scales[rs.Name]; !resizing && replicasOf(rs) == 0 && rs.Status.Replicas == 0 {
			idle = append(idle, rs)
		}
	}
	for i := 0; i < len(idle)-limit; i++ {
		name := idle[i].Name
		p.deletes = append(p.deletes, name)
	}
}

// limitDelayedScaleDowns applies scaleDownDelayRevisionLimit: of the old ReplicaSets still
// up while they wait out their scale-down delay, only the newest limit stay; older ones go
// down at once.
func (p *planner) limitDelayedScaleDowns(limit *int32) {
	if limit == nil {
		return
	}
	var waiting []*appsv1.ReplicaSet
	for _, rs := range p.revs.others { // oldest revision first
		if _, ok := scaleDownDeadline(rs); ok && replicasOf(rs) > 0 {
			if target, planned := p.scales[rs.Name]; !planned || target > 0 {
				waiting = append(waiting, rs)
			}
		}
	}
	for i := 0; i < len(waiting)-int(*limit); i++ {
		p.scale(waiting[i], 0)
	}
}
