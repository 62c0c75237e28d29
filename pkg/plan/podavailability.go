package plan

import (
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"

	"github.com/serin-dev/serin/pkg/replicaset"
)

// ReadyPods are the pods of one ReplicaSet that may serve, as the pod cache shows them:
// Ready and not being deleted. The plan counts those available (Ready for the
// ReplicaSet's minReadySeconds) and trusts the ReplicaSet's status no further than that
// count: the status lags its pods (it kept counting pods that were all terminating when
// a ReplicaSet scaled to 0 was scaled back up).
type ReadyPods struct {
	// Since holds, for each such pod, when its Ready condition last turned True; zero
	// when the pod does not say (the pod then counts as available).
	Since []time.Time
}

// ReadyPodsOf are the pods among pods that are Ready and have no deletionTimestamp.
func ReadyPodsOf(pods []*corev1.Pod) ReadyPods {
	var r ReadyPods
	for _, pod := range pods {
		if pod.DeletionTimestamp != nil {
			continue
		}
		if !replicaset.PodReady(pod) {
			continue
		}
		for _, c := range pod.Status.Conditions {
			if c.Type == corev1.PodReady {
				r.Since = append(r.Since, c.LastTransitionTime.Time)
				break
			}
		}
	}
	if r.Since == nil {
		r.Since = []time.Time{}
	}
	return r
}

// available is rs's available pods for traffic and promotion decisions: its status'
// count (availableOf), and no more than its pods show available when the plan has them
// (Input.ReadyPods, else Input.Pods during a restart). A pod Ready but not yet for
// minReadySeconds asks for a requeue when it will be.
func (p *planner) available(rs *appsv1.ReplicaSet) int32 {
	n := availableOf(rs)
	if rs == nil {
		return n
	}
	if rp, ok := p.in.ReadyPods[rs.Name]; ok {
		return min(n, p.podsAvailable(rp, rs.Spec.MinReadySeconds))
	}
	if p.in.Pods == nil {
		return n
	}
	ready := int32(0)
	for _, pod := range p.in.Pods {
		if pod.Labels[hashLabel] == hashOf(rs) && pod.DeletionTimestamp == nil && replicaset.PodReady(pod) {
			ready++
		}
	}
	return min(n, ready)
}

// podsAvailable counts the pods of rp Ready for at least minReadySeconds by now, and
// asks for a sync when the next of the others will be.
func (p *planner) podsAvailable(rp ReadyPods, minReadySeconds int32) int32 {
	wait := time.Duration(minReadySeconds) * time.Second
	n := int32(0)
	for _, since := range rp.Since {
		at := since.Add(wait)
		if since.IsZero() || !at.After(p.now) {
			n++
			continue
		}
		p.requeueAt(at)
	}
	return n
}

// fullyAvailable reports whether rs runs exactly replicas pods, all available.
func (p *planner) fullyAvailable(rs *appsv1.ReplicaSet, replicas int32) bool {
	return rs != nil && replicasOf(rs) == replicas && p.available(rs) >= replicas
}
