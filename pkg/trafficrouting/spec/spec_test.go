package spec

import (
	"slices"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/serin-dev/serin/pkg/apis/rollouts/v1alpha1"
)

func errStrings(errs field.ErrorList) []string {
	var out []string
	for _, e := range errs {
		out = append(out, e.Error())
	}
	return out
}

func TestSpecs(t *testing.T) {
	tests := map[string]struct {
		tr *v1alpha1.RolloutTrafficRouting
		// selected are the names of the routers tr selects.
		selected []string
		// errs are the selected router's validation errors, as "field: type: detail".
		errs []string
	}{
		"no trafficRouting": {},
		"trafficRouting without a router": {
			tr: &v1alpha1.RolloutTrafficRouting{MaxTrafficWeight: new(int32)},
		},
		"nginx with stableIngress": {
			tr:       &v1alpha1.RolloutTrafficRouting{Nginx: &v1alpha1.NginxTrafficRouting{StableIngress: "web"}},
			selected: []string{"nginx"},
		},
		"nginx with stableIngresses": {
			tr:       &v1alpha1.RolloutTrafficRouting{Nginx: &v1alpha1.NginxTrafficRouting{StableIngresses: []string{"web", "api"}}},
			selected: []string{"nginx"},
		},
		"nginx with neither": {
			tr:       &v1alpha1.RolloutTrafficRouting{Nginx: &v1alpha1.NginxTrafficRouting{}},
			selected: []string{"nginx"},
			errs:     []string{"p.nginx: Invalid value: " + NginxOneStableIngress},
		},
		"nginx with both": {
			tr:       &v1alpha1.RolloutTrafficRouting{Nginx: &v1alpha1.NginxTrafficRouting{StableIngress: "web", StableIngresses: []string{"api"}}},
			selected: []string{"nginx"},
			errs:     []string{"p.nginx: Invalid value: " + NginxOneStableIngress},
		},
		"gatewayAPI with httpRoute": {
			tr:       gateway(v1alpha1.GatewayAPITrafficRouting{HTTPRoute: "web", Namespace: "shop"}),
			selected: []string{"gatewayAPI"},
		},
		"gatewayAPI with httpRoutes": {
			tr:       gateway(v1alpha1.GatewayAPITrafficRouting{HTTPRoutes: []v1alpha1.GatewayAPIRoute{{Name: "a"}, {Name: "b", UseHeaderRoutes: true}}}),
			selected: []string{"gatewayAPI"},
		},
		"gatewayAPI without a route": {
			tr:       gateway(v1alpha1.GatewayAPITrafficRouting{Namespace: "shop"}),
			selected: []string{"gatewayAPI"},
			errs:     []string{"p.plugins[argoproj-labs/gatewayAPI]: Invalid value: " + GatewayAPINoRoute},
		},
		"gatewayAPI naming a route twice": {
			tr:       gateway(v1alpha1.GatewayAPITrafficRouting{HTTPRoute: "a", HTTPRoutes: []v1alpha1.GatewayAPIRoute{{Name: "a"}}}),
			selected: []string{"gatewayAPI"},
			errs:     []string{`p.plugins[argoproj-labs/gatewayAPI].httpRoutes[0].name: Invalid value: "a": ` + GatewayAPIRouteTwice},
		},
		"gatewayAPI with keys Serin refuses": {
			tr: gateway(v1alpha1.GatewayAPITrafficRouting{HTTPRoute: "web", GRPCRoute: "g", ConfigMap: "cm",
				HTTPRouteSelector: &metav1.LabelSelector{}, InProgressLabelKey: "k"}),
			selected: []string{"gatewayAPI"},
			errs: []string{
				`p.plugins[argoproj-labs/gatewayAPI].grpcRoute: Invalid value: "not supported": ` + GatewayAPIRefused("grpcRoute"),
				`p.plugins[argoproj-labs/gatewayAPI].httpRouteSelector: Invalid value: "not supported": ` + GatewayAPIRefused("httpRouteSelector"),
				`p.plugins[argoproj-labs/gatewayAPI].configMap: Invalid value: "not supported": ` + GatewayAPIRefused("configMap"),
				`p.plugins[argoproj-labs/gatewayAPI].inProgressLabelKey: Invalid value: "not supported": ` + GatewayAPIRefused("inProgressLabelKey"),
			},
		},
		"gatewayAPI beside another plugin": {
			tr: &v1alpha1.RolloutTrafficRouting{Plugins: map[string]v1alpha1.GatewayAPITrafficRouting{
				v1alpha1.GatewayAPIPlugin: {HTTPRoute: "web"}, "argoproj-labs/openshift": {}}},
			selected: []string{"gatewayAPI"},
			errs:     []string{`p.plugins[argoproj-labs/openshift]: Unsupported value: "argoproj-labs/openshift": supported values: "argoproj-labs/gatewayAPI"`},
		},
		"another plugin alone selects no router": {
			tr: &v1alpha1.RolloutTrafficRouting{Plugins: map[string]v1alpha1.GatewayAPITrafficRouting{"argoproj-labs/openshift": {}}},
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			var got []string
			for _, s := range Selected(tc.tr) {
				got = append(got, s.Name)
			}
			if !slices.Equal(got, tc.selected) {
				t.Fatalf("Selected = %q, want %q", got, tc.selected)
			}
			if len(got) != 1 {
				return
			}
			if errs := errStrings(Selected(tc.tr)[0].Validate(field.NewPath("p"), tc.tr)); !slices.Equal(errs, tc.errs) {
				t.Errorf("Validate = %q, want %q", errs, tc.errs)
			}
		})
	}
}

func TestNginxHeaderRoute(t *testing.T) {
	header := func(name string) v1alpha1.HeaderRoutingMatch {
		return v1alpha1.HeaderRoutingMatch{HeaderName: name, HeaderValue: &v1alpha1.StringMatch{Exact: "1"}}
	}
	cookie := func(name string) v1alpha1.HeaderRoutingMatch { return v1alpha1.HeaderRoutingMatch{CookieName: name} }
	tests := map[string]struct {
		match []v1alpha1.HeaderRoutingMatch
		errs  []string
	}{
		"no match (removes the route)": {},
		"one header and one cookie":    {match: []v1alpha1.HeaderRoutingMatch{header("x-canary"), cookie("canary")}},
		"two headers": {
			match: []v1alpha1.HeaderRoutingMatch{header("x-a"), header("x-b")},
			errs:  []string{"p.match: Invalid value: 2: " + NginxOneHeader},
		},
		"three cookies and two headers": {
			match: []v1alpha1.HeaderRoutingMatch{cookie("a"), header("x-a"), cookie("b"), header("x-b"), cookie("c")},
			errs:  []string{"p.match: Invalid value: 2: " + NginxOneHeader, "p.match: Invalid value: 3: " + NginxOneCookie},
		},
		// A match with both or neither is the general rules' to report; nginx counts it as
		// neither header nor cookie.
		"a match with both, and a header": {
			match: []v1alpha1.HeaderRoutingMatch{{HeaderName: "x-a", CookieName: "a"}, header("x-b")},
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			hr := &v1alpha1.SetHeaderRoute{Name: "r", Match: tc.match}
			if errs := errStrings(Nginx.ValidateHeaderRoute(field.NewPath("p"), hr)); !slices.Equal(errs, tc.errs) {
				t.Errorf("ValidateHeaderRoute = %q, want %q", errs, tc.errs)
			}
		})
	}
}

func gateway(cfg v1alpha1.GatewayAPITrafficRouting) *v1alpha1.RolloutTrafficRouting {
	return &v1alpha1.RolloutTrafficRouting{Plugins: map[string]v1alpha1.GatewayAPITrafficRouting{v1alpha1.GatewayAPIPlugin: cfg}}
}

func TestGatewayAPIHeaderRoute(t *testing.T) {
	hr := &v1alpha1.SetHeaderRoute{Name: "r", Match: []v1alpha1.HeaderRoutingMatch{
		{HeaderName: "x-a", HeaderValue: &v1alpha1.StringMatch{Exact: "1"}}, {CookieName: "canary"}}}
	want := []string{`p.match[1].cookieName: Invalid value: "canary": ` + GatewayAPINoCookie}
	if errs := errStrings(GatewayAPI.ValidateHeaderRoute(field.NewPath("p"), hr)); !slices.Equal(errs, want) {
		t.Errorf("ValidateHeaderRoute = %q, want %q", errs, want)
	}
}

func TestGatewayAPIRoutes(t *testing.T) {
	got := GatewayAPIRoutes(gateway(v1alpha1.GatewayAPITrafficRouting{HTTPRoute: "a",
		HTTPRoutes: []v1alpha1.GatewayAPIRoute{{Name: "b"}, {Name: "a"}, {Name: "c", UseHeaderRoutes: true}}}))
	want := []v1alpha1.GatewayAPIRoute{{Name: "a", UseHeaderRoutes: true}, {Name: "b"}, {Name: "c", UseHeaderRoutes: true}}
	if !slices.Equal(got, want) {
		t.Errorf("GatewayAPIRoutes = %+v, want %+v (httpRoute takes header routes, as in Argo's plugin)", got, want)
	}
}

func TestNames(t *testing.T) {
	tests := map[string]struct {
		names []string
		want  string
	}{
		"none":  {want: ""},
		"one":   {names: []string{"nginx"}, want: "nginx"},
		"two":   {names: []string{"nginx", "gateway"}, want: "nginx or gateway"},
		"three": {names: []string{"a", "b", "c"}, want: "a, b or c"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			var ss []Spec
			for _, n := range tc.names {
				ss = append(ss, Spec{Name: n})
			}
			if got := Names(ss); got != tc.want {
				t.Errorf("Names = %q, want %q", got, tc.want)
			}
		})
	}
}

// Every router is complete, and the header routers are those with a header rule.
func TestEverySpecIsComplete(t *testing.T) {
	for _, s := range Specs() {
		if s.Name == "" || s.Selected == nil || s.Validate == nil {
			t.Errorf("spec %q lacks a name, a selection or a validation", s.Name)
		}
	}
	var headerRouters []string
	for _, s := range HeaderRouters() {
		headerRouters = append(headerRouters, s.Name)
	}
	if want := []string{"nginx", "gatewayAPI"}; !slices.Equal(headerRouters, want) {
		t.Errorf("HeaderRouters = %q, want %q", headerRouters, want)
	}
}
