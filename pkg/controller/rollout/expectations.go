package rollout

import (
	"sync"
	"time"

	"k8s.io/client-go/tools/cache"
)

// expectations remember the writes of a sync until the caches show them, so that the
// next sync of the same Rollout does not plan from a cache that is behind the
// controller's own writes (which would re-apply a step, or move a Service selector back
// for a moment after a promotion). This is freshness bookkeeping only, never a decision:
// forgotten on restart, it only costs a sync planned from the (then fresh) caches.
//
// An expectation is met as soon as the cache no longer shows the object as it was
// before the write, and is dropped after expectationTTL in any case, so a lost watch
// event can delay a Rollout by at most that long.
type expectations struct {
	mu    sync.Mutex
	byKey map[cache.ObjectName]map[objectRef]expectation
}

// expectationTTL is how long a sync waits at most for the caches to show a write.
const expectationTTL = 30 * time.Second

type objectKind string

const (
	kindRollout     objectKind = "Rollout"
	kindReplicaSet  objectKind = "ReplicaSet"
	kindService     objectKind = "Service"
	kindPod         objectKind = "Pod"
	kindAnalysisRun objectKind = "AnalysisRun"
	// kindTraffic is the split a router applies: its objects are the router's business,
	// so the expectation is met when the router's Observe shows the split written.
	kindTraffic objectKind = "Traffic"
)

// objectRef names one object in the Rollout's namespace.
type objectRef struct {
	Kind objectKind
	Name string
}

// expectation is met when the cache shows the object at none of the versions it had
// before this controller's writes, or, for a creation (created true), once the cache
// has it at all.
type expectation struct {
	stale   map[string]bool
	latest  string
	created bool
	// met, when set, decides instead of the versions (kindTraffic).
	met   func() bool
	until time.Time
}

// lookup returns an object's resourceVersion in the cache, and whether it is there.
type lookup func(ref objectRef) (rv string, exists bool)

func newExpectations() *expectations {
	return &expectations{byKey: map[cache.ObjectName]map[objectRef]expectation{}}
}

// wrote records that ref was changed from resourceVersion before to after. Nothing is
// expected when the write changed nothing (equal versions) or a version is unknown.
func (e *expectations) wrote(key cache.ObjectName, ref objectRef, before, after string, now time.Time) {
	if before == "" || before == after {
		return
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	m := e.entries(key)
	x, ok := m[ref]
	if !ok || x.created || !now.Before(x.until) {
		x = expectation{stale: map[string]bool{}}
	}
	// Several writes to one object in a sync: every version but the last is stale.
	x.stale[before] = true
	if x.latest != "" && x.latest != after {
		x.stale[x.latest] = true
	}
	x.latest, x.until = after, now.Add(expectationTTL)
	m[ref] = x
}

// created records that ref was created.
func (e *expectations) created(key cache.ObjectName, ref objectRef, now time.Time) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.entries(key)[ref] = expectation{created: true, until: now.Add(expectationTTL)}
}

// observed records that a write shows in the caches once met returns true.
func (e *expectations) observed(key cache.ObjectName, ref objectRef, met func() bool, now time.Time) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.entries(key)[ref] = expectation{met: met, until: now.Add(expectationTTL)}
}

func (e *expectations) entries(key cache.ObjectName) map[objectRef]expectation {
	m := e.byKey[key]
	if m == nil {
		m = map[objectRef]expectation{}
		e.byKey[key] = m
	}
	return m
}

// pending drops the expectations of key the caches meet (or that expired) and reports
// how long to wait, at most, for the others: 0 when the caches show every write.
func (e *expectations) pending(key cache.ObjectName, get lookup, now time.Time) time.Duration {
	e.mu.Lock()
	defer e.mu.Unlock()
	var wait time.Duration
	for ref, x := range e.byKey[key] {
		rv, exists := get(ref)
		met := !now.Before(x.until)
		switch {
		case x.met != nil:
			met = met || x.met()
		case x.created:
			met = met || exists
		default:
			met = met || !exists || !x.stale[rv]
		}
		if met {
			delete(e.byKey[key], ref)
			continue
		}
		if d := x.until.Sub(now); wait == 0 || d < wait {
			wait = d
		}
	}
	if len(e.byKey[key]) == 0 {
		delete(e.byKey, key)
	}
	return wait
}

// forget drops every expectation of a Rollout that is gone.
func (e *expectations) forget(key cache.ObjectName) {
	e.mu.Lock()
	defer e.mu.Unlock()
	delete(e.byKey, key)
}
