package trafficrouting

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"

	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	networkinglisters "k8s.io/client-go/listers/networking/v1"
	"k8s.io/client-go/tools/cache"
	gwv1 "sigs.k8s.io/gateway-api/apis/v1"
	gatewaylisters "sigs.k8s.io/gateway-api/pkg/client/listers/apis/v1"

	"github.com/serin-dev/serin/pkg/apis/rollouts/v1alpha1"
	"github.com/serin-dev/serin/pkg/plan"
	"github.com/serin-dev/serin/pkg/refs"
	"github.com/serin-dev/serin/pkg/trafficrouting/gatewayapi"
	"github.com/serin-dev/serin/pkg/trafficrouting/nginx"
	"github.com/serin-dev/serin/pkg/trafficrouting/spec"
)

// Entry is one traffic router: all that Serin outside this package knows about it.
type Entry struct {
	// Spec is what is known of the router without running it: its name, how a
	// trafficRouting selects it, and its validation rules (pkg/trafficrouting/spec).
	Spec spec.Spec
	// Watches are the kinds of object the router reads. The controller caches each
	// and requeues a Rollout when an object of it that Refs names, or that the Rollout
	// controls, changes.
	Watches []Watch
	// Refs are the objects of ro the router reads or writes (refs.Object.Kind is a
	// Watch.Kind).
	Refs func(ro *v1alpha1.Rollout) []refs.Object
	// New builds the router over d.
	New func(d Deps) Router
	// Render is, for the preview, the objects the router writes for ro to apply t,
	// rendered from the objects it reads in d's caches, as SetTraffic writes them. What
	// it cannot render (an object it reads not given) is left out.
	Render func(ro *v1alpha1.Rollout, d Deps, t plan.SetTraffic) []runtime.Object
	// Describe says in a few words how the router splits ro's traffic, for a person:
	// "nginx (Ingress web)".
	Describe func(ro *v1alpha1.Rollout) string
	// Summarize says in one line what an object Render made applies:
	// "web-web-canary canary-weight=20".
	Summarize func(obj metav1.Object) string
}

// Watch is one kind of object a router reads.
type Watch struct {
	// Kind is the object's kind, as in refs.Object.Kind ("Ingress").
	Kind string
	// Object is an empty object of the kind, to tell given objects' kinds apart.
	Object runtime.Object
	// AddToScheme registers the kind, to read it from manifests.
	AddToScheme func(*runtime.Scheme) error
	// Informer is the kind's shared informer from the controller's factories.
	Informer func(Factories) cache.SharedIndexInformer
	// List lists the kind's objects in namespace from the API server.
	List func(ctx context.Context, c Clients, namespace string) ([]runtime.Object, error)
	// Optional, for a kind the API server serves only once its CRDs are installed,
	// reports whether it serves it; nil for a kind always served. See ServedWatches.
	Optional func(Clients) (bool, error)
}

// ingresses is the Watch of networking.k8s.io/v1 Ingresses.
var ingresses = Watch{
	Kind:        nginx.Kind,
	Object:      &networkingv1.Ingress{},
	AddToScheme: networkingv1.AddToScheme,
	Informer: func(f Factories) cache.SharedIndexInformer {
		return f.Kube.Networking().V1().Ingresses().Informer()
	},
	List: func(ctx context.Context, c Clients, namespace string) ([]runtime.Object, error) {
		list, err := c.Kube.NetworkingV1().Ingresses(namespace).List(ctx, metav1.ListOptions{})
		if err != nil {
			return nil, fmt.Errorf("list ingresses in namespace %q: %w", namespace, err)
		}
		out := make([]runtime.Object, 0, len(list.Items))
		for i := range list.Items {
			out = append(out, &list.Items[i])
		}
		return out, nil
	},
}

// ingressLister is the lister over d's Ingress cache (empty when d has none).
func ingressLister(d Deps) networkinglisters.IngressLister {
	idx := d.Caches[nginx.Kind]
	if idx == nil {
		idx = cache.NewIndexer(cache.MetaNamespaceKeyFunc, cache.Indexers{cache.NamespaceIndex: cache.MetaNamespaceIndexFunc})
	}
	return networkinglisters.NewIngressLister(idx)
}

// httpRoutes is the Watch of gateway.networking.k8s.io/v1 HTTPRoutes, a CRD a cluster
// may not have.
var httpRoutes = Watch{
	Kind:        gatewayapi.Kind,
	Object:      &gwv1.HTTPRoute{},
	AddToScheme: gwv1.Install,
	Informer: func(f Factories) cache.SharedIndexInformer {
		return f.Gateway.Gateway().V1().HTTPRoutes().Informer()
	},
	List: func(ctx context.Context, c Clients, namespace string) ([]runtime.Object, error) {
		if c.Gateway == nil {
			return nil, fmt.Errorf("list HTTPRoutes in namespace %q: no Gateway API client", namespace)
		}
		list, err := c.Gateway.GatewayV1().HTTPRoutes(namespace).List(ctx, metav1.ListOptions{})
		if err != nil {
			return nil, fmt.Errorf("list HTTPRoutes in namespace %q: %w", namespace, err)
		}
		out := make([]runtime.Object, 0, len(list.Items))
		for i := range list.Items {
			out = append(out, &list.Items[i])
		}
		return out, nil
	},
	Optional: func(c Clients) (bool, error) {
		if c.Gateway == nil || c.Kube == nil {
			return false, nil
		}
		return servesResource(c.Kube, schema.GroupVersionResource{Group: gwv1.GroupVersion.Group, Version: gwv1.GroupVersion.Version, Resource: "httproutes"})
	},
}

// httpRouteLister is the lister over d's HTTPRoute cache (empty when d has none).
func httpRouteLister(d Deps) gatewaylisters.HTTPRouteLister {
	idx := d.Caches[gatewayapi.Kind]
	if idx == nil {
		idx = cache.NewIndexer(cache.MetaNamespaceKeyFunc, cache.Indexers{cache.NamespaceIndex: cache.MetaNamespaceIndexFunc})
	}
	return gatewaylisters.NewHTTPRouteLister(idx)
}

// entries maps each router's name to its entry: the one place a router's implementation
// is named. Every spec of pkg/trafficrouting/spec has one.
var entries = map[string]Entry{
	spec.Nginx.Name: {
		Spec:    spec.Nginx,
		Watches: []Watch{ingresses},
		Refs:    nginx.Refs,
		New:     func(d Deps) Router { return nginx.New(d.Clients.Kube, ingressLister(d)) },
		Render: func(ro *v1alpha1.Rollout, d Deps, t plan.SetTraffic) []runtime.Object {
			return nginx.Render(ro, ingressLister(d), t)
		},
		Describe:  nginx.Describe,
		Summarize: nginx.Summarize,
	},
	spec.GatewayAPI.Name: {
		Spec:    spec.GatewayAPI,
		Watches: []Watch{httpRoutes},
		Refs:    gatewayapi.Refs,
		New:     func(d Deps) Router { return gatewayapi.New(d.Clients.Gateway, httpRouteLister(d)) },
		Render: func(ro *v1alpha1.Rollout, d Deps, t plan.SetTraffic) []runtime.Object {
			return gatewayapi.Render(ro, httpRouteLister(d), t)
		},
		Describe:  gatewayapi.Describe,
		Summarize: gatewayapi.Summarize,
	},
}

var (
	_ Router = (*nginx.Router)(nil)
	_ Router = (*gatewayapi.Router)(nil)
)

// selected is the entry ro's spec.strategy.canary.trafficRouting selects: nil and no
// error when the Rollout has no trafficRouting (a blue-green Rollout, or a canary that
// splits by replica count), an error when trafficRouting names no router Serin supports
// or more than one.
func selected(ro *v1alpha1.Rollout) (*Entry, error) {
	c := ro.Spec.Strategy.Canary
	if c == nil || c.TrafficRouting == nil {
		return nil, nil
	}
	var chosen []string
	for _, s := range spec.Selected(c.TrafficRouting) {
		chosen = append(chosen, s.Name)
	}
	slices.Sort(chosen)
	switch len(chosen) {
	case 0:
		return nil, fmt.Errorf("rollout %s: spec.strategy.canary.trafficRouting sets no supported router (supported: %s)", ro.Name, strings.Join(slices.Sorted(maps.Keys(entries)), ", "))
	case 1:
		e, ok := entries[chosen[0]]
		if !ok {
			return nil, fmt.Errorf("rollout %s: router %s has a spec but no implementation", ro.Name, chosen[0])
		}
		return &e, nil
	default:
		return nil, fmt.Errorf("rollout %s: spec.strategy.canary.trafficRouting sets several routers (%s); set one", ro.Name, strings.Join(chosen, ", "))
	}
}

// For returns the router ro selects, built over d: nil and no error without
// trafficRouting; an error when trafficRouting selects no supported router or several.
// An optional kind the router reads that d has no cache of (its CRD was not installed
// when the controller started) is an error saying so.
func For(ro *v1alpha1.Rollout, d Deps) (Router, error) {
	e, err := selected(ro)
	if e == nil || err != nil {
		return nil, err
	}
	for _, w := range e.Watches {
		if w.Optional != nil && d.Caches[w.Kind] == nil {
			return nil, fmt.Errorf("rollout %s: the %s router reads %ss, which the API server did not serve when the controller started: install their CRDs, then restart the controller", ro.Name, e.Spec.Name, w.Kind)
		}
	}
	return e.New(d), nil
}

// Name is the name of the router ro selects: "" without trafficRouting; an error as For's.
func Name(ro *v1alpha1.Rollout) (string, error) {
	e, err := selected(ro)
	if e == nil || err != nil {
		return "", err
	}
	return e.Spec.Name, nil
}

// Refs is everything ro refers to: refs.Of, and the objects of the router it selects
// (none when it selects none, or not exactly one).
func Refs(ro *v1alpha1.Rollout) refs.Refs {
	r := refs.Of(ro)
	if e, _ := selected(ro); e != nil {
		r.Router = e.Refs(ro)
	}
	return r
}

// Describe says how ro's traffic is split, for the dashboard and the plugin: the
// router's own words ("nginx (Ingress web)"); "" without trafficRouting, or when it
// selects no supported router or several (validation reports that).
func Describe(ro *v1alpha1.Rollout) string {
	if e, _ := selected(ro); e != nil {
		return e.Describe(ro)
	}
	return ""
}

// Watches are the kinds every router reads, each once, sorted by kind.
func Watches() []Watch {
	byKind := map[string]Watch{}
	for _, e := range entries {
		for _, w := range e.Watches {
			byKind[w.Kind] = w
		}
	}
	out := make([]Watch, 0, len(byKind))
	for _, k := range slices.Sorted(maps.Keys(byKind)) {
		out = append(out, byKind[k])
	}
	return out
}
