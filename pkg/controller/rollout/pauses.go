package rollout

import (
	"sync"
	"time"

	"k8s.io/client-go/tools/cache"

	"github.com/serin-dev/serin/pkg/apis/rollouts/v1alpha1"
	"github.com/serin-dev/serin/pkg/plan"
)

// pauseClock remembers when this controller saw each current pause condition of each
// Rollout begin: the time its status write returned, to the nanosecond, where the status
// itself keeps whole seconds rounded up. gather reports it to the plan
// (Input.ObservedPauses) so that a timed pause lasts what it says; a restarted
// controller remembers nothing and the plan times pauses from the status, which is safe.
type pauseClock struct {
	mu   sync.Mutex
	seen map[cache.ObjectName]map[v1alpha1.PauseReason]plan.ObservedPause
}

func newPauseClock() *pauseClock {
	return &pauseClock{seen: map[cache.ObjectName]map[v1alpha1.PauseReason]plan.ObservedPause{}}
}

// of is what the clock knows of key's pauses (a copy; nil when nothing).
func (c *pauseClock) of(key cache.ObjectName) map[v1alpha1.PauseReason]plan.ObservedPause {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.seen[key]) == 0 {
		return nil
	}
	out := make(map[v1alpha1.PauseReason]plan.ObservedPause, len(c.seen[key]))
	for r, o := range c.seen[key] {
		out[r] = o
	}
	return out
}

// written records a status write of key that replaced the pause conditions before with
// after, stored at at: a pause in after that before did not have began at at; a pause
// gone from after is forgotten.
func (c *pauseClock) written(key cache.ObjectName, before, after []v1alpha1.PauseCondition, at time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	old := c.seen[key]
	next := map[v1alpha1.PauseReason]plan.ObservedPause{}
	for _, p := range after {
		if o, ok := old[p.Reason]; ok && o.StartTime.Equal(p.StartTime.Time) {
			next[p.Reason] = o
			continue
		}
		if !hasPause(before, p) {
			next[p.Reason] = plan.ObservedPause{StartTime: p.StartTime.Time, At: at}
		}
	}
	if len(next) == 0 {
		delete(c.seen, key)
		return
	}
	c.seen[key] = next
}

// forget drops what the clock knows of key (the Rollout is gone).
func (c *pauseClock) forget(key cache.ObjectName) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.seen, key)
}

func hasPause(conds []v1alpha1.PauseCondition, p v1alpha1.PauseCondition) bool {
	for _, c := range conds {
		if c.Reason == p.Reason && c.StartTime.Equal(&p.StartTime) {
			return true
		}
	}
	return false
}
