package plan

import (
	"time"

	"github.com/serin-dev/serin/pkg/apis/rollouts/v1alpha1"
)

// ObservedPause is when the controller saw a pause condition begin. The status stores a
// pause's start in whole seconds, rounded up so that a pause is never shorter than asked;
// timed from there alone, a pause would last up to a second longer. The controller keeps
// the exact time in memory and reports it here; after a restart it has none, and the
// rounded start in status keeps the pause safe.
type ObservedPause struct {
	// StartTime is the startTime of the condition as written: it names the pause this is
	// about (a pause of the same reason that began later has another).
	StartTime time.Time
	// At is when the status showing the pause was stored.
	At time.Time
}

// pauseStart is when the pause cond began: the exact time the controller saw it begin
// when it reports one for this very pause, else the condition's startTime.
func pauseStart(cond *v1alpha1.PauseCondition, observed map[v1alpha1.PauseReason]ObservedPause) time.Time {
	if o, ok := observed[cond.Reason]; ok && o.StartTime.Equal(cond.StartTime.Time) && !o.At.IsZero() {
		return o.At
	}
	return cond.StartTime.Time
}

// pauseOver reports whether the pause cond of length d is over, and asks for a sync at
// its end when it is not.
func (p *planner) pauseOver(cond *v1alpha1.PauseCondition, d time.Duration) bool {
	end := pauseStart(cond, p.in.ObservedPauses).Add(d)
	if p.now.Before(end) {
		p.requeueAt(end)
		return false
	}
	return true
}
