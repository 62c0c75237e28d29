package trafficrouting

import (
	"context"
	"reflect"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/tools/cache"

	"github.com/serin-dev/serin/pkg/apis/rollouts/v1alpha1"
	"github.com/serin-dev/serin/pkg/plan"
)

// Offline, the routers work on objects given rather than cached: manifests for the
// preview, a one-off list for `kubectl serin plan --from-cluster`.

// AddToScheme registers every kind the routers read, to decode them from manifests.
func AddToScheme(s *runtime.Scheme) error {
	for _, w := range Watches() {
		if err := w.AddToScheme(s); err != nil {
			return err
		}
	}
	return nil
}

// KindOf is the Watch.Kind of obj when a router reads objects of its type, else "".
func KindOf(obj runtime.Object) string {
	for _, w := range Watches() {
		if reflect.TypeOf(w.Object) == reflect.TypeOf(obj) {
			return w.Kind
		}
	}
	return ""
}

// OfflineDeps are router Deps over objs: each object a router reads in its kind's
// cache, the others ignored; no client.
func OfflineDeps(objs []runtime.Object) Deps {
	d := Deps{Caches: map[string]cache.Indexer{}}
	for _, w := range Watches() {
		d.Caches[w.Kind] = cache.NewIndexer(cache.MetaNamespaceKeyFunc, cache.Indexers{cache.NamespaceIndex: cache.MetaNamespaceIndexFunc})
	}
	for _, obj := range objs {
		if idx := d.Caches[KindOf(obj)]; idx != nil {
			_ = idx.Add(obj) // the key func fails only for objects without metadata
		}
	}
	return d
}

// ObserveObjects is what the router ro selects reports it applies, read from objs: nil
// without trafficRouting or before the router wrote anything; Problem set when the
// router cannot act or ro selects no supported router.
func ObserveObjects(ro *v1alpha1.Rollout, objs []runtime.Object) *plan.TrafficState {
	r, err := For(ro, OfflineDeps(objs))
	switch {
	case err != nil:
		return &plan.TrafficState{Problem: err.Error()}
	case r == nil:
		return nil
	}
	return r.Observe(ro)
}

// Render is what the router ro selects writes to apply t, rendered from the objects it
// reads among objs (see Entry.Render); nil without a router.
func Render(ro *v1alpha1.Rollout, objs []runtime.Object, t plan.SetTraffic) []runtime.Object {
	e, _ := selected(ro)
	if e == nil {
		return nil
	}
	return e.Render(ro, OfflineDeps(objs), t)
}

// Summarize says in one line what obj, rendered by ro's router, applies; "" without one.
func Summarize(ro *v1alpha1.Rollout, obj metav1.Object) string {
	e, _ := selected(ro)
	if e == nil {
		return ""
	}
	return e.Summarize(obj)
}

// ListObjects lists, in ro's namespace, every object of the kinds ro's router reads
// (for `kubectl serin plan --from-cluster`); none without a router.
func ListObjects(ctx context.Context, c Clients, ro *v1alpha1.Rollout) ([]runtime.Object, error) {
	e, _ := selected(ro)
	if e == nil {
		return nil, nil
	}
	var out []runtime.Object
	for _, w := range e.Watches {
		objs, err := w.List(ctx, c, ro.Namespace)
		if err != nil {
			return nil, err
		}
		out = append(out, objs...)
	}
	return out, nil
}
