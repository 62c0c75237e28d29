package plan

import (
	"fmt"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/serin-dev/serin/pkg/apis/rollouts/v1alpha1"
)

// finishStatus fills the observed counts, the traffic weights, the phase, message and
// conditions. blocked is a reason the rollout cannot act at all (an invalid spec), "" if
// none. Timestamps change only with what they time, so an unchanged rollout gets an
// unchanged status and the controller writes nothing. What the status says is decided
// by pure functions of statusFacts (rolloutPhase, rolloutConditions); finishStatus
// gathers the facts and writes the answers.
func (p *planner) finishStatus(blocked string) {
	ro, s := p.ro, &p.status
	s.ObservedGeneration = ro.Generation
	if ro.Spec.Selector != nil {
		if sel, err := metav1.LabelSelectorAsSelector(ro.Spec.Selector); err == nil {
			s.Selector = sel.String()
		}
	}
	c := countReplicas(p.in.ReplicaSets, p.revs.hash, p.waitingScaleDown)
	s.Replicas, s.ReadyReplicas, s.AvailableReplicas, s.UpdatedReplicas = c.replicas, c.ready, c.available, c.updated
	s.HPAReplicas = s.AvailableReplicas
	p.setWeights()

	f := statusFacts{
		desired:    desiredReplicas(ro),
		counts:     c,
		blocked:    blocked,
		promoted:   s.StableRS == p.revs.hash,
		created:    p.revs.newRS != nil && p.revs.newRS != p.create,
		newRSAvail: availableOf(p.revs.newRS),
		specPaused: ro.Spec.Paused,
		aborted:    s.Abort,
		revision:   p.revs.revision,
		newRSName:  rsName(p),
	}
	if len(s.PauseConditions) > 0 {
		f.pauseReason = string(s.PauseConditions[0].Reason)
	}
	if p.in.Traffic != nil && ro.Spec.Strategy.Canary != nil && ro.Spec.Strategy.Canary.TrafficRouting != nil {
		f.trafficProblem = p.in.Traffic.Problem
	}
	if f.aborted {
		f.abortCause = p.abortCause()
	}
	if c := findCondition(s.Conditions, v1alpha1.PodsFailing); c != nil {
		f.podsFailing = c.Message
	}

	if blocked != "" {
		p.condition(v1alpha1.InvalidSpec, corev1.ConditionTrue, v1alpha1.ReasonInvalidSpec, blocked)
	} else {
		p.removeCondition(v1alpha1.InvalidSpec)
	}
	if f.trafficProblem != "" {
		p.condition(v1alpha1.TrafficRoutingError, corev1.ConditionTrue, v1alpha1.ReasonTrafficRoutingError, f.trafficProblem)
	} else {
		p.removeCondition(v1alpha1.TrafficRoutingError)
	}
	f.deadlineExceeded = p.progress(blocked != "" || f.healthy() || f.paused() || f.aborted)
	for _, c := range rolloutConditions(f) {
		p.condition(c.Type, c.Status, c.Reason, c.Message)
	}
	if phase, _ := rolloutPhase(f); phase == v1alpha1.RolloutPhaseProgressing {
		f.progressMessage = p.progressMessage()
	}
	s.Phase, s.Message = rolloutPhase(f)
	if blocked == "" && f.trafficProblem != "" && ro.Status.Message != s.Message {
		p.warning(v1alpha1.ReasonTrafficRoutingError, f.trafficProblem)
	}
}

// replicaCounts are the pods of a Rollout's ReplicaSets, as their status counts them.
type replicaCounts struct {
	replicas, ready, available int32
	// updated are the pods of the current template's ReplicaSet.
	updated int32
	// waiting are the pods of other ReplicaSets waiting out a scale-down delay: they go
	// down in the background and do not hold Healthy back. They count in replicas too.
	waiting int32
}

// countReplicas adds up the counts of rss; hash is the current template's, waiting says
// whether a ReplicaSet waits out a scale-down delay.
func countReplicas(rss []*appsv1.ReplicaSet, hash string, waiting func(*appsv1.ReplicaSet) bool) replicaCounts {
	var c replicaCounts
	for _, rs := range rss {
		c.replicas += rs.Status.Replicas
		c.ready += rs.Status.ReadyReplicas
		c.available += rs.Status.AvailableReplicas
		switch {
		case hashOf(rs) == hash:
			c.updated = rs.Status.Replicas
		case waiting(rs):
			c.waiting += rs.Status.Replicas
		}
	}
	return c
}

// statusFacts is what the phase, message and conditions are decided from.
type statusFacts struct {
	desired int32 // spec.replicas
	counts  replicaCounts
	// blocked is why the rollout cannot act at all (InvalidSpec), "" when it can.
	blocked string
	// trafficProblem is why the router cannot act (routed canary only), "" when it can.
	trafficProblem string
	// promoted: the current template is the stable one.
	promoted bool
	// created: the current template's ReplicaSet exists (not only planned).
	created    bool
	newRSAvail int32 // available pods of the current template's ReplicaSet
	specPaused bool
	// pauseReason is the first pause condition's reason, "" without one.
	pauseReason string
	aborted     bool
	// abortCause names the failed AnalysisRuns behind an abort (": step AnalysisRun ...").
	abortCause       string
	deadlineExceeded bool
	revision         int64
	newRSName        string
	// progressMessage says where a progressing update is.
	progressMessage string
	// podsFailing is why the current revision's pods do not become available (the
	// PodsFailing condition's message), "" when nothing says.
	podsFailing string
}

// healthy: the current template is stable (so it carries all traffic) and runs every
// replica, all available, and nothing else runs but old ReplicaSets waiting out their
// scaleDownDelaySeconds, which go down in the background (Argo's meaning of Healthy).
func (f statusFacts) healthy() bool {
	return f.blocked == "" && f.promoted && f.created && f.counts.updated == f.desired &&
		f.newRSAvail >= f.desired && f.counts.replicas-f.counts.waiting == f.desired
}

func (f statusFacts) paused() bool { return f.specPaused || f.pauseReason != "" }

// rolloutPhase is the phase and message the status shows, the first that applies of:
// an invalid spec, a router that cannot act, an abort, a missed progress deadline, a
// pause (by the user, then by the controller), healthy, else progressing.
func rolloutPhase(f statusFacts) (v1alpha1.RolloutPhase, string) {
	switch {
	case f.blocked != "":
		return v1alpha1.RolloutPhaseDegraded, v1alpha1.ReasonInvalidSpec + ": " + f.blocked
	case f.trafficProblem != "":
		return v1alpha1.RolloutPhaseDegraded, v1alpha1.ReasonTrafficRoutingError + ": " + f.trafficProblem
	case f.aborted:
		return v1alpha1.RolloutPhaseDegraded, fmt.Sprintf("%s: Rollout aborted update to revision %d%s", v1alpha1.ReasonAborted, f.revision, f.abortCause)
	case f.deadlineExceeded:
		return v1alpha1.RolloutPhaseDegraded, withCause(fmt.Sprintf("%s: ReplicaSet %q has timed out progressing", v1alpha1.ReasonProgressDeadline, f.newRSName), f.podsFailing)
	case f.specPaused:
		return v1alpha1.RolloutPhasePaused, "manually paused"
	case f.pauseReason != "":
		return v1alpha1.RolloutPhasePaused, f.pauseReason
	case f.healthy():
		return v1alpha1.RolloutPhaseHealthy, ""
	}
	return v1alpha1.RolloutPhaseProgressing, withCause(f.progressMessage, f.podsFailing)
}

// withCause is msg followed by why the pods fail, when something says.
func withCause(msg, podsFailing string) string {
	switch {
	case podsFailing == "":
		return msg
	case msg == "":
		return podsFailing
	}
	return msg + "; " + podsFailing
}

// rolloutConditions are the Available, Healthy, Completed and Paused conditions, in
// that order (the order they were first added in; a status keeps it).
func rolloutConditions(f statusFacts) []v1alpha1.RolloutCondition {
	cond := func(t v1alpha1.RolloutConditionType, ok bool, yesReason, yesMsg, noReason, noMsg string) v1alpha1.RolloutCondition {
		if ok {
			return v1alpha1.RolloutCondition{Type: t, Status: corev1.ConditionTrue, Reason: yesReason, Message: yesMsg}
		}
		return v1alpha1.RolloutCondition{Type: t, Status: corev1.ConditionFalse, Reason: noReason, Message: noMsg}
	}
	return []v1alpha1.RolloutCondition{
		cond(v1alpha1.RolloutAvailable, f.counts.available >= f.desired,
			v1alpha1.ReasonAvailable, "Rollout has minimum availability", v1alpha1.ReasonNotAvailable, "Rollout does not have minimum availability"),
		cond(v1alpha1.RolloutHealthy, f.healthy(),
			v1alpha1.ReasonHealthy, "Rollout is healthy", v1alpha1.ReasonNotHealthy, "Rollout is not healthy"),
		cond(v1alpha1.RolloutCompleted, f.promoted && f.blocked == "",
			v1alpha1.ReasonCompleted, "Rollout completed update to the current revision", v1alpha1.ReasonNotCompleted, "Rollout not completed"),
		cond(v1alpha1.RolloutPaused, f.paused(),
			v1alpha1.ReasonPaused, "Rollout is paused", v1alpha1.ReasonResumed, "Rollout is not paused"),
	}
}

// abortCause names each failed AnalysisRun still recorded, for the abort message.
func (p *planner) abortCause() string {
	out := p.failFastCause()
	for _, r := range p.runStatuses() {
		if kind, st := r.kind, *r.st; keepFailed(st) != nil {
			out += fmt.Sprintf(": %s AnalysisRun %s %s", kind, st.Name, st.Status)
			if st.Message != "" {
				out += ": " + st.Message
			}
		}
	}
	return out
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
