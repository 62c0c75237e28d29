package bench

import (
	"context"
	"fmt"
	"sync"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/dynamic"
)

// Event is one watch event with the time it arrived here, on the process' monotonic
// clock (time.Now carries it; durations between Events subtract it).
type Event struct {
	At   time.Time
	Type watch.EventType
	Obj  *unstructured.Unstructured
}

// Recorder keeps every watch event of one resource in one namespace ("" = all), in
// arrival order. It re-opens the watch from the last resourceVersion it saw when the
// server closes it, so no event is lost.
type Recorder struct {
	mu      sync.Mutex
	events  []Event
	changed chan struct{} // closed and replaced on every event
	err     error
}

// Record starts a Recorder; it stops with ctx. It returns once the watch is open, so
// every write made after it returns is seen.
func Record(ctx context.Context, dyn dynamic.Interface, gvr schema.GroupVersionResource, ns string) (*Recorder, error) {
	r := &Recorder{changed: make(chan struct{})}
	ri := dyn.Resource(gvr).Namespace(ns)
	list, err := ri.List(ctx, metav1.ListOptions{Limit: 1})
	if err != nil {
		return nil, fmt.Errorf("list %s: %w", gvr.Resource, err)
	}
	rv := list.GetResourceVersion()
	w, err := ri.Watch(ctx, metav1.ListOptions{ResourceVersion: rv, AllowWatchBookmarks: true})
	if err != nil {
		return nil, fmt.Errorf("watch %s: %w", gvr.Resource, err)
	}
	go r.run(ctx, ri, w, rv)
	return r, nil
}

func (r *Recorder) run(ctx context.Context, ri dynamic.ResourceInterface, w watch.Interface, rv string) {
	for {
		for ev := range w.ResultChan() {
			at := time.Now()
			obj, ok := ev.Object.(*unstructured.Unstructured)
			if !ok {
				continue // a Status on error: the watch closes next
			}
			rv = obj.GetResourceVersion()
			if ev.Type == watch.Bookmark {
				continue
			}
			r.add(Event{At: at, Type: ev.Type, Obj: obj})
		}
		w.Stop()
		if ctx.Err() != nil {
			return
		}
		var err error
		if w, err = ri.Watch(ctx, metav1.ListOptions{ResourceVersion: rv, AllowWatchBookmarks: true}); err != nil {
			r.mu.Lock()
			r.err = err
			close(r.changed)
			r.changed = make(chan struct{})
			r.mu.Unlock()
			return
		}
	}
}

func (r *Recorder) add(e Event) {
	r.mu.Lock()
	r.events = append(r.events, e)
	close(r.changed)
	r.changed = make(chan struct{})
	r.mu.Unlock()
}

// Len is the number of events so far: a mark to look from.
func (r *Recorder) Len() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.events)
}

// Since returns the events from mark on.
func (r *Recorder) Since(mark int) []Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]Event(nil), r.events[mark:]...)
}

// WaitFor returns the first event from mark on for which ok holds, waiting up to timeout.
func (r *Recorder) WaitFor(ctx context.Context, mark int, timeout time.Duration, what string, ok func(*unstructured.Unstructured) bool) (Event, error) {
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for {
		r.mu.Lock()
		for ; mark < len(r.events); mark++ {
			if e := r.events[mark]; ok(e.Obj) {
				r.mu.Unlock()
				return e, nil
			}
		}
		ch, err := r.changed, r.err
		r.mu.Unlock()
		if err != nil {
			return Event{}, fmt.Errorf("waiting for %s: watch: %w", what, err)
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return Event{}, ctx.Err()
		case <-deadline.C:
			return Event{}, fmt.Errorf("no %s within %s", what, timeout)
		}
	}
}
