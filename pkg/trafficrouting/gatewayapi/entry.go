package gatewayapi

import (
	"fmt"
	"slices"
	"strings"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	gwv1 "sigs.k8s.io/gateway-api/apis/v1"
	gatewaylisters "sigs.k8s.io/gateway-api/pkg/client/listers/apis/v1"

	"github.com/serin-dev/serin/pkg/apis/rollouts/v1alpha1"
	"github.com/serin-dev/serin/pkg/plan"
	"github.com/serin-dev/serin/pkg/refs"
)

// What the registry (pkg/trafficrouting) says about this router besides the Router
// itself: the objects it refers to, its offline rendering and its description.

// Kind is the kind of object the router reads and writes.
const Kind = "HTTPRoute"

// Refs are the HTTPRoutes of ro. The router writes them but does not own them: they
// are the user's, so they are read (and must be given to a preview), never created.
func Refs(ro *v1alpha1.Rollout) []refs.Object {
	var out []refs.Object
	for _, r := range routes(ro) {
		out = append(out, refs.Object{Kind: Kind, Name: r.Name, Role: refs.RoleStable})
	}
	return out
}

// Describe is "gatewayAPI (HTTPRoute <routes>)".
func Describe(ro *v1alpha1.Rollout) string {
	var names []string
	for _, r := range routes(ro) {
		names = append(names, r.Name)
	}
	return Name + " (HTTPRoute " + strings.Join(names, ", ") + ")"
}

// Render is each HTTPRoute of ro that lister holds as the split t leaves it, sorted by
// name; a route missing, or one the renderer refuses, is left out.
func Render(ro *v1alpha1.Rollout, lister gatewaylisters.HTTPRouteLister, t plan.SetTraffic) []runtime.Object {
	refs := routes(ro)
	slices.SortFunc(refs, func(a, b v1alpha1.GatewayAPIRoute) int { return strings.Compare(a.Name, b.Name) })
	var out []runtime.Object
	for _, ref := range refs {
		route, err := lister.HTTPRoutes(ro.Namespace).Get(ref.Name)
		if apierrors.IsNotFound(err) || err != nil {
			continue
		}
		if desired, err := Desired(ro, route, ref.UseHeaderRoutes, t); err == nil {
			desired.TypeMeta = metav1.TypeMeta{APIVersion: gwv1.GroupVersion.String(), Kind: Kind}
			out = append(out, desired)
		}
	}
	return out
}

// Summarize says what a rendered HTTPRoute applies: its name, each weighted backend of
// the rules not Serin added ("web-stable=80 web-canary=20", once per distinct rule
// split) and the rules Serin added: "web web-stable=80 web-canary=20 +rule serin-...".
func Summarize(obj metav1.Object) string {
	route, ok := asRoute(obj)
	if !ok {
		return obj.GetName()
	}
	recs, _ := readRecords(route)
	var managed []string
	for _, rec := range recs {
		managed = append(managed, rec.Rules...)
	}
	parts := []string{route.Name}
	for _, rule := range route.Spec.Rules {
		if slices.Contains(managed, ruleName(rule)) {
			parts = append(parts, "+rule "+ruleName(rule))
			continue
		}
		var split []string
		for _, ref := range rule.BackendRefs {
			if ref.Weight != nil {
				split = append(split, fmt.Sprintf("%s=%d", ref.Name, *ref.Weight))
			}
		}
		if s := strings.Join(split, " "); s != "" && !slices.Contains(parts, s) {
			parts = append(parts, s)
		}
	}
	return strings.Join(parts, " ")
}

// asRoute is obj as an HTTPRoute, typed or unstructured (as the preview hands it over).
func asRoute(obj metav1.Object) (*gwv1.HTTPRoute, bool) {
	switch o := obj.(type) {
	case *gwv1.HTTPRoute:
		return o, true
	case interface{ UnstructuredContent() map[string]any }:
		var r gwv1.HTTPRoute
		if err := runtime.DefaultUnstructuredConverter.FromUnstructured(o.UnstructuredContent(), &r); err == nil {
			return &r, true
		}
	}
	return nil, false
}
