package gatewayapi

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	gwv1 "sigs.k8s.io/gateway-api/apis/v1"
	"sigs.k8s.io/yaml"

	"github.com/serin-dev/serin/pkg/apis/rollouts/v1alpha1"
	"github.com/serin-dev/serin/pkg/plan"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden.yaml from the renderer")

// TestDesiredGolden pins the rendered HTTPRoute of every case in testdata/<case>.golden.yaml.
func TestDesiredGolden(t *testing.T) {
	other := pathRule("/api", backend("api", nil))
	tests := map[string]struct {
		ro           *v1alpha1.Rollout
		route        *gwv1.HTTPRoute
		headerRoutes bool
		traffic      plan.SetTraffic
	}{
		// Argo's starting point: both backends in one rule.
		"argo-route-weight-20": {ro: rollout("web"), route: argoRoute("web"), traffic: plan.SetTraffic{CanaryWeight: 20}},
		// A rule with the stable Service alone gets a canary backend, a copy of the stable
		// one; the rule to another Service is left as it is.
		"canary-backend-added": {
			ro:      rollout("web"),
			route:   route("web", pathRule("/", backend("web-stable", nil)), other),
			traffic: plan.SetTraffic{CanaryWeight: 30},
		},
		"max-traffic-weight-1000": {
			ro: rollout("web", withMaxWeight(1000)), route: argoRoute("web"), traffic: plan.SetTraffic{CanaryWeight: 250},
		},
		// Two rules to the stable Service: each gets the weights and, per header route,
		// its own managed rule before all others.
		"header-routes-two-rules": {
			ro:           rollout("web"),
			route:        route("web", pathRule("/", backend("web-stable", nil)), pathRule("/shop", backend("web-stable", nil), backend("web-canary", nil)), other),
			headerRoutes: true,
			traffic: plan.SetTraffic{CanaryWeight: 10, HeaderRoutes: []v1alpha1.SetHeaderRoute{
				headerRoute("beta", "x-beta", v1alpha1.StringMatch{Exact: "1"}),
				headerRoute("Prefix Route", "x-version", v1alpha1.StringMatch{Prefix: "v2."}),
			}},
		},
		"header-regex-rule-without-matches": {
			ro:           rollout("web"),
			route:        route("web", gwv1.HTTPRouteRule{BackendRefs: []gwv1.HTTPBackendRef{backend("web-stable", nil)}}),
			headerRoutes: true,
			traffic:      plan.SetTraffic{HeaderRoutes: []v1alpha1.SetHeaderRoute{headerRoute("r", "x-user", v1alpha1.StringMatch{Regex: "^(alice|bob)$"})}},
		},
		// A route that does not take header routes gets the weights and the record only.
		"header-routes-not-used": {
			ro:      rollout("web"),
			route:   argoRoute("web"),
			traffic: plan.SetTraffic{CanaryWeight: 50, HeaderRoutes: []v1alpha1.SetHeaderRoute{headerRoute("beta", "x-beta", v1alpha1.StringMatch{Exact: "1"})}},
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			got, err := Desired(tc.ro, tc.route, tc.headerRoutes, tc.traffic)
			if err != nil {
				t.Fatal(err)
			}
			out, err := yaml.Marshal(got)
			if err != nil {
				t.Fatal(err)
			}
			golden := filepath.Join("testdata", name+".golden.yaml")
			if *update {
				if err := os.WriteFile(golden, out, 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test ./pkg/trafficrouting/gatewayapi -update)", err)
			}
			if !bytes.Equal(out, want) {
				t.Errorf("rendered HTTPRoute differs from %s (run with -update if the change is intended):\n--- got\n%s\n--- want\n%s", golden, out, want)
			}
			// Rendering what was rendered changes nothing: the form is a fixed point.
			again, err := Desired(tc.ro, got, tc.headerRoutes, tc.traffic)
			if err != nil || !sameRoute(got, again) {
				t.Errorf("rendering the rendered route again changed it (err %v)", err)
			}
		})
	}
}

func TestDesiredRefuses(t *testing.T) {
	beta := []v1alpha1.SetHeaderRoute{headerRoute("beta", "x-beta", v1alpha1.StringMatch{Exact: "1"})}
	taken := argoRoute("web")
	taken.Spec.Rules = append(taken.Spec.Rules, gwv1.HTTPRouteRule{Name: new(gwv1.SectionName(RuleName("web", "beta", 0))), BackendRefs: []gwv1.HTTPBackendRef{backend("other", nil)}})
	badRecord := argoRoute("web")
	badRecord.Annotations = map[string]string{ManagedRulesAnnotation: "{not json"}
	otherNS := argoRoute("web")
	otherNS.Namespace = "elsewhere"
	tests := map[string]struct {
		route *gwv1.HTTPRoute
		want  string
	}{
		"no rule to the stable Service": {
			route: route("web", pathRule("/", backend("api", nil))),
			want:  "HTTPRoute web has no rule with a backend to the stable Service web-stable",
		},
		"a rule of the managed name that Serin did not add": {
			route: taken,
			want:  "has a rule named " + RuleName("web", "beta", 0) + " that Serin did not add: Serin never takes it over",
		},
		"record does not parse":      {route: badRecord, want: "annotation serin.dev/managed-rules does not parse"},
		"route in another namespace": {route: otherNS, want: "is not in the namespace of rollout shop/web"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			_, err := Desired(rollout("web"), tc.route, true, plan.SetTraffic{CanaryWeight: 10, HeaderRoutes: beta})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Desired error = %v, want one containing %q", err, tc.want)
			}
		})
	}
}

func TestRuleName(t *testing.T) {
	long := strings.Repeat("very-long-rollout-", 10)
	tests := map[string]struct {
		rollout, route string
	}{
		"plain":             {"web", "beta"},
		"upper and spaces":  {"web", "Beta Route"},
		"long":              {long, "beta"},
		"dots and trailing": {"web.v2", "x."},
	}
	seen := map[string]string{}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			got := RuleName(tc.rollout, tc.route, 3)
			if len(got) > 63 || !validSectionName(got) || !strings.HasPrefix(got, "serin-") || !strings.HasSuffix(got, "-3") {
				t.Errorf("RuleName = %q: want a rule name of at most 63 characters, serin-...-3", got)
			}
			if prev, dup := seen[got]; dup {
				t.Errorf("RuleName = %q for %s and %s", got, prev, name)
			}
			seen[got] = name
		})
	}
	if RuleName("web", "Beta", 0) == RuleName("web", "beta", 0) {
		t.Error("routes that differ only in case share a rule name")
	}
}

func validSectionName(s string) bool {
	if s == "" || s[0] == '-' || s[len(s)-1] == '-' {
		return false
	}
	return !notSectionName.MatchString(s)
}

func TestSummarize(t *testing.T) {
	ro := rollout("web")
	r, err := Desired(ro, argoRoute("web"), true, plan.SetTraffic{CanaryWeight: 20,
		HeaderRoutes: []v1alpha1.SetHeaderRoute{headerRoute("beta", "x-beta", v1alpha1.StringMatch{Exact: "1"})}})
	if err != nil {
		t.Fatal(err)
	}
	want := "web +rule " + RuleName("web", "beta", 0) + " web-stable=80 web-canary=20"
	if got := Summarize(r); got != want {
		t.Errorf("Summarize = %q, want %q", got, want)
	}
	u, err := runtime.DefaultUnstructuredConverter.ToUnstructured(r)
	if err != nil {
		t.Fatal(err)
	}
	if got := Summarize(&unstructured.Unstructured{Object: u}); got != want {
		t.Errorf("Summarize(unstructured) = %q, want %q", got, want)
	}
}
