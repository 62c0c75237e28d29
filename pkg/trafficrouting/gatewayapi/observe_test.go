package gatewayapi

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	jsonpatch "gopkg.in/evanphx/json-patch.v4"
	gwv1 "sigs.k8s.io/gateway-api/apis/v1"

	"github.com/serin-dev/serin/pkg/apis/rollouts/v1alpha1"
	"github.com/serin-dev/serin/pkg/plan"
)

func containsText(s, sub string) bool { return strings.Contains(s, sub) }

// rendered is route as Desired renders it for rollout web and t.
func rendered(t *testing.T, route *gwv1.HTTPRoute, split plan.SetTraffic) *gwv1.HTTPRoute {
	t.Helper()
	out, err := Desired(rollout("web"), route, true, split)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestObserve(t *testing.T) {
	beta := []v1alpha1.SetHeaderRoute{headerRoute("beta", "x-beta", v1alpha1.StringMatch{Exact: "1"})}
	edited := rendered(t, argoRoute("web"), plan.SetTraffic{CanaryWeight: 20, HeaderRoutes: beta})
	edited.Spec.Rules[0].Matches[0].Headers[0].Value = "2" // someone edits Serin's rule
	tests := map[string]struct {
		routes []*gwv1.HTTPRoute
		want   *plan.TrafficState
	}{
		"Argo's route untouched: weight 0, in sync": {
			routes: []*gwv1.HTTPRoute{argoRoute("web")},
			want:   &plan.TrafficState{},
		},
		"rendered at 30 with a header route": {
			routes: []*gwv1.HTTPRoute{rendered(t, argoRoute("web"), plan.SetTraffic{CanaryWeight: 30, HeaderRoutes: beta})},
			want:   &plan.TrafficState{CanaryWeight: 30, HeaderRoutes: beta},
		},
		"no canary backend yet: weight 0, out of sync": {
			routes: []*gwv1.HTTPRoute{route("web", pathRule("/", backend("web-stable", nil)))},
			want:   &plan.TrafficState{OutOfSync: true},
		},
		// Weights without a value weigh 1: the canary has half the traffic.
		"both backends without weights: half, out of sync": {
			routes: []*gwv1.HTTPRoute{route("web", pathRule("/", backend("web-stable", nil), backend("web-canary", nil)))},
			want:   &plan.TrafficState{CanaryWeight: 50, OutOfSync: true},
		},
		// Weights that do not add up to 100: the share, rounded up.
		"weights 3 and 1: 25, out of sync": {
			routes: []*gwv1.HTTPRoute{route("web", pathRule("/", backend("web-stable", new(int32(3))), backend("web-canary", new(int32(1)))))},
			want:   &plan.TrafficState{CanaryWeight: 25, OutOfSync: true},
		},
		"two rules that disagree: the highest, out of sync": {
			routes: []*gwv1.HTTPRoute{route("web",
				pathRule("/", backend("web-stable", new(int32(90))), backend("web-canary", new(int32(10)))),
				pathRule("/shop", backend("web-stable", new(int32(40))), backend("web-canary", new(int32(60)))))},
			want: &plan.TrafficState{CanaryWeight: 60, OutOfSync: true},
		},
		"a managed rule edited: out of sync": {
			routes: []*gwv1.HTTPRoute{edited},
			want:   &plan.TrafficState{CanaryWeight: 20, HeaderRoutes: beta, OutOfSync: true},
		},
		"route missing": {
			want: &plan.TrafficState{Problem: "HTTPRoute web not found"},
		},
		"no rule to the stable Service": {
			routes: []*gwv1.HTTPRoute{route("web", pathRule("/", backend("api", nil)))},
			want:   &plan.TrafficState{Problem: "HTTPRoute web has no rule with a backend to the stable Service web-stable: there is nothing to split", OutOfSync: true},
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			got := New(nil, lister(tc.routes...)).Observe(rollout("web"))
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("Observe = %+v, want %+v", got, tc.want)
			}
		})
	}
}

// Patch turns the route into its rendered form: applying it to the route's JSON gives
// Desired's rules and record, and a route already rendered needs no patch.
func TestPatchReachesDesired(t *testing.T) {
	beta := headerRoute("beta", "x-beta", v1alpha1.StringMatch{Exact: "1"})
	gamma := headerRoute("gamma", "x-gamma", v1alpha1.StringMatch{Regex: "a+"})
	start := route("web", pathRule("/", backend("web-stable", nil)), pathRule("/api", backend("api", nil)), pathRule("/shop", backend("web-stable", nil)))
	steps := []plan.SetTraffic{
		{CanaryWeight: 10},
		{CanaryWeight: 20, HeaderRoutes: []v1alpha1.SetHeaderRoute{beta}},
		{CanaryWeight: 20, HeaderRoutes: []v1alpha1.SetHeaderRoute{beta, gamma}},
		{CanaryWeight: 50, HeaderRoutes: []v1alpha1.SetHeaderRoute{gamma}},
		{CanaryWeight: 0},
	}
	cur := start
	for i, step := range steps {
		want := rendered(t, cur, step)
		ops, err := Patch(rollout("web"), cur, want)
		if err != nil {
			t.Fatal(err)
		}
		next := applyPatch(t, cur, ops)
		if !sameRoute(next, want) {
			t.Fatalf("step %d: the patched route differs from the rendered one:\n%+v\n%+v", i, next.Spec.Rules, want.Spec.Rules)
		}
		if ops[0].Path != "/metadata/resourceVersion" || ops[0].Value != cur.ResourceVersion {
			t.Errorf("step %d: the patch does not lead with the resourceVersion: %+v", i, ops[0])
		}
		if again, _ := Patch(rollout("web"), next, rendered(t, next, step)); len(again) != 0 {
			t.Errorf("step %d: a rendered route needs the patch %+v", i, again)
		}
		cur = next
	}
}

func applyPatch(t *testing.T, route *gwv1.HTTPRoute, ops []Op) *gwv1.HTTPRoute {
	t.Helper()
	doc, err := json.Marshal(route)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := json.Marshal(ops)
	if err != nil {
		t.Fatal(err)
	}
	p, err := jsonpatch.DecodePatch(raw)
	if err != nil {
		t.Fatal(err)
	}
	out, err := p.Apply(doc)
	if err != nil {
		t.Fatalf("apply %s: %v", raw, err)
	}
	var next gwv1.HTTPRoute
	if err := json.Unmarshal(out, &next); err != nil {
		t.Fatal(err)
	}
	return &next
}
