package plan

import (
	"fmt"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"

	"github.com/serin-dev/serin/pkg/apis/rollouts/v1alpha1"
	"github.com/serin-dev/serin/pkg/diagnosis"
)

// Why the current revision's pods do not become available, and spec.failFast.
//
// Every sync that has the pods (NeedsPods: while the current revision's ReplicaSet is
// not fully available) diagnoses them (pkg/diagnosis). What it finds is the PodsFailing
// condition (reason: the first cause; message: every cause with its pods), a part of the
// status message, and one Warning event per cause when the cause first appears: the
// condition it leaves is what the next sync compares against, so neither a restart nor
// a pod's every status change repeats the event.
//
// With spec.failFast (or the controller's default, Input.FailFast) a problem past its
// threshold aborts the update as any abort does (traffic first, invariant 3); the
// FailedFast condition keeps the pod, the cause and the threshold for the abort message
// until retry or a new revision. Only the current revision's pods count, and only
// before it is stable (blue-green: before the active Service selects it).

// failFastField names where the default thresholds come from, in messages.
const failFastField = "--fail-fast"

// diagnosable: the ReplicaSet of the current template (status.currentPodHash) lacks
// available pods, so its pods may say why.
func diagnosable(ro *v1alpha1.Rollout, rss []*appsv1.ReplicaSet) bool {
	for _, rs := range rss {
		if hashOf(rs) == ro.Status.CurrentPodHash && rs.Status.AvailableReplicas < replicasOf(rs) {
			return true
		}
	}
	return false
}

// podCauses are the causes the current revision's pods show (computed once per sync).
func (p *planner) podCauses() []diagnosis.Cause {
	if p.causes == nil {
		var pods []*corev1.Pod
		for _, pod := range p.in.Pods {
			if p.revs.hash != "" && pod.Labels[v1alpha1.DefaultRolloutUniqueLabelKey] == p.revs.hash {
				pods = append(pods, pod)
			}
		}
		p.causes = diagnosis.Pods(pods)
		if p.causes == nil {
			p.causes = []diagnosis.Cause{}
		}
	}
	return p.causes
}

// diagnose writes the PodsFailing condition and a Warning event per new cause.
func (p *planner) diagnose() {
	causes := p.podCauses()
	if len(causes) == 0 {
		p.removeCondition(v1alpha1.PodsFailing)
		return
	}
	var before string
	if c := findCondition(p.ro.Status.Conditions, v1alpha1.PodsFailing); c != nil {
		before = c.Message
	}
	for _, c := range causes {
		if !diagnosis.Mentions(before, c.Reason) {
			p.warning(c.Reason, fmt.Sprintf("revision %d: %s", p.revs.revision, c))
		}
	}
	p.condition(v1alpha1.PodsFailing, corev1.ConditionTrue, causes[0].Reason, diagnosis.Summary(causes))
}

// failFast aborts the update when a pod of the current revision is past a threshold of
// spec.failFast (or of the controller's default), and otherwise asks for a sync when the
// first time threshold would be crossed. It runs before the strategy plans, so that the
// abort is planned in the same sync.
func (p *planner) failFast(candidate bool) {
	s := &p.status
	if !s.Abort {
		p.removeCondition(v1alpha1.FailedFast)
	}
	ff, field := p.ro.Spec.FailFast, "spec.failFast"
	if ff == nil {
		ff, field = p.in.FailFast, failFastField
	}
	if ff == nil || s.Abort || !candidate || p.revs.hash == s.StableRS {
		return
	}
	for _, c := range p.podCauses() {
		for _, pr := range c.Problems {
			v := diagnosis.Exceeded(pr, ff, field, p.now)
			if v.Exceeded {
				s.Abort = true
				p.condition(v1alpha1.FailedFast, corev1.ConditionTrue, pr.Reason,
					fmt.Sprintf("pod %s: %s: %s (%s)", pr.Pod, pr.Reason, pr.Detail, v.Threshold))
				return
			}
			if !v.At.IsZero() {
				p.requeueAt(v.At)
			}
		}
	}
}

// failFastCause is ": failed fast: <the FailedFast message>" while an abort by
// fail-fast holds, else "".
func (p *planner) failFastCause() string {
	if c := findCondition(p.status.Conditions, v1alpha1.FailedFast); c != nil && p.status.Abort {
		return ": failed fast: " + c.Message
	}
	return ""
}
