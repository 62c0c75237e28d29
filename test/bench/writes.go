package bench

import (
	"encoding/json"
	"reflect"
	"sort"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/watch"
)

// writeKinds are the resources whose changes the controller's writes explain; each
// entry says which watched change is a controller write. Other components write status
// of ReplicaSets and Pods (kube-controller-manager, kwok), which is left out.
var writeKinds = map[string]func(prev, cur *unstructured.Unstructured) bool{
	"Rollout":    func(prev, cur *unstructured.Unstructured) bool { return true },
	"ReplicaSet": specOrMetaChanged,
	"Service":    specOrMetaChanged,
	"Ingress":    func(prev, cur *unstructured.Unstructured) bool { return true },
	"Pod":        metaChanged,
}

func specOrMetaChanged(prev, cur *unstructured.Unstructured) bool {
	return prev == nil || !reflect.DeepEqual(prev.Object["spec"], cur.Object["spec"]) || metaChanged(prev, cur)
}

func metaChanged(prev, cur *unstructured.Unstructured) bool {
	return prev == nil || !reflect.DeepEqual(prev.GetLabels(), cur.GetLabels()) ||
		!reflect.DeepEqual(prev.GetAnnotations(), cur.GetAnnotations()) ||
		!reflect.DeepEqual(prev.GetFinalizers(), cur.GetFinalizers())
}

// writeCounter turns watch events into controller writes by kind and verb ("Rollout
// status", "ReplicaSet create", "Service update", "Event"), remembering each object's
// last version so that a change can be compared with what it changed.
type writeCounter struct {
	last map[string]*unstructured.Unstructured // kind/name → last version seen
	// own are the resourceVersions the benchmark itself wrote (image patch, abort).
	own map[string]bool
}

func newWriteCounter() *writeCounter {
	return &writeCounter{last: map[string]*unstructured.Unstructured{}, own: map[string]bool{}}
}

// count classifies evs (of one kind, in order) and adds them to into; it only
// remembers the objects when into is nil (events before the window).
func (w *writeCounter) count(kind string, evs []Event, into map[string]int) {
	for _, e := range evs {
		key := kind + "/" + e.Obj.GetName()
		prev := w.last[key]
		w.last[key] = e.Obj
		if into == nil || w.own[e.Obj.GetResourceVersion()] {
			continue
		}
		if kind == "Event" {
			if str(e.Obj, "source", "component") == "serin-controller" || str(e.Obj, "reportingComponent") == "serin-controller" {
				into["Event"]++
			}
			continue
		}
		ok := writeKinds[kind]
		if ok == nil {
			continue
		}
		if kind == "Pod" && e.Type != watch.Modified {
			continue // kube-controller-manager creates and deletes pods
		}
		switch e.Type {
		case watch.Added:
			into[kind+" create"]++
		case watch.Deleted:
			into[kind+" delete"]++
		case watch.Modified:
			if kind == "Rollout" {
				if prev == nil || !jsonEqual(prev.Object["status"], e.Obj.Object["status"]) {
					into["Rollout status"]++
				}
				if prev == nil || metaChanged(prev, e.Obj) {
					into["Rollout update"]++
				}
				continue
			}
			if ok(prev, e.Obj) {
				into[kind+" update"]++
			}
		}
	}
}

func jsonEqual(a, b any) bool {
	x, _ := json.Marshal(a)
	y, _ := json.Marshal(b)
	return string(x) == string(y)
}

// objectWrites sums the writes that are not Events.
func objectWrites(m map[string]int) int {
	n := 0
	for k, v := range m {
		if k != "Event" {
			n += v
		}
	}
	return n
}

func statusWrites(m map[string]int) int { return m["Rollout status"] }

func sortedKeys(m map[string][]float64) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
