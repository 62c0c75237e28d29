package bench

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// fleet are many apps named <prefix>-<i>.
func fleet(prefix string, n, replicas int, routed bool) []app {
	out := make([]app, n)
	for i := range out {
		out[i] = app{Name: fmt.Sprintf("%s-%d", prefix, i), Replicas: replicas, Routed: routed}
	}
	return out
}

// parallel runs fn for every index with at most width at once; the first error wins.
func parallel(n, width int, fn func(i int) error) error {
	var wg sync.WaitGroup
	var mu sync.Mutex
	var first error
	sem := make(chan struct{}, width)
	for i := 0; i < n; i++ {
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer func() { <-sem; wg.Done() }()
			if err := fn(i); err != nil {
				mu.Lock()
				if first == nil {
					first = err
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	return first
}

// waitAll waits until ok has held for n distinct objects among the recorder's events
// from mark on, logging progress every few seconds, and returns the time each first did.
func waitAll(ctx context.Context, b *runner, r *Recorder, mark, n int, timeout time.Duration, what string,
	ok func(*unstructured.Unstructured) bool) (map[string]time.Time, error) {
	done := map[string]time.Time{}
	deadline := time.Now().Add(timeout)
	lastLog := time.Now()
	for len(done) < n {
		evs := r.Since(mark)
		mark += len(evs)
		for _, e := range evs {
			if _, seen := done[e.Obj.GetName()]; !seen && ok(e.Obj) {
				done[e.Obj.GetName()] = e.At
			}
		}
		if time.Now().After(deadline) {
			return done, fmt.Errorf("%d of %d %s after %s", len(done), n, what, timeout)
		}
		if time.Since(lastLog) > 5*time.Second {
			b.logf("  %d/%d %s", len(done), n, what)
			lastLog = time.Now()
		}
		select {
		case <-ctx.Done():
			return done, ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
	return done, nil
}

// createFleet creates the apps with 16 requests in flight, saying how far it got every
// few seconds.
func (e *Env) createFleet(ctx context.Context, ns string, apps []app) error {
	var created atomic.Int64
	stop := make(chan struct{})
	defer close(stop)
	go func() {
		for {
			select {
			case <-stop:
				return
			case <-time.After(5 * time.Second):
				e.log("  %d/%d Rollouts created", created.Load(), len(apps))
			}
		}
	}()
	return parallel(len(apps), 16, func(i int) error {
		err := e.create(ctx, ns, apps[i])
		created.Add(1)
		return err
	})
}

// nodesFor is how many kwok Nodes (110 pods each) hold pods with room to spare.
func nodesFor(pods int) int { return pods/100 + 3 }
