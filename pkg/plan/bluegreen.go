package plan

import (
	"fmt"
	"time"

	"github.com/serin-dev/serin/pkg/apis/rollouts/v1alpha1"
)

// Blue-green: the new revision comes up beside the active one (at previewReplicaCount,
// when set) and is reachable on the preview Service once available. Pre-promotion analysis
// runs against it; the rollout pauses (BlueGreenPause) when autoPromotionEnabled is false,
// or for autoPromotionSeconds. Promotion scales the new ReplicaSet to full and, once every
// pod is available, switches the active Service at once. Post-promotion analysis then
// runs with the previous ReplicaSet still up: a failure switches active back to it. The
// previous ReplicaSet goes down scaleDownDelaySeconds after the new one became stable.
//
// The active Service only ever selects a fully available ReplicaSet (invariant 4).

// Run types of blue-green analysis (the rollout-type label of their AnalysisRuns).
const (
	RunTypePrePromotion  = "PrePromotion"
	RunTypePostPromotion = "PostPromotion"
)

func (p *planner) blueGreen() {
	bg := p.ro.Spec.Strategy.BlueGreen
	p.trackTemplate()
	if p.status.StableRS == "" {
		// First rollout: nothing to preview, the new ReplicaSet is active at once.
		p.status.StableRS = p.revs.hash
		p.revs.stableRS = p.revs.newRS
	}
	if p.revs.newRS == nil {
		p.create = newReplicaSet(p.ro, p.revs.hash, p.revs.revision, 0)
		p.revs.newRS = p.create
		if p.revs.hash == p.status.StableRS {
			p.revs.stableRS = p.create
		}
		p.normal(v1alpha1.ReasonNewReplicaSetCreated, fmt.Sprintf("Created ReplicaSet %s (revision %d)", p.create.Name, p.revs.revision))
	}
	// Fail fast only on the preview: never once the active Service selects the revision.
	p.failFast(p.selectedHash(bg.ActiveService) != p.revs.hash)
	switch {
	case p.revs.hash == p.status.StableRS:
		p.blueGreenStable()
	case p.status.Abort:
		p.blueGreenAbort()
	default:
		p.blueGreenProgress()
	}
	p.limitDelayedScaleDowns(bg.ScaleDownDelayRevisionLimit)
	p.cleanUpHistory()
	if !p.status.Abort {
		p.restart(bg.MaxUnavailable)
	}
	p.status.BlueGreen.ActiveSelector = p.selectedHash(bg.ActiveService)
	p.status.BlueGreen.PreviewSelector = p.selectedHash(bg.PreviewService)
}

// trackTemplate starts over when the template changes.
func (p *planner) trackTemplate() {
	s := &p.status
	if s.CurrentPodHash == p.revs.hash {
		return
	}
	if s.CurrentPodHash != "" && p.revs.hash == s.StableRS {
		p.normal(v1alpha1.ReasonRollbackToStable, "Rolled back to the stable revision")
	}
	s.CurrentPodHash = p.revs.hash
	p.resetUpdate()
}

// blueGreenStable: the template is the stable one; active and preview select it and
// every other ReplicaSet goes down (a previous stable after its delay).
func (p *planner) blueGreenStable() {
	bg := p.ro.Spec.Strategy.BlueGreen
	p.resetUpdate()
	stable := p.revs.stableRS
	p.scale(stable, desiredReplicas(p.ro))
	p.scaleDownOthers(nil)
	if p.fullyAvailable(stable, desiredReplicas(p.ro)) && !p.pendingScale() || !p.anyOtherAvailable(stable) {
		p.selector(bg.ActiveService, p.revs.hash)
		p.selector(bg.PreviewService, p.revs.hash)
	}
}

// blueGreenAbort: active back on the stable ReplicaSet (it never left it before
// promotion), preview too; the new ReplicaSet goes down after abortScaleDownDelaySeconds
// (0 keeps it up).
func (p *planner) blueGreenAbort() {
	bg := p.ro.Spec.Strategy.BlueGreen
	p.markAborted()
	p.status.BlueGreen.ScaleUpPreviewCheckPoint = false
	p.scale(p.revs.stableRS, desiredReplicas(p.ro))
	if delay := int32OrDefault(bg.AbortScaleDownDelaySeconds, defaultAbortScaleDownDelay); delay > 0 {
		p.scaleDownAfter(p.revs.newRS, delay)
	}
	p.scaleDownOthers(p.revs.newRS)
	if stableHash := hashOf(p.revs.stableRS); stableHash != "" {
		p.selector(bg.ActiveService, stableHash)
		p.selector(bg.PreviewService, stableHash)
	}
}

// blueGreenProgress brings the new revision up on preview, waits for pre-promotion
// analysis and the pause, scales it to full, switches active, and runs post-promotion
// analysis.
func (p *planner) blueGreenProgress() {
	bg := p.ro.Spec.Strategy.BlueGreen
	s := &p.status
	p.retried("Rollout retried")
	p.clearScaleDownDeadline(p.revs.newRS)
	replicas := desiredReplicas(p.ro)
	newRS, stableRS := p.revs.newRS, p.revs.stableRS
	switched := p.selectedHash(bg.ActiveService) == p.revs.hash

	if s.PromoteFull {
		s.BlueGreen.ScaleUpPreviewCheckPoint = true
		s.PauseConditions, s.ControllerPause = nil, false
		s.BlueGreen.PrePromotionAnalysisRunStatus = nil
	}
	target := previewSize(bg.PreviewReplicaCount, replicas, s.BlueGreen.ScaleUpPreviewCheckPoint || switched)
	p.scale(newRS, target)
	p.scale(stableRS, replicas)
	p.scaleDownOthers(nil)

	previewReady := p.fullyAvailable(newRS, target) && !p.pendingScale()
	onNew := p.selectedHash(bg.PreviewService) == p.revs.hash && p.available(newRS) > 0
	if h := previewTarget(previewReady, onNew, switched, p.revs.hash, hashOf(stableRS)); h != "" {
		p.selector(bg.PreviewService, h)
	}
	if !switched && !p.switchActive(target, previewReady) {
		return
	}
	// Switched (or switching in this plan): post-promotion analysis, then stable.
	if !p.postPromotion() {
		return
	}
	old := p.revs.stableRS
	s.StableRS = p.revs.hash
	s.PromoteFull = false
	s.PauseConditions, s.ControllerPause = nil, false
	p.selector(bg.PreviewService, p.revs.hash)
	p.scaleDownAfter(old, int32OrDefault(bg.ScaleDownDelaySeconds, defaultScaleDownDelaySeconds))
	p.normal(v1alpha1.ReasonPromoted, fmt.Sprintf("Promoted revision %d (%s) to stable", p.revs.revision, p.revs.hash))
}

// previewSize is how many pods the new revision runs: previewReplicaCount (at most
// replicas) while it is only previewed, every replica once promotion began (the scale-up
// checkpoint) or active selects it.
func previewSize(previewReplicaCount *int32, replicas int32, promoting bool) int32 {
	if previewReplicaCount == nil || promoting {
		return replicas
	}
	return min(*previewReplicaCount, replicas)
}

// previewTarget is the hash the preview Service should select, "" to leave it: the new
// revision once its preview pods are all available, and from then on while it has any
// pod available (it stays there while scaling to full); else the stable one until
// active switched.
func previewTarget(previewReady, onNewWithPods, switched bool, hash, stableHash string) string {
	switch {
	case previewReady || onNewWithPods:
		return hash
	case !switched:
		return stableHash
	}
	return ""
}

// switchActive keeps the active Service on the stable revision until promotion allows the
// switch: not paused, the preview up, pre-promotion analysis and the pause passed, then
// every replica of the new revision available. It reports whether active switches in
// this plan.
func (p *planner) switchActive(target int32, previewReady bool) bool {
	bg := p.ro.Spec.Strategy.BlueGreen
	s := &p.status
	replicas := desiredReplicas(p.ro)
	p.selector(bg.ActiveService, hashOf(p.revs.stableRS))
	if p.ro.Spec.Paused {
		return false
	}
	if !s.BlueGreen.ScaleUpPreviewCheckPoint {
		// Before promotion: the preview must be up, then analysis and pause allow it.
		if !previewReady || !s.PromoteFull && !p.prePromotion() {
			return false
		}
		s.BlueGreen.ScaleUpPreviewCheckPoint = true
		if target < replicas {
			p.scale(p.revs.newRS, replicas)
			return false
		}
	}
	if !p.fullyAvailable(p.revs.newRS, replicas) || p.pendingScale() {
		return false
	}
	p.selector(bg.ActiveService, p.revs.hash)
	p.normal(v1alpha1.ReasonSwitchedActive, fmt.Sprintf("Switched the active Service %s to revision %d (%s)", bg.ActiveService, p.revs.revision, p.revs.hash))
	return true
}

// postPromotion runs the post-promotion analysis once active is on the new revision;
// true once it allows making the new revision stable (none, passed, promoted over an
// inconclusive run, or promote --full). A failure aborts.
func (p *planner) postPromotion() bool {
	bg := p.ro.Spec.Strategy.BlueGreen
	s := &p.status
	if s.PromoteFull || bg.PostPromotionAnalysis == nil {
		return true
	}
	ref := analysisRef{RunTypePostPromotion, -1, bg.PostPromotionAnalysis}
	phase := p.ensureRun(ref, &s.BlueGreen.PostPromotionAnalysisRunStatus)
	if p.verdict(ref, phase, s.BlueGreen.PostPromotionAnalysisRunStatus) {
		p.blueGreenAbort()
		return false
	}
	return phase == v1alpha1.AnalysisPhaseSuccessful || p.inconclusivePromoted(s.BlueGreen.PostPromotionAnalysisRunStatus)
}

// prePromotion runs the pre-promotion analysis and the pause; true once both allow the
// promotion. A failed analysis aborts (and this plan then aborts).
func (p *planner) prePromotion() bool {
	bg := p.ro.Spec.Strategy.BlueGreen
	s := &p.status
	if bg.PrePromotionAnalysis != nil && !p.inconclusivePromoted(s.BlueGreen.PrePromotionAnalysisRunStatus) {
		ref := analysisRef{RunTypePrePromotion, -1, bg.PrePromotionAnalysis}
		phase := p.ensureRun(ref, &s.BlueGreen.PrePromotionAnalysisRunStatus)
		if p.verdict(ref, phase, s.BlueGreen.PrePromotionAnalysisRunStatus) {
			p.blueGreenAbort()
			return false
		}
		if phase != v1alpha1.AnalysisPhaseSuccessful {
			return false
		}
	}
	return p.blueGreenPause()
}

// blueGreenPause holds the promotion with a BlueGreenPause condition: until promote when
// autoPromotionEnabled is false, for autoPromotionSeconds otherwise. True once it is over.
func (p *planner) blueGreenPause() bool {
	bg := p.ro.Spec.Strategy.BlueGreen
	s := &p.status
	manual := bg.AutoPromotionEnabled != nil && !*bg.AutoPromotionEnabled
	d := time.Duration(bg.AutoPromotionSeconds) * time.Second
	if !manual && d == 0 {
		return true
	}
	cond := findPause(s.PauseConditions, v1alpha1.PauseReasonBlueGreenPause)
	if cond == nil {
		if s.ControllerPause {
			s.ControllerPause = false // the controller paused and the user promoted
			p.normal(v1alpha1.ReasonResumed, "Rollout resumed")
			return true
		}
		s.PauseConditions = append(s.PauseConditions, v1alpha1.PauseCondition{Reason: v1alpha1.PauseReasonBlueGreenPause, StartTime: p.metaNow()})
		s.ControllerPause = true
		if manual {
			p.normal(v1alpha1.ReasonPaused, "Rollout paused until promoted: the new revision is on the preview Service")
			return false
		}
		p.normal(v1alpha1.ReasonPaused, fmt.Sprintf("Rollout paused for %s before promotion", d))
		p.requeueAt(p.now.Add(d))
		return false
	}
	if manual {
		return false
	}
	if !p.pauseOver(cond, d) {
		return false
	}
	s.PauseConditions = removePause(s.PauseConditions, v1alpha1.PauseReasonBlueGreenPause)
	s.ControllerPause = false
	return true
}
