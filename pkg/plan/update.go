package plan

import (
	"fmt"

	"github.com/serin-dev/serin/pkg/apis/rollouts/v1alpha1"
)

// The state an update carries in status, shared by both strategies: abort, promote full,
// pauses, and the AnalysisRuns in use.

// runStatus is one status field naming an AnalysisRun in use, and what kind of run it is.
type runStatus struct {
	kind string
	st   **v1alpha1.RolloutAnalysisRunStatus
}

// runStatuses are every status field that names an AnalysisRun in use (those of the other
// strategy are always nil).
func (p *planner) runStatuses() []runStatus {
	s := &p.status
	return []runStatus{
		{"step", &s.Canary.CurrentStepAnalysisRunStatus},
		{"background", &s.Canary.CurrentBackgroundAnalysisRunStatus},
		{"pre-promotion", &s.BlueGreen.PrePromotionAnalysisRunStatus},
		{"post-promotion", &s.BlueGreen.PostPromotionAnalysisRunStatus},
	}
}

// resetUpdate forgets everything about the update in flight: a new template, or the
// rollout is on its stable template. Runs still going are then terminated.
func (p *planner) resetUpdate() {
	s := &p.status
	s.Abort, s.AbortedAt, s.PromoteFull = false, nil, false
	s.PauseConditions, s.ControllerPause = nil, false
	s.BlueGreen.ScaleUpPreviewCheckPoint = false
	p.clearRuns()
}

// clearRuns names no run in use any more (they are terminated).
func (p *planner) clearRuns() {
	for _, r := range p.runStatuses() {
		*r.st = nil
	}
}

// markAborted records an abort once (its time, a Warning event) and ends any pause. Runs
// still going are terminated; a failed one stays named, as the abort message cites it.
func (p *planner) markAborted() {
	s := &p.status
	if s.AbortedAt == nil {
		t := p.metaNow()
		s.AbortedAt = &t
		p.warning(v1alpha1.ReasonAborted, fmt.Sprintf("Rollout aborted update to revision %d%s", p.revs.revision, p.failFastCause()))
	}
	s.PauseConditions, s.ControllerPause = nil, false
	for _, r := range p.runStatuses() {
		*r.st = keepFailed(*r.st)
	}
}

// retried reports whether the user cleared an abort (retry), and if so starts the update
// over: no run in use, a Normal event.
func (p *planner) retried(msg string) bool {
	if p.status.AbortedAt == nil {
		return false
	}
	p.status.AbortedAt = nil
	p.clearRuns()
	p.normal(v1alpha1.ReasonRetried, msg)
	return true
}

// keepFailed keeps the status of a Failed or Error run (the abort message cites it) and
// drops any other.
func keepFailed(st *v1alpha1.RolloutAnalysisRunStatus) *v1alpha1.RolloutAnalysisRunStatus {
	if st != nil && (st.Status == v1alpha1.AnalysisPhaseFailed || st.Status == v1alpha1.AnalysisPhaseError) {
		return st
	}
	return nil
}
