package plan

import (
	"fmt"

	"github.com/serin-dev/serin/pkg/apis/rollouts/v1alpha1"
	"github.com/serin-dev/serin/pkg/validation"
)

// canary plans one sync of a canary rollout. It sorts the rollout into one of three
// situations — the current template is the stable one, the update was aborted, or a
// canary is in progress — and plans that one.
func (p *planner) canary() {
	steps := p.ro.Spec.Strategy.Canary.Steps
	p.trackTemplateAndSteps()

	if p.status.StableRS == "" {
		// First rollout: nothing to compare against, no steps to run.
		p.status.StableRS = p.revs.hash
		p.revs.stableRS = p.revs.newRS
		p.status.CurrentStepIndex = int32p(int32(len(steps)))
	}
	if p.revs.newRS == nil {
		p.create = newReplicaSet(p.ro, p.revs.hash, p.revs.revision, 0)
		p.revs.newRS = p.create
		if p.revs.hash == p.status.StableRS {
			p.revs.stableRS = p.create
		}
		p.normal(v1alpha1.ReasonNewReplicaSetCreated, fmt.Sprintf("Created ReplicaSet %s (revision %d)", p.create.Name, p.revs.revision))
	}

	p.failFast(true)
	switch {
	case p.revs.hash == p.status.StableRS:
		p.canaryStable()
	case p.status.Abort:
		p.canaryAbort()
	default:
		p.canaryProgress()
	}
	p.limitDelayedScaleDowns(p.ro.Spec.Strategy.Canary.ScaleDownDelayRevisionLimit)
	p.cleanUpHistory()
	if !p.status.Abort {
		p.restart(p.ro.Spec.Strategy.Canary.MaxUnavailable)
	}
}

// trackTemplateAndSteps restarts the steps when the template or the steps change.
func (p *planner) trackTemplateAndSteps() {
	s := &p.status
	stepsHash := StepsHash(p.ro.Spec.Strategy.Canary.Steps)
	switch {
	case s.CurrentPodHash != p.revs.hash:
		if s.CurrentPodHash != "" && p.revs.hash == s.StableRS {
			p.normal(v1alpha1.ReasonRollbackToStable, "Rolled back to the stable revision: steps skipped")
		}
		s.CurrentPodHash = p.revs.hash
		s.CurrentStepIndex = int32p(0)
		p.resetUpdate()
	case s.CurrentStepHash != "" && s.CurrentStepHash != stepsHash && p.revs.hash != s.StableRS:
		p.normal(v1alpha1.ReasonStepsChanged, "The steps changed: starting them again from step 1")
		s.CurrentStepIndex = int32p(0)
		s.PauseConditions, s.ControllerPause = nil, false
		s.Canary.CurrentStepAnalysisRunStatus = nil
	}
	s.CurrentStepHash = stepsHash
	if s.CurrentStepIndex == nil {
		s.CurrentStepIndex = int32p(0)
	}
}

// canaryStable: the current template is the stable one (rolled out, or rolled back to):
// everything points at it and every other ReplicaSet goes down.
func (p *planner) canaryStable() {
	c := p.ro.Spec.Strategy.Canary
	s := &p.status
	replicas := desiredReplicas(p.ro)
	s.CurrentStepIndex = int32p(int32(len(c.Steps)))
	// Promoted (or rolled back): no analysis runs on for this revision.
	p.resetUpdate()

	stable := p.revs.stableRS
	if c.TrafficRouting == nil {
		p.basicTargets(stable, nil, replicas)
	} else {
		p.scale(stable, replicas)
		p.scaleDownOthers(nil)
		p.setTraffic(0, nil)
	}
	if p.available(stable) > 0 || !p.anyOtherAvailable(stable) {
		p.selector(c.StableService, p.revs.hash)
		p.selector(c.CanaryService, p.revs.hash)
	}
}

// canaryAbort: weight to 0, canary Service back to stable, canary down after the abort
// delay (at once without a router).
func (p *planner) canaryAbort() {
	c := p.ro.Spec.Strategy.Canary
	p.markAborted()
	replicas := desiredReplicas(p.ro)
	stableHash := hashOf(p.revs.stableRS)

	if c.TrafficRouting == nil {
		p.scale(p.revs.stableRS, replicas)
		p.scale(p.revs.newRS, 0)
		p.scaleDownOthers(nil)
	} else {
		p.setTraffic(0, nil)
		p.scale(p.revs.stableRS, replicas)
		delay := int32OrDefault(c.AbortScaleDownDelaySeconds, defaultAbortScaleDownDelay)
		if delay > 0 {
			p.scaleDownAfter(p.revs.newRS, delay)
		}
		p.scaleDownOthers(p.revs.newRS)
	}
	if stableHash != "" {
		p.selector(c.StableService, stableHash)
		p.selector(c.CanaryService, stableHash)
	}
}

// canaryProgress runs the steps: sizes the canary for the current step, points the
// canary Service and traffic at it once it has available pods, and moves to the next step
// when the current one is complete. The sizes and the split are canarySize's and
// canaryTraffic's answers, whether a step is done stepDone's.
func (p *planner) canaryProgress() {
	c := p.ro.Spec.Strategy.Canary
	s := &p.status
	if p.retried("Rollout retried: running the steps again") {
		s.CurrentStepIndex = int32p(0)
	}
	p.clearScaleDownDeadline(p.revs.newRS)

	idx := clampIndex(s.CurrentStepIndex, len(c.Steps))
	if s.PromoteFull {
		// Every remaining step and analysis is skipped: runs still going are terminated.
		idx = int32(len(c.Steps))
		p.clearRuns()
	}
	s.CurrentStepIndex = int32p(idx)
	if !s.PromoteFull && p.analysisVerdicts(idx) {
		p.canaryAbort()
		return
	}
	replicas := desiredReplicas(p.ro)
	desiredCanary := canarySize(c, idx, replicas)
	newRS, stableRS := p.revs.newRS, p.revs.stableRS
	stableHash := hashOf(stableRS)

	canaryAvailable := p.available(newRS)
	canaryTarget := stableHash
	if canaryAvailable > 0 {
		canaryTarget = p.revs.hash
	}
	routed := c.TrafficRouting != nil
	if routed {
		p.scale(newRS, desiredCanary)
		p.scale(stableRS, replicas)
		p.scaleDownOthers(nil)
	} else {
		p.basicTargets(newRS, stableRS, desiredCanary)
	}
	p.selector(c.StableService, stableHash)
	p.selector(c.CanaryService, canaryTarget)
	routerProblem := p.in.Traffic != nil && p.in.Traffic.Problem != ""
	if routed && !routerProblem {
		t := canaryTraffic(c, idx, canaryPods{replicas: replicas, desired: desiredCanary, available: canaryAvailable},
			p.currentWeight(), p.selectedHash(c.CanaryService) == p.revs.hash)
		p.setTraffic(t.CanaryWeight, t.HeaderRoutes)
	}

	if idx >= int32(len(c.Steps)) {
		p.promoteWhenReady(desiredCanary)
		return
	}
	if p.ro.Spec.Paused || routerProblem || findPause(s.PauseConditions, v1alpha1.PauseReasonInconclusiveAnalysis) != nil {
		return
	}
	if p.stepComplete(&c.Steps[idx], SetWeightAt(c.Steps, idx, maxWeight(c)), desiredCanary) {
		p.nextStep(idx)
	}
}

// nextStep moves on from the completed step idx. Entering a pause or an analysis needs
// nothing from the cluster: it happens in this sync, so the step change and the pause
// (or the run) are one status write; so does reaching the background analysis'
// startingStep.
func (p *planner) nextStep(idx int32) {
	c := p.ro.Spec.Strategy.Canary
	s := &p.status
	p.normal(v1alpha1.ReasonStepCompleted, fmt.Sprintf("Step %d/%d completed: %s", idx+1, len(c.Steps), DescribeStep(&c.Steps[idx])))
	idx++
	s.CurrentStepIndex = int32p(idx)
	s.Canary.CurrentStepAnalysisRunStatus = nil
	if int(idx) < len(c.Steps) && c.Steps[idx].Analysis != nil {
		p.stepAnalysis(idx, c.Steps[idx].Analysis)
	}
	if int(idx) < len(c.Steps) && c.Steps[idx].Pause != nil && !s.ControllerPause {
		if p.pauseStep(c.Steps[idx].Pause) {
			p.normal(v1alpha1.ReasonStepCompleted, fmt.Sprintf("Step %d/%d completed: %s", idx+1, len(c.Steps), DescribeStep(&c.Steps[idx])))
			s.CurrentStepIndex = int32p(idx + 1)
		}
	}
	if next := clampIndex(s.CurrentStepIndex, len(c.Steps)); p.backgroundActive(next) {
		p.ensureRun(analysisRef{RunTypeBackground, -1, &c.Analysis.RolloutAnalysis}, &s.Canary.CurrentBackgroundAnalysisRunStatus)
	}
}

// promoteWhenReady makes the canary the stable once it runs every replica, available.
func (p *planner) promoteWhenReady(desired int32) {
	c := p.ro.Spec.Strategy.Canary
	newRS := p.revs.newRS
	if replicasOf(newRS) != desired || p.available(newRS) < desired || p.pendingScale() {
		return
	}
	old := p.revs.stableRS
	p.status.StableRS = p.revs.hash
	p.status.PromoteFull = false
	p.selector(c.StableService, p.revs.hash)
	p.selector(c.CanaryService, p.revs.hash)
	if c.TrafficRouting != nil {
		// The stable Service moves to the new revision before the weight drops to 0, so
		// that no request goes back to the version being replaced (invariant 4).
		p.promoting = true
		p.setTraffic(0, nil)
		p.scaleDownAfter(old, int32OrDefault(c.ScaleDownDelaySeconds, defaultScaleDownDelaySeconds))
	}
	p.normal(v1alpha1.ReasonPromoted, fmt.Sprintf("Promoted revision %d (%s) to stable", p.revs.revision, p.revs.hash))
}

// stepComplete reports whether the step at the current index is done, from what the
// cluster shows (never from what this plan is about to write). Pause and analysis steps
// are run here; the others are checked by stepDone.
func (p *planner) stepComplete(step *v1alpha1.CanaryStep, weight, desiredCanary int32) bool {
	steps := p.ro.Spec.Strategy.Canary.Steps
	idx := clampIndex(p.status.CurrentStepIndex, len(steps))
	switch {
	case step.Pause != nil:
		return p.pauseStep(step.Pause)
	case step.Analysis != nil:
		return p.stepAnalysis(idx, step.Analysis)
	}
	newRS := p.revs.newRS
	return stepDone(step, stepShows{
		atScale:     replicasOf(newRS) == desiredCanary && p.available(newRS) >= desiredCanary && !p.pendingScale(),
		routed:      p.ro.Spec.Strategy.Canary.TrafficRouting != nil,
		weight:      weight,
		traffic:     p.trafficAfter(),
		routesKnown: p.traffic != nil || p.in.Traffic != nil && !p.in.Traffic.OutOfSync,
		routes:      HeaderRoutesAt(steps, idx),
	})
}

// pauseStep keeps a CanaryPauseStep pause condition while the step lasts. A pause without
// duration ends when the user removes the condition (promote); one with a duration ends by
// itself, through a delayed requeue.
func (p *planner) pauseStep(pause *v1alpha1.RolloutPause) bool {
	s := &p.status
	d, _ := validation.PauseDuration(pause)
	cond := findPause(s.PauseConditions, v1alpha1.PauseReasonCanaryPauseStep)
	if cond == nil {
		if s.ControllerPause {
			// The controller paused here and someone removed the condition: promoted.
			s.ControllerPause = false
			p.normal(v1alpha1.ReasonResumed, "Rollout resumed")
			return true
		}
		if pause.Duration != nil && d == 0 {
			return true
		}
		s.PauseConditions = append(s.PauseConditions, v1alpha1.PauseCondition{Reason: v1alpha1.PauseReasonCanaryPauseStep, StartTime: p.metaNow()})
		s.ControllerPause = true
		if d > 0 {
			p.requeueAt(p.now.Add(d))
			p.normal(v1alpha1.ReasonPaused, fmt.Sprintf("Rollout paused for %s", d))
		} else {
			p.normal(v1alpha1.ReasonPaused, "Rollout paused until promoted")
		}
		return false
	}
	if d == 0 {
		return false
	}
	if !p.pauseOver(cond, d) {
		return false
	}
	s.PauseConditions = removePause(s.PauseConditions, v1alpha1.PauseReasonCanaryPauseStep)
	s.ControllerPause = false
	return true
}

// trafficAfter is the split the router applies once this plan is applied.
func (p *planner) trafficAfter() SetTraffic {
	if p.traffic != nil {
		return *p.traffic
	}
	if p.in.Traffic == nil || p.in.Traffic.OutOfSync {
		return SetTraffic{CanaryWeight: -1}
	}
	return SetTraffic{CanaryWeight: p.in.Traffic.CanaryWeight, HeaderRoutes: p.in.Traffic.HeaderRoutes}
}
