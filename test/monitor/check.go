// Package monitor records what the API server's watches show of Rollouts, ReplicaSets,
// Pods, Services and canary routes, and checks Serin's safety invariants
// (docs/design.md) over the record replayed in resourceVersion order: every kind shares
// etcd's revision counter, so that order is the order of the writes, whereas the order
// in which events of different watches arrive is not. Each change can be attributed to
// the client that wrote it from kube-apiserver's audit log (Attribute). e2e, chaos and
// bench tests share it.
package monitor

import (
	"cmp"
	"fmt"
	"io"
	"slices"
	"strconv"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/watch"
)

// Event is one recorded change: an object as a watch delivered it (or as the initial
// list showed it, as Added).
type Event struct {
	Type    watch.EventType
	Object  *unstructured.Unstructured
	Arrived time.Time // when the event reached the monitor
	Writer  string    // the user agent of the write that made it, once attributed
}

// RV is the event's resourceVersion as a number: the etcd revision of the change.
func (e Event) RV() int64 {
	n, _ := strconv.ParseInt(e.Object.GetResourceVersion(), 10, 64)
	return n
}

// Violation is an invariant found broken by a change, reported once until it holds again.
type Violation struct {
	Invariant string
	Subject   string // what breaks it, e.g. a canary Ingress as namespace/name
	Detail    string
	RV        int64  // the change after which it broke
	Change    string // that change: Kind namespace/name
	Writer    string // who wrote that change, when attributed
}

func (v Violation) String() string {
	s := fmt.Sprintf("%s: %s (after %s at resourceVersion %d", v.Invariant, v.Detail, v.Change, v.RV)
	if v.Writer != "" {
		s += ", written by " + v.Writer
	}
	return s + ")"
}

// Config is what a check replays and checks: the kinds and the invariants.
type Config struct {
	Kinds      []Kind
	Invariants []Invariant
}

// Default checks Invariants over Kinds.
var Default = Config{Kinds: Kinds, Invariants: Invariants}

// Check replays events in resourceVersion order with Default and returns the violations.
func Check(events []Event) ([]Violation, error) { return Default.Check(events) }

// Check replays events in resourceVersion order and returns the violations.
func (c Config) Check(events []Event) ([]Violation, error) {
	return c.checkInOrder(ByRV(events))
}

// ByRV is a copy of events in resourceVersion order.
func ByRV(events []Event) []Event {
	out := slices.Clone(events)
	slices.SortStableFunc(out, func(a, b Event) int { return cmp.Compare(a.RV(), b.RV()) })
	return out
}

// Replay applies events in the order given to a new State and calls visit after each.
// Events of kinds not in c.Kinds are skipped.
func (c Config) Replay(events []Event, visit func(s *State, ev Event)) error {
	s := NewState()
	for _, ev := range events {
		k, ok := kindNamed(c.Kinds, ev.Object.GetKind())
		if !ok {
			continue
		}
		if err := k.Apply(s, ev.Object, ev.Type == watch.Deleted); err != nil {
			return fmt.Errorf("replay %s %s/%s at %d: %w", k.Name, ev.Object.GetNamespace(), ev.Object.GetName(), ev.RV(), err)
		}
		visit(s, ev)
	}
	return nil
}

// checkInOrder replays events in the order given: Check sorts them first.
func (c Config) checkInOrder(events []Event) ([]Violation, error) {
	var out []Violation
	active := map[string]map[string]string{} // by invariant: what was broken after the last change
	err := c.Replay(events, func(s *State, ev Event) {
		ch := Change{Kind: ev.Object.GetKind(), Key: keyOf(ev.Object)}
		for _, inv := range c.Invariants {
			bad := inv.Check(s, ch)
			for subject, detail := range bad {
				if _, was := active[inv.Name][subject]; !was {
					out = append(out, Violation{Invariant: inv.Name, Subject: subject, Detail: detail, RV: ev.RV(),
						Change: ch.Kind + " " + ch.Key.String(), Writer: ev.Writer})
				}
			}
			active[inv.Name] = bad
		}
	})
	return out, err
}

// WriteRecord writes events in the order given, one line each: resourceVersion, type,
// kind, namespace/name, what the kind describes of the object, and its writer.
func (c Config) WriteRecord(w io.Writer, events []Event) error {
	for _, ev := range events {
		desc := ""
		if k, ok := kindNamed(c.Kinds, ev.Object.GetKind()); ok && k.Describe != nil {
			desc = k.Describe(ev.Object)
		}
		writer := ev.Writer
		if writer == "" {
			writer = "-"
		}
		if _, err := fmt.Fprintf(w, "%d %s %s %s [%s] by %s\n", ev.RV(), ev.Type, ev.Object.GetKind(),
			keyOf(ev.Object), desc, writer); err != nil {
			return err
		}
	}
	return nil
}

// Summary counts violations by invariant.
func Summary(vs []Violation) map[string]int {
	out := map[string]int{}
	for _, v := range vs {
		out[v.Invariant]++
	}
	return out
}
