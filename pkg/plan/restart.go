package plan

import (
	"fmt"
	"sort"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/serin-dev/serin/pkg/apis/rollouts/v1alpha1"
	"github.com/serin-dev/serin/pkg/replicaset"
)

// restart replaces, by eviction, every pod created before spec.restartAt, never letting
// more than maxUnavailable of the rollout's pods be unavailable at once. It does not touch
// the step the rollout is at. Once no older pod is left, status.restartedAt records it.
func (p *planner) restart(maxUnavailable *intstr.IntOrString) {
	at := p.ro.Spec.RestartAt
	if at == nil || p.status.RestartedAt != nil && !p.status.RestartedAt.Before(at) {
		return
	}
	if p.now.Before(at.Time) {
		p.requeueAt(at.Time) // a restart asked for later (or by a clock ahead of ours)
		return
	}
	// Unavailable: pods a ReplicaSet wants but does not have ready (an evicted pod that is
	// gone counts until its replacement is ready).
	ready := map[string]int32{}
	var older []*corev1.Pod
	for _, pod := range p.in.Pods {
		if pod.DeletionTimestamp != nil || !replicaset.PodReady(pod) {
			continue
		}
		h := pod.Labels[hashLabel]
		ready[h]++
		if pod.CreationTimestamp.Before(at) {
			older = append(older, pod)
		}
	}
	unavailable := int32(0)
	for _, rs := range p.in.ReplicaSets {
		unavailable += max(0, replicasOf(rs)-ready[hashOf(rs)])
	}
	if len(older) == 0 && unavailable == 0 {
		t := *at.DeepCopy()
		p.status.RestartedAt = &t
		p.normal(v1alpha1.ReasonRestarted, fmt.Sprintf("Restarted every pod created before %s", at.UTC().Format("2006-01-02T15:04:05Z")))
		return
	}
	// Wait for the ReplicaSets to settle (no scaling under way) before taking pods away.
	if p.pendingScale() {
		return
	}
	budget := resolve(maxUnavailable, desiredReplicas(p.ro), false)
	if budget == 0 {
		budget = 1
	}
	budget -= unavailable
	sort.Slice(older, func(i, j int) bool { return older[i].CreationTimestamp.Before(&older[j].CreationTimestamp) })
	stableHash := p.selectedHash(p.stableServiceName())
	for _, pod := range older {
		if budget <= 0 {
			break
		}
		h := pod.Labels[hashLabel]
		if ready[h] <= 1 {
			// Its ReplicaSet would have no ready pod left. The stable one keeps it (a restart
			// never costs downtime); a canary loses its traffic first, then the pod.
			if h == stableHash && stableHash != "" {
				continue
			}
			if c := p.ro.Spec.Strategy.Canary; h == p.revs.hash && c != nil && c.TrafficRouting != nil {
				p.setTraffic(0, nil)
			}
		}
		p.evictions = append(p.evictions, pod.Name)
		ready[h]--
		budget--
	}
}

func (p *planner) stableServiceName() string {
	if c := p.ro.Spec.Strategy.Canary; c != nil {
		return c.StableService
	}
	if bg := p.ro.Spec.Strategy.BlueGreen; bg != nil {
		return bg.ActiveService
	}
	return ""
}

const hashLabel = v1alpha1.DefaultRolloutUniqueLabelKey
