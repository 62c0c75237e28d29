package framework

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/tools/cache"
	watchtools "k8s.io/client-go/tools/watch"
	"sigs.k8s.io/yaml"
)

type object = unstructured.Unstructured

// Resource names a resource for Then().Object, e.g. Resource("serin.dev", "v1alpha1",
// "rollouts").
func Resource(group, version, name string) schema.GroupVersionResource {
	return schema.GroupVersionResource{Group: group, Version: version, Resource: name}
}

// Resources the tests wait on.
var (
	Pods        = Resource("", "v1", "pods")
	Services    = Resource("", "v1", "services")
	ReplicaSets = Resource("apps", "v1", "replicasets")
	Rollouts    = Resource("serin.dev", "v1alpha1", "rollouts")
)

// listWatch lists and watches gvr in namespace ns ("" for cluster-scoped or all),
// narrowed by a label selector and a field selector.
func (e *Env) listWatch(gvr schema.GroupVersionResource, ns, labels, fieldSel string) cache.ListerWatcher {
	ri := e.F.Dynamic.Resource(gvr).Namespace(ns)
	narrow := func(o *metav1.ListOptions) {
		o.LabelSelector, o.FieldSelector = labels, fieldSel
	}
	return &cache.ListWatch{
		ListWithContextFunc: func(ctx context.Context, o metav1.ListOptions) (runtime.Object, error) {
			narrow(&o)
			return ri.List(ctx, o)
		},
		WatchFuncWithContext: func(ctx context.Context, o metav1.ListOptions) (watch.Interface, error) {
			narrow(&o)
			return ri.Watch(ctx, o)
		},
	}
}

// watchSet watches the objects gvr/ns/labels/fieldSel select and calls check with all of
// them (sorted by nothing in particular) once after the initial list and after every
// change, until check returns true, an error, or ctx ends. It returns the last set seen.
func (e *Env) watchSet(ctx context.Context, gvr schema.GroupVersionResource, ns, labels, fieldSel string,
	check func([]*object) (bool, error)) ([]*object, error) {
	var store cache.Store
	var last []*object
	eval := func() (bool, error) {
		last = last[:0]
		for _, o := range store.List() {
			last = append(last, o.(*object))
		}
		return check(last)
	}
	_, err := watchtools.UntilWithSync(ctx, e.listWatch(gvr, ns, labels, fieldSel), &object{},
		func(s cache.Store) (bool, error) { store = s; return eval() },
		func(watch.Event) (bool, error) { return eval() })
	return last, err
}

// waitFor waits until the object gvr ns/name exists and cond holds for it, failing the
// test after e.Timeout with the object's last state.
func (e *Env) waitFor(gvr schema.GroupVersionResource, ns, name, what string, cond func(*object) (bool, error)) *object {
	e.T.Helper()
	sel := fields.OneTermEqualSelector("metadata.name", name).String()
	objs := e.waitForSet(gvr, ns, "", sel, what, func(objs []*object) (bool, error) {
		if len(objs) == 0 {
			return false, nil
		}
		return cond(objs[0])
	})
	return objs[0]
}

// waitForSet waits until cond holds for the set of objects gvr in ns with the label
// selector (and field selector), failing the test after e.Timeout with their last state.
func (e *Env) waitForSet(gvr schema.GroupVersionResource, ns, labels, fieldSel, what string,
	cond func([]*object) (bool, error)) []*object {
	e.T.Helper()
	ctx, cancel := context.WithTimeout(e.ctx(), e.Timeout)
	defer cancel()
	start := time.Now()
	last, err := e.watchSet(ctx, gvr, ns, labels, fieldSel, cond)
	if err != nil {
		e.T.Fatalf("waiting %s until %s: %v\nlast seen %s:\n%s",
			time.Since(start).Round(time.Millisecond), what, err, describeSet(gvr, labels, fieldSel), render(last))
	}
	e.T.Logf("%s (after %s)", what, time.Since(start).Round(time.Millisecond))
	return last
}

// holdsFor watches the set for d and fails the test as soon as cond stops holding. It is
// for asserting that something does not happen (a broken pod never turns Ready): every
// change during d is checked, none is missed, and d is the observation window, not a
// guess at how long something takes.
func (e *Env) holdsFor(d time.Duration, gvr schema.GroupVersionResource, ns, labels, what string,
	cond func([]*object) (bool, error)) {
	e.T.Helper()
	ctx, cancel := context.WithTimeout(e.ctx(), d)
	defer cancel()
	broken := false
	last, err := e.watchSet(ctx, gvr, ns, labels, "", func(objs []*object) (bool, error) {
		ok, err := cond(objs)
		broken = !ok
		return broken, err
	})
	switch {
	case broken:
		e.T.Fatalf("%s stopped holding:\n%s", what, render(last))
	case err != nil && !errors.Is(err, watchtools.ErrWatchClosed) && ctx.Err() == nil:
		e.T.Fatalf("watching whether %s: %v", what, err)
	case e.ctx().Err() != nil:
		e.T.Fatalf("test ended while checking that %s", what)
	}
	e.T.Logf("%s, throughout %s", what, d)
}

func describeSet(gvr schema.GroupVersionResource, labels, fieldSel string) string {
	s := gvr.Resource
	if labels != "" {
		s += " -l " + labels
	}
	if fieldSel != "" {
		s += " --field-selector " + fieldSel
	}
	return s
}

// render prints objects as YAML without managedFields, for failure messages.
func render(objs []*object) string {
	if len(objs) == 0 {
		return "(none)"
	}
	var b strings.Builder
	for _, o := range objs {
		o = o.DeepCopy()
		unstructured.RemoveNestedField(o.Object, "metadata", "managedFields")
		data, err := yaml.Marshal(o.Object)
		if err != nil {
			fmt.Fprintf(&b, "(%v)\n", err)
			continue
		}
		b.WriteString("---\n")
		b.Write(data)
	}
	return b.String()
}
