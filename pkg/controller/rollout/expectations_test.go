package rollout

import (
	"testing"
	"time"

	"k8s.io/client-go/tools/cache"
)

func TestExpectations(t *testing.T) {
	key := cache.ObjectName{Namespace: ns, Name: "web"}
	now := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	rs := objectRef{kindReplicaSet, "web-abc"}
	cached := map[objectRef]string{}
	get := func(ref objectRef) (string, bool) { rv, ok := cached[ref]; return rv, ok }

	tests := map[string]struct {
		record func(e *expectations)
		cache  map[objectRef]string
		at     time.Duration
		wait   bool
	}{
		"update not seen":        {func(e *expectations) { e.wrote(key, rs, "1", "2", now) }, map[objectRef]string{rs: "1"}, 0, true},
		"update seen":            {func(e *expectations) { e.wrote(key, rs, "1", "2", now) }, map[objectRef]string{rs: "2"}, 0, false},
		"later write by another": {func(e *expectations) { e.wrote(key, rs, "1", "2", now) }, map[objectRef]string{rs: "3"}, 0, false},
		"no-op write":            {func(e *expectations) { e.wrote(key, rs, "1", "1", now) }, map[objectRef]string{rs: "1"}, 0, false},
		"two writes, first seen": {func(e *expectations) { e.wrote(key, rs, "1", "2", now); e.wrote(key, rs, "2", "3", now) }, map[objectRef]string{rs: "2"}, 0, true},
		"two writes, both seen":  {func(e *expectations) { e.wrote(key, rs, "1", "2", now); e.wrote(key, rs, "2", "3", now) }, map[objectRef]string{rs: "3"}, 0, false},
		"delete not seen":        {func(e *expectations) { e.wrote(key, rs, "1", "", now) }, map[objectRef]string{rs: "1"}, 0, true},
		"delete seen":            {func(e *expectations) { e.wrote(key, rs, "1", "", now) }, nil, 0, false},
		"create not seen":        {func(e *expectations) { e.created(key, rs, now) }, nil, 0, true},
		"create seen":            {func(e *expectations) { e.created(key, rs, now) }, map[objectRef]string{rs: "1"}, 0, false},
		"expired":                {func(e *expectations) { e.created(key, rs, now) }, nil, expectationTTL, false},
		"traffic not seen": {func(e *expectations) {
			e.observed(key, objectRef{Kind: kindTraffic}, func() bool { return false }, now)
		}, nil, 0, true},
		"traffic seen": {func(e *expectations) { e.observed(key, objectRef{Kind: kindTraffic}, func() bool { return true }, now) }, nil, 0, false},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			e := newExpectations()
			tc.record(e)
			cached = tc.cache
			wait := e.pending(key, get, now.Add(tc.at))
			if (wait > 0) != tc.wait {
				t.Errorf("pending = %v, want waiting %v", wait, tc.wait)
			}
			if !tc.wait && len(e.byKey) != 0 {
				t.Errorf("met expectations kept: %v", e.byKey)
			}
		})
	}
}
