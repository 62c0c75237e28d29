package gatewayapi

import (
	"context"
	"reflect"
	"testing"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	k8stesting "k8s.io/client-go/testing"
	gwv1 "sigs.k8s.io/gateway-api/apis/v1"
	gatewayfake "sigs.k8s.io/gateway-api/pkg/client/clientset/versioned/fake"

	"github.com/serin-dev/serin/pkg/apis/rollouts/v1alpha1"
	"github.com/serin-dev/serin/pkg/plan"
	"github.com/serin-dev/serin/test/fakeapi"
)

// fixture is a Router over a fake Gateway API clientset whose lister is refreshed from
// the clientset by sync (as an informer would).
type fixture struct {
	t      *testing.T
	client *gatewayfake.Clientset
	router *Router
}

func newFixture(t *testing.T, routes ...*gwv1.HTTPRoute) *fixture {
	t.Helper()
	f := &fixture{t: t, client: gatewayfake.NewSimpleClientset()}
	for _, r := range routes {
		if err := f.client.Tracker().Add(r); err != nil {
			t.Fatal(err)
		}
	}
	fakeapi.EnforceResourceVersions(f.client, "httproutes")
	f.sync()
	return f
}

func (f *fixture) sync() {
	list, err := f.client.GatewayV1().HTTPRoutes(ns).List(context.Background(), metav1.ListOptions{})
	if err != nil {
		f.t.Fatal(err)
	}
	var routes []*gwv1.HTTPRoute
	for i := range list.Items {
		routes = append(routes, &list.Items[i])
	}
	f.router = New(f.client, lister(routes...))
}

// set applies t and refreshes the cache.
func (f *fixture) set(ro *v1alpha1.Rollout, t plan.SetTraffic) {
	f.t.Helper()
	if err := f.router.SetTraffic(context.Background(), ro, t); err != nil {
		f.t.Fatalf("SetTraffic(%+v): %v", t, err)
	}
	f.sync()
}

func (f *fixture) get(name string) *gwv1.HTTPRoute {
	f.t.Helper()
	r, err := f.client.GatewayV1().HTTPRoutes(ns).Get(context.Background(), name, metav1.GetOptions{})
	if err != nil {
		f.t.Fatal(err)
	}
	return r
}

func (f *fixture) writes() int {
	n := 0
	for _, a := range f.client.Actions() {
		if a.GetVerb() == "patch" || a.GetVerb() == "update" || a.GetVerb() == "create" {
			n++
		}
	}
	return n
}

// weights are the weights of each backend of rule i, by name.
func weights(r *gwv1.HTTPRoute, i int) map[string]int32 {
	out := map[string]int32{}
	for _, ref := range r.Spec.Rules[i].BackendRefs {
		w := int32(-1)
		if ref.Weight != nil {
			w = *ref.Weight
		}
		out[string(ref.Name)] = w
	}
	return out
}

// A canary walk on Argo's route: each weight lands in the rule, a header route adds a
// rule before it and its removal takes it away, and what another controller changed on
// the route meanwhile (a label, an annotation, a filter, another rule) stays. A write
// already in effect writes nothing.
func TestSetTrafficWalk(t *testing.T) {
	ro := rollout("web")
	f := newFixture(t, argoRoute("web"))
	beta := headerRoute("beta", "x-beta", v1alpha1.StringMatch{Exact: "1"})

	f.set(ro, plan.SetTraffic{CanaryWeight: 20})
	if got := weights(f.get("web"), 0); !reflect.DeepEqual(got, map[string]int32{"web-stable": 80, "web-canary": 20}) {
		t.Fatalf("weights at 20 = %v", got)
	}
	// Someone else edits the route.
	other := f.get("web")
	other.Labels = map[string]string{"team": "shop"}
	other.Annotations = map[string]string{"example.com/owner": "ops"}
	other.Spec.Rules = append(other.Spec.Rules, pathRule("/api", backend("api", nil)))
	other.Spec.Rules[0].Filters = []gwv1.HTTPRouteFilter{{Type: gwv1.HTTPRouteFilterRequestHeaderModifier,
		RequestHeaderModifier: &gwv1.HTTPHeaderFilter{Set: []gwv1.HTTPHeader{{Name: "x-env", Value: "prod"}}}}}
	if _, err := f.client.GatewayV1().HTTPRoutes(ns).Update(context.Background(), other, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	f.sync()

	f.set(ro, plan.SetTraffic{CanaryWeight: 40, HeaderRoutes: []v1alpha1.SetHeaderRoute{beta}})
	r := f.get("web")
	if len(r.Spec.Rules) != 3 || ruleName(r.Spec.Rules[0]) != RuleName("web", "beta", 0) {
		t.Fatalf("rules after the header route = %+v, want the managed rule first, then 2", r.Spec.Rules)
	}
	if got := weights(r, 0); !reflect.DeepEqual(got, map[string]int32{"web-canary": 1}) {
		t.Errorf("managed rule backends = %v, want the canary alone", got)
	}
	if got := r.Spec.Rules[0].Matches[0].Headers; len(got) != 1 || got[0].Name != "x-beta" || got[0].Value != "1" {
		t.Errorf("managed rule headers = %+v", got)
	}
	if got := weights(r, 1); !reflect.DeepEqual(got, map[string]int32{"web-stable": 60, "web-canary": 40}) {
		t.Errorf("weights at 40 = %v", got)
	}
	if r.Labels["team"] != "shop" || r.Annotations["example.com/owner"] != "ops" || len(r.Spec.Rules[1].Filters) != 1 ||
		!reflect.DeepEqual(weights(r, 2), map[string]int32{"api": -1}) {
		t.Errorf("another controller's edits were lost: %+v", r)
	}
	if st := f.router.Observe(ro); st == nil || st.OutOfSync || st.CanaryWeight != 40 || !reflect.DeepEqual(st.HeaderRoutes, []v1alpha1.SetHeaderRoute{beta}) || st.Problem != "" {
		t.Errorf("Observe after the header route = %+v", st)
	}

	before := f.writes()
	f.set(ro, plan.SetTraffic{CanaryWeight: 40, HeaderRoutes: []v1alpha1.SetHeaderRoute{beta}})
	if f.writes() != before {
		t.Errorf("a split already in effect wrote %d times", f.writes()-before)
	}

	// Abort: weight 0 and the route cleared, from a restarted controller (a new router
	// that knows only what the route records).
	f.router = New(f.client, f.router.routes)
	f.set(ro, plan.SetTraffic{})
	r = f.get("web")
	if len(r.Spec.Rules) != 2 || ruleName(r.Spec.Rules[0]) != "" {
		t.Fatalf("rules after abort = %+v, want the managed rule gone", r.Spec.Rules)
	}
	if _, ok := r.Annotations[ManagedRulesAnnotation]; ok || r.Annotations["example.com/owner"] != "ops" {
		t.Errorf("annotations after abort = %v, want the record gone and the owner's kept", r.Annotations)
	}
	if got := weights(r, 0); !reflect.DeepEqual(got, map[string]int32{"web-stable": 100, "web-canary": 0}) {
		t.Errorf("weights after abort = %v", got)
	}
}

// The patch carries the lister's resourceVersion: a router whose cache missed another
// writer's change gets a Conflict and changes nothing; from a fresh cache it goes through.
func TestSetTrafficFromAStaleCacheConflicts(t *testing.T) {
	ro := rollout("web")
	f := newFixture(t, argoRoute("web"))
	f.set(ro, plan.SetTraffic{CanaryWeight: 10})
	leader := f.get("web")
	leader.Spec.Rules[0].BackendRefs[0].Weight = new(int32(100))
	leader.Spec.Rules[0].BackendRefs[1].Weight = new(int32(0))
	if _, err := f.client.GatewayV1().HTTPRoutes(ns).Update(context.Background(), leader, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	f.client.ClearActions()
	err := f.router.SetTraffic(context.Background(), ro, plan.SetTraffic{CanaryWeight: 50})
	if !apierrors.IsConflict(err) {
		t.Fatalf("SetTraffic from a stale cache = %v, want a conflict", err)
	}
	if got := weights(f.get("web"), 0)["web-canary"]; got != 0 || f.writes() != 1 {
		t.Errorf("after the conflict: canary weight %d after %d writes, want the leader's 0 after 1", got, f.writes())
	}
	f.sync()
	f.client.ClearActions()
	f.set(ro, plan.SetTraffic{CanaryWeight: 50})
	if got := weights(f.get("web"), 0)["web-canary"]; got != 50 || f.writes() != 1 {
		t.Errorf("from a fresh cache: canary weight %d after %d writes, want 50 after 1", got, f.writes())
	}
}

// Only JSON patches of the fields Serin owns: never an update of the whole route.
func TestSetTrafficPatchesOnly(t *testing.T) {
	f := newFixture(t, argoRoute("web"), argoRoute("web-internal"))
	ro := rollout("web", withRoutes(v1alpha1.GatewayAPIRoute{Name: "web", UseHeaderRoutes: true}, v1alpha1.GatewayAPIRoute{Name: "web-internal"}))
	f.set(ro, plan.SetTraffic{CanaryWeight: 30, HeaderRoutes: []v1alpha1.SetHeaderRoute{headerRoute("beta", "x-beta", v1alpha1.StringMatch{Exact: "1"})}})
	for _, a := range f.client.Actions() {
		if p, ok := a.(k8stesting.PatchAction); ok && p.GetPatchType() != "application/json-patch+json" {
			t.Errorf("patch of type %s", p.GetPatchType())
		}
		if a.GetVerb() == "update" || a.GetVerb() == "create" {
			t.Errorf("%s of %s: the router only patches", a.GetVerb(), a.GetResource().Resource)
		}
	}
	if n := len(f.get("web").Spec.Rules); n != 2 {
		t.Errorf("route web (takes header routes) has %d rules, want 2", n)
	}
	internal := f.get("web-internal")
	if n := len(internal.Spec.Rules); n != 1 || weights(internal, 0)["web-canary"] != 30 {
		t.Errorf("route web-internal (no header routes) = %+v, want its one rule at 30", internal.Spec.Rules)
	}
}

// What SetTraffic cannot do is an error naming the route.
func TestSetTrafficErrors(t *testing.T) {
	tests := map[string]struct {
		ro     *v1alpha1.Rollout
		routes []*gwv1.HTTPRoute
		want   string
	}{
		"route missing":               {ro: rollout("web"), want: `HTTPRoute web: httproute.gateway.networking.k8s.io "web" not found`},
		"no rule to the stable":       {ro: rollout("web"), routes: []*gwv1.HTTPRoute{route("web", pathRule("/", backend("api", nil)))}, want: "HTTPRoute web has no rule with a backend to the stable Service web-stable"},
		"another namespace":           {ro: rollout("web", withNamespace("infra")), routes: []*gwv1.HTTPRoute{argoRoute("web")}, want: "namespace is infra: Serin routes only through HTTPRoutes in the Rollout's namespace (shop)"},
		"no route named (httpRoutes)": {ro: rollout("web", withRoutes()), want: "names no HTTPRoute"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			f := newFixture(t, tc.routes...)
			err := f.router.SetTraffic(context.Background(), tc.ro, plan.SetTraffic{CanaryWeight: 10})
			if err == nil || !containsText(err.Error(), tc.want) {
				t.Errorf("SetTraffic error = %v, want one containing %q", err, tc.want)
			}
			if f.writes() != 0 {
				t.Errorf("%d writes, want none", f.writes())
			}
		})
	}
}

func withNamespace(namespace string) rolloutOpt {
	return func(ro *v1alpha1.Rollout) {
		cfg := ro.Spec.Strategy.Canary.TrafficRouting.Plugins[v1alpha1.GatewayAPIPlugin]
		cfg.Namespace = namespace
		ro.Spec.Strategy.Canary.TrafficRouting.Plugins[v1alpha1.GatewayAPIPlugin] = cfg
	}
}
