package nginx

import (
	"slices"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	networkinglisters "k8s.io/client-go/listers/networking/v1"

	"github.com/serin-dev/serin/pkg/apis/rollouts/v1alpha1"
	"github.com/serin-dev/serin/pkg/plan"
	"github.com/serin-dev/serin/pkg/refs"
)

// What the registry (pkg/trafficrouting) says about this router besides the Router
// itself: the objects it refers to, its offline rendering and its description.

// Kind is the kind of object the router reads and writes.
const Kind = "Ingress"

// Refs are the Ingresses of ro: each stable Ingress, which the router reads, and its
// canary Ingress, which it writes.
func Refs(ro *v1alpha1.Rollout) []refs.Object {
	var out []refs.Object
	for _, name := range stableIngressNames(ro) {
		out = append(out,
			refs.Object{Kind: Kind, Name: name, Role: refs.RoleStable},
			refs.Object{Kind: Kind, Name: CanaryIngressName(ro.Name, name), Role: refs.RoleCanary, Written: true})
	}
	return out
}

// Describe is "nginx (Ingress <stable Ingresses>)".
func Describe(ro *v1alpha1.Rollout) string {
	return Name + " (Ingress " + strings.Join(stableIngressNames(ro), ", ") + ")"
}

// Render is the canary Ingress of each stable Ingress of ro that ingresses holds, for the
// split t, sorted by stable Ingress name; a stable Ingress missing, or one the renderer
// refuses, is left out.
func Render(ro *v1alpha1.Rollout, ingresses networkinglisters.IngressLister, t plan.SetTraffic) []runtime.Object {
	var out []runtime.Object
	for _, name := range slices.Sorted(slices.Values(stableIngressNames(ro))) {
		stable, err := ingresses.Ingresses(ro.Namespace).Get(name)
		if err != nil {
			continue
		}
		if ing, err := DesiredCanaryIngress(ro, stable, t); err == nil {
			out = append(out, ing)
		}
	}
	return out
}

// Summarize is a canary Ingress' name and its canary annotations but "canary", without
// their prefix, sorted: "web-web-canary canary-weight=20".
func Summarize(obj metav1.Object) string {
	var anns []string
	for k, v := range obj.GetAnnotations() {
		if _, short, ok := strings.Cut(k, "/"); ok && strings.HasPrefix(short, annCanary) && short != annCanary {
			anns = append(anns, short+"="+v)
		}
	}
	slices.Sort(anns)
	return obj.GetName() + " " + strings.Join(anns, " ")
}
