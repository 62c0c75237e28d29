package plan

import (
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/serin-dev/serin/pkg/apis/rollouts/v1alpha1"
)

// finishStatus fills the observed counts, the traffic weights, the phase, message and
// conditions. blocked is a reason the rollout cannot act at all (an invalid spec), "" if
// none. Timestamps change only with what they time, so an unchanged rollout gets an
// unchanged status and the controller writes nothing.
func (p *planner) finishStatus(blocked string) {
	ro, s := p.ro, &p.status
	s.ObservedGeneration = ro.Generation
	if ro.Spec.Selector != nil {
		if sel, err := metav1.LabelSelectorAsSelector(ro.Spec.Selector); err == nil {
			s.Selector = sel.String()
		}
	}
	s.Replicas, s.ReadyReplicas, s.AvailableReplicas, s.UpdatedReplicas = 0, 0, 0, 0
	for _, rs := range p.in.ReplicaSets {
		s.Replicas += rs.Status.Replicas
		s.ReadyReplicas += rs.Status.ReadyReplicas
		s.AvailableReplicas += rs.Status.AvailableReplicas
		if hashOf(rs) == p.revs.hash {
			s.UpdatedReplicas = rs.Status.Replicas
		}
	}
	s.HPAReplicas = s.AvailableReplicas
	p.setWeights()

	replicas := desiredReplicas(ro)
	newRS := p.revs.newRS
	healthy := blocked == "" && s.StableRS == p.revs.hash && newRS != p.create &&
		s.UpdatedReplicas == replicas && availableOf(newRS) >= replicas && s.Replicas == replicas
	paused := ro.Spec.Paused || len(s.PauseConditions) > 0
	trafficProblem := ""
	if p.in.Traffic != nil && ro.Spec.Strategy.Canary != nil && ro.Spec.Strategy.Canary.TrafficRouting != nil {
		trafficProblem = p.in.Traffic.Problem
	}

	if blocked != "" {
		p.condition(v1alpha1.InvalidSpec, corev1.ConditionTrue, v1alpha1.ReasonInvalidSpec, blocked)
	} else {
		p.removeCondition(v1alpha1.InvalidSpec)
	}
	if trafficProblem != "" {
		p.condition(v1alpha1.TrafficRoutingError, corev1.ConditionTrue, v1alpha1.ReasonTrafficRoutingError, trafficProblem)
	} else {
		p.removeCondition(v1alpha1.TrafficRoutingError)
	}
	deadlineExceeded := p.progress(blocked != "" || healthy || paused || s.Abort)
	p.conditionIf(v1alpha1.RolloutAvailable, s.AvailableReplicas >= replicas, v1alpha1.ReasonAvailable, "Rollout has minimum availability", v1alpha1.ReasonNotAvailable, "Rollout does not have minimum availability")
	p.conditionIf(v1alpha1.RolloutHealthy, healthy, v1alpha1.ReasonHealthy, "Rollout is healthy", v1alpha1.ReasonNotHealthy, "Rollout is not healthy")
	p.conditionIf(v1alpha1.RolloutCompleted, s.StableRS == p.revs.hash && blocked == "", v1alpha1.ReasonCompleted, "Rollout completed update to the current revision", v1alpha1.ReasonNotCompleted, "Rollout not completed")
	p.conditionIf(v1alpha1.RolloutPaused, paused, v1alpha1.ReasonPaused, "Rollout is paused", v1alpha1.ReasonResumed, "Rollout is not paused")

	switch {
	case blocked != "":
		s.Phase, s.Message = v1alpha1.RolloutPhaseDegraded, "InvalidSpec: "+blocked
	case trafficProblem != "":
		s.Phase, s.Message = v1alpha1.RolloutPhaseDegraded, v1alpha1.ReasonTrafficRoutingError+": "+trafficProblem
		if ro.Status.Message != s.Message {
			p.warning(v1alpha1.ReasonTrafficRoutingError, trafficProblem)
		}
	case s.Abort:
		s.Phase, s.Message = v1alpha1.RolloutPhaseDegraded, fmt.Sprintf("%s: Rollout aborted update to revision %d", v1alpha1.ReasonAborted, p.revs.revision)
		for _, r := range p.runStatuses() {
			if kind, st := r.kind, *r.st; keepFailed(st) != nil {
				s.Message += fmt.Sprintf(": %s AnalysisRun %s %s", kind, st.Name, st.Status)
				if st.Message != "" {
					s.Message += ": " + st.Message
				}
			}
		}
	case deadlineExceeded:
		s.Phase, s.Message = v1alpha1.RolloutPhaseDegraded, fmt.Sprintf("%s: ReplicaSet %q has timed out progressing", v1alpha1.ReasonProgressDeadline, rsName(p))
	case ro.Spec.Paused:
		s.Phase, s.Message = v1alpha1.RolloutPhasePaused, "manually paused"
	case len(s.PauseConditions) > 0:
		s.Phase, s.Message = v1alpha1.RolloutPhasePaused, string(s.PauseConditions[0].Reason)
	case healthy:
		s.Phase, s.Message = v1alpha1.RolloutPhaseHealthy, ""
	default:
		s.Phase, s.Message = v1alpha1.RolloutPhaseProgressing, p.progressMessage()
	}
}

// progress maintains the Progressing condition and reports whether the progress deadline
// is exceeded. Progress is any change this plan makes or any change in the counts since
// the last status; while idle (healthy, paused, aborted, invalid) the clock does not run.
func (p *planner) progress(idle bool) bool {
	s, old := &p.status, &p.ro.Status
	cond := findCondition(s.Conditions, v1alpha1.RolloutProgressing)
	moved := p.pendingScale() || len(p.selectors) > 0 || p.traffic != nil ||
		s.Replicas != old.Replicas || s.UpdatedReplicas != old.UpdatedReplicas ||
		s.AvailableReplicas != old.AvailableReplicas || s.StableRS != old.StableRS ||
		!equalIndex(s.CurrentStepIndex, old.CurrentStepIndex)
	switch {
	case idle:
		reason := v1alpha1.ReasonNewReplicaSetAvailable
		if s.StableRS != p.revs.hash {
			reason = v1alpha1.ReasonPaused
		}
		p.condition(v1alpha1.RolloutProgressing, corev1.ConditionTrue, reason, "Rollout is not progressing: nothing to do until it changes")
		return false
	case moved || cond == nil || cond.Reason != v1alpha1.ReasonReplicaSetUpdated && cond.Reason != v1alpha1.ReasonProgressDeadline:
		p.setCondition(v1alpha1.RolloutProgressing, corev1.ConditionTrue, v1alpha1.ReasonReplicaSetUpdated,
			fmt.Sprintf("ReplicaSet %q is progressing", rsName(p)), true)
		cond = findCondition(p.status.Conditions, v1alpha1.RolloutProgressing)
	}
	if cond.Reason == v1alpha1.ReasonProgressDeadline {
		return true
	}
	deadline := time.Duration(int32OrDefault(p.ro.Spec.ProgressDeadlineSeconds, defaultProgressDeadline)) * time.Second
	end := cond.LastUpdateTime.Add(deadline)
	if p.now.Before(end) {
		p.requeueAt(end)
		return false
	}
	msg := fmt.Sprintf("ReplicaSet %q has timed out progressing", rsName(p))
	p.condition(v1alpha1.RolloutProgressing, corev1.ConditionFalse, v1alpha1.ReasonProgressDeadline, msg)
	p.warning(v1alpha1.ReasonProgressDeadline, msg)
	if p.ro.Spec.ProgressDeadlineAbort {
		p.status.Abort = true
	}
	return true
}

func (p *planner) progressMessage() string {
	// No "created ReplicaSet" message: it would change again a moment later, and cost a
	// status write of its own (the NewReplicaSetCreated event says it).
	switch {
	case p.status.StableRS == p.revs.hash && p.create == nil:
		return "old replicas are pending termination"
	case p.ro.Spec.Strategy.BlueGreen != nil:
		if p.status.BlueGreen.ActiveSelector == p.revs.hash {
			return "active switched to the new revision: waiting for post-promotion analysis"
		}
		return fmt.Sprintf("revision %d coming up beside the active one", p.revs.revision)
	}
	c := p.ro.Spec.Strategy.Canary
	idx := clampIndex(p.status.CurrentStepIndex, len(c.Steps))
	switch {
	case int(idx) < len(c.Steps):
		return fmt.Sprintf("step %d/%d: %s", idx+1, len(c.Steps), DescribeStep(&c.Steps[idx]))
	default:
		return "waiting for the new revision to be fully available"
	}
}

// setWeights records the traffic split this plan leaves in place (routed canary only).
func (p *planner) setWeights() {
	c := p.ro.Spec.Strategy.Canary
	if c == nil || c.TrafficRouting == nil {
		p.status.Canary.Weights = nil
		return
	}
	w := p.currentWeight()
	if p.traffic != nil {
		w = p.traffic.CanaryWeight
	}
	p.status.Canary.Weights = &v1alpha1.TrafficWeights{
		Canary: v1alpha1.WeightDestination{Weight: w, ServiceName: c.CanaryService, PodTemplateHash: p.revs.hash},
		Stable: v1alpha1.WeightDestination{Weight: maxWeight(c) - w, ServiceName: c.StableService, PodTemplateHash: p.status.StableRS},
	}
}

func rsName(p *planner) string {
	if p.revs.newRS != nil {
		return p.revs.newRS.Name
	}
	return p.ro.Name
}

func equalIndex(a, b *int32) bool {
	return (a == nil) == (b == nil) && (a == nil || *a == *b)
}

func findCondition(conds []v1alpha1.RolloutCondition, t v1alpha1.RolloutConditionType) *v1alpha1.RolloutCondition {
	for i := range conds {
		if conds[i].Type == t {
			return &conds[i]
		}
	}
	return nil
}

func (p *planner) conditionIf(t v1alpha1.RolloutConditionType, ok bool, yesReason, yesMsg, noReason, noMsg string) {
	if ok {
		p.condition(t, corev1.ConditionTrue, yesReason, yesMsg)
	} else {
		p.condition(t, corev1.ConditionFalse, noReason, noMsg)
	}
}

func (p *planner) condition(t v1alpha1.RolloutConditionType, status corev1.ConditionStatus, reason, msg string) {
	p.setCondition(t, status, reason, msg, false)
}

// setCondition writes a condition, keeping its times unless something about it changed
// (or touch asks to mark progress).
func (p *planner) setCondition(t v1alpha1.RolloutConditionType, status corev1.ConditionStatus, reason, msg string, touch bool) {
	now := p.metaNow()
	if c := findCondition(p.status.Conditions, t); c != nil {
		if c.Status == status && c.Reason == reason && c.Message == msg && !touch {
			return
		}
		if c.Status != status {
			c.LastTransitionTime = now
		}
		c.Status, c.Reason, c.Message, c.LastUpdateTime = status, reason, msg, now
		return
	}
	p.status.Conditions = append(p.status.Conditions, v1alpha1.RolloutCondition{
		Type: t, Status: status, Reason: reason, Message: msg, LastUpdateTime: now, LastTransitionTime: now,
	})
}

func (p *planner) removeCondition(t v1alpha1.RolloutConditionType) {
	var out []v1alpha1.RolloutCondition
	for _, c := range p.status.Conditions {
		if c.Type != t {
			out = append(out, c)
		}
	}
	p.status.Conditions = out
}
