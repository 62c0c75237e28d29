package monitor

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/dynamic"
)

// Monitor records every change of the watched kinds in a namespace (every namespace
// when ""): per kind a list, then a watch from the list's resourceVersion, so nothing is
// missed. Stop it before checking.
type Monitor struct {
	Config
	mu     sync.Mutex
	events []Event
	errs   []error // watches that ended before Stop
	cancel context.CancelFunc
	done   sync.WaitGroup
}

// Start starts recording c.Kinds (Default when c has none) in namespace.
func Start(ctx context.Context, dyn dynamic.Interface, namespace string, c Config) (*Monitor, error) {
	if len(c.Kinds) == 0 {
		c = Default
	}
	ctx, cancel := context.WithCancel(ctx)
	m := &Monitor{Config: c, cancel: cancel}
	for _, k := range c.Kinds {
		ri := dyn.Resource(k.Resource).Namespace(namespace)
		list, err := ri.List(ctx, metav1.ListOptions{})
		if err != nil {
			m.Stop()
			return nil, fmt.Errorf("list %s: %w", k.Resource.Resource, err)
		}
		now := time.Now()
		for i := range list.Items {
			o := &list.Items[i]
			o.SetKind(k.Name) // list items carry their kind; be sure
			m.events = append(m.events, Event{Type: watch.Added, Object: o, Arrived: now})
		}
		wi, err := ri.Watch(ctx, metav1.ListOptions{ResourceVersion: list.GetResourceVersion()})
		if err != nil {
			m.Stop()
			return nil, fmt.Errorf("watch %s: %w", k.Resource.Resource, err)
		}
		m.done.Add(1)
		go m.follow(ctx, k, wi)
	}
	return m, nil
}

func (m *Monitor) follow(ctx context.Context, k Kind, wi watch.Interface) {
	defer m.done.Done()
	defer wi.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case ev, ok := <-wi.ResultChan():
			at := time.Now()
			m.mu.Lock()
			o, isObj := ev.Object.(*unstructured.Unstructured)
			switch {
			case !ok:
				if ctx.Err() == nil {
					m.errs = append(m.errs, fmt.Errorf("the %s watch ended before the monitor stopped", k.Resource.Resource))
				}
			case ev.Type == watch.Error || !isObj:
				m.errs = append(m.errs, fmt.Errorf("%s watch: %v", k.Resource.Resource, ev.Object))
			case ev.Type != watch.Bookmark:
				m.events = append(m.events, Event{Type: ev.Type, Object: o, Arrived: at})
			}
			m.mu.Unlock()
			if !ok || ev.Type == watch.Error || !isObj {
				return
			}
		}
	}
}

// Stop ends the watches; it returns an error if one ended early, the record then
// being incomplete.
func (m *Monitor) Stop() error {
	m.cancel()
	m.done.Wait()
	m.mu.Lock()
	defer m.mu.Unlock()
	if len(m.errs) > 0 {
		return fmt.Errorf("incomplete record: %v", m.errs)
	}
	return nil
}

// Events is a copy of the record in arrival order.
func (m *Monitor) Events() []Event {
	m.mu.Lock()
	defer m.mu.Unlock()
	return slices.Clone(m.events)
}

// Check checks the record (Stop first) with the monitor's Config.
func (m *Monitor) Check() ([]Violation, error) { return m.Config.Check(m.Events()) }
