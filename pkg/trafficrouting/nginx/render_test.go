package nginx

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	networkingv1 "k8s.io/api/networking/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/util/validation"
	"sigs.k8s.io/yaml"

	"github.com/serin-dev/serin/pkg/apis/rollouts/v1alpha1"
	"github.com/serin-dev/serin/pkg/plan"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden.yaml from the renderer")

// TestDesiredCanaryIngressGolden pins the rendered canary Ingress of every option in
// testdata/<case>.golden.yaml (one document per stable Ingress).
func TestDesiredCanaryIngressGolden(t *testing.T) {
	longName := strings.Repeat("a-very-long-rollout-name-", 6) + "web"
	tests := map[string]struct {
		ro      *v1alpha1.Rollout
		stables []*networkingv1.Ingress
		traffic plan.SetTraffic
	}{
		"default-prefix": {
			ro:      rollout("web"),
			stables: []*networkingv1.Ingress{ingress("web")},
			traffic: plan.SetTraffic{CanaryWeight: 10},
		},
		"custom-prefix": {
			ro:      rollout("web", withPrefix("custom.nginx.org")),
			stables: []*networkingv1.Ingress{ingress("web")},
			traffic: plan.SetTraffic{CanaryWeight: 20},
		},
		// additionalIngressAnnotations get the prefix, canaryIngressAnnotations are kept
		// as they are, and neither can set Serin's canary, canary-weight or
		// canary-weight-total. A static canary-by-header (the usual way to route by header
		// without setHeaderRoute) is kept.
		"additional-and-canary-annotations": {
			ro: rollout("web",
				withAdditional(map[string]string{
					"canary-by-header":       "X-Canary",
					"canary-by-header-value": "yes",
					"ssl-redirect":           "false",
					"canary-weight":          "99",
					"canary-weight-total":    "1000",
				}),
				withCanaryAnnotations(map[string]string{
					"example.com/team":                   "shop",
					"nginx.ingress.kubernetes.io/canary": "false",
				})),
			stables: []*networkingv1.Ingress{ingress("web")},
			traffic: plan.SetTraffic{CanaryWeight: 30},
		},
		"max-traffic-weight": {
			ro:      rollout("web", withMaxWeight(1000)),
			stables: []*networkingv1.Ingress{ingress("web")},
			traffic: plan.SetTraffic{CanaryWeight: 250},
		},
		// Weight 0: only requests with the header reach the canary.
		"header-exact": {
			ro:      rollout("web"),
			stables: []*networkingv1.Ingress{ingress("web")},
			traffic: plan.SetTraffic{HeaderRoutes: []v1alpha1.SetHeaderRoute{
				headerRoute("beta-testers", "X-Beta", v1alpha1.StringMatch{Exact: "yes"}),
			}},
		},
		"header-regex": {
			ro:      rollout("web"),
			stables: []*networkingv1.Ingress{ingress("web")},
			traffic: plan.SetTraffic{CanaryWeight: 5, HeaderRoutes: []v1alpha1.SetHeaderRoute{
				headerRoute("mobile", "User-Agent", v1alpha1.StringMatch{Regex: ".*(Android|iPhone).*"}),
			}},
		},
		// A prefix becomes an anchored pattern with the prefix's metacharacters quoted.
		"header-prefix": {
			ro:      rollout("web"),
			stables: []*networkingv1.Ingress{ingress("web")},
			traffic: plan.SetTraffic{CanaryWeight: 5, HeaderRoutes: []v1alpha1.SetHeaderRoute{
				headerRoute("new-clients", "X-Client-Version", v1alpha1.StringMatch{Prefix: "2.1+"}),
			}},
		},
		"cookie": {
			ro:      rollout("web"),
			stables: []*networkingv1.Ingress{ingress("web")},
			traffic: plan.SetTraffic{CanaryWeight: 5, HeaderRoutes: []v1alpha1.SetHeaderRoute{
				cookieRoute("opted-in", "canary_optin"),
			}},
		},
		"header-and-cookie": {
			ro:      rollout("web"),
			stables: []*networkingv1.Ingress{ingress("web")},
			traffic: plan.SetTraffic{CanaryWeight: 5, HeaderRoutes: []v1alpha1.SetHeaderRoute{
				headerRoute("beta-testers", "X-Beta", v1alpha1.StringMatch{Exact: "yes"}),
				cookieRoute("opted-in", "canary_optin"),
			}},
		},
		// Only the paths to the stable Service are kept: the admin path of the first host
		// goes, the second host (another Service only) goes entirely, the rule without
		// http goes, and a named port is kept as it is.
		"multiple-rules": {
			ro: rollout("web"),
			stables: []*networkingv1.Ingress{ingress("web", withRules(
				rule("shop.example.com", path("/", stableSvc, 80), path("/admin", "admin", 8080)),
				rule("other.example.com", path("/api", "other", 80)),
				rule("wildcard.example.com"),
				rule("api.example.com", namedPortPath("/v1", stableSvc, "http"), path("/v2", stableSvc, 8080)),
			))},
			traffic: plan.SetTraffic{CanaryWeight: 40},
		},
		"tls": {
			ro: rollout("web"),
			stables: []*networkingv1.Ingress{ingress("web",
				withTLS("web-tls", "web.example.com"),
				withTLS("wildcard-tls", "*.example.com"))},
			traffic: plan.SetTraffic{CanaryWeight: 50},
		},
		"legacy-class-annotation": {
			ro:      rollout("web"),
			stables: []*networkingv1.Ingress{ingress("web", withLegacyClass("nginx-internal"))},
			traffic: plan.SetTraffic{CanaryWeight: 60},
		},
		"two-stable-ingresses": {
			ro: rollout("web", withStableIngresses("web", "web-internal")),
			stables: []*networkingv1.Ingress{
				ingress("web", withTLS("web-tls", "web.example.com")),
				ingress("web-internal", withLegacyClass("nginx-internal")),
			},
			traffic: plan.SetTraffic{CanaryWeight: 25, HeaderRoutes: []v1alpha1.SetHeaderRoute{
				headerRoute("beta-testers", "X-Beta", v1alpha1.StringMatch{Exact: "yes"}),
			}},
		},
		// A name over 253 characters is cut and ends in a hash; the label value (at most
		// 63 characters) too.
		"long-names": {
			ro:      rollout(longName, withStableIngresses(strings.Repeat("ingress", 20))),
			stables: []*networkingv1.Ingress{ingress(strings.Repeat("ingress", 20))},
			traffic: plan.SetTraffic{CanaryWeight: 1},
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			var got bytes.Buffer
			for i, stable := range tc.stables {
				before := stable.DeepCopy()
				ing, err := DesiredCanaryIngress(tc.ro, stable, tc.traffic)
				if err != nil {
					t.Fatalf("DesiredCanaryIngress: %v", err)
				}
				if !equality.Semantic.DeepEqual(before, stable) {
					t.Errorf("DesiredCanaryIngress changed the stable Ingress")
				}
				again, _ := DesiredCanaryIngress(tc.ro, stable, tc.traffic)
				if !equality.Semantic.DeepEqual(ing, again) {
					t.Errorf("DesiredCanaryIngress is not deterministic")
				}
				if errs := validation.IsDNS1123Subdomain(ing.Name); len(errs) > 0 {
					t.Errorf("name %q: %v", ing.Name, errs)
				}
				for k, v := range ing.Labels {
					if errs := validation.IsValidLabelValue(v); len(errs) > 0 {
						t.Errorf("label %s=%q: %v", k, v, errs)
					}
				}
				b, err := yaml.Marshal(ing)
				if err != nil {
					t.Fatal(err)
				}
				if i > 0 {
					got.WriteString("---\n")
				}
				got.Write(b)
			}
			golden := filepath.Join("testdata", name+".golden.yaml")
			if *update {
				if err := os.WriteFile(golden, got.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test ./pkg/trafficrouting/nginx -update)", err)
			}
			if !bytes.Equal(got.Bytes(), want) {
				t.Errorf("rendered Ingress differs from %s (run with -update if the change is intended):\n--- got\n%s\n--- want\n%s", golden, got.Bytes(), want)
			}
		})
	}
}

func TestDesiredCanaryIngressErrors(t *testing.T) {
	tests := map[string]struct {
		ro      *v1alpha1.Rollout
		stable  *networkingv1.Ingress
		traffic plan.SetTraffic
		want    []string // substrings of the error
	}{
		"no path to the stable Service": {
			ro:     rollout("web"),
			stable: ingress("web", withRules(rule("web.example.com", path("/", "other", 80)))),
			want:   []string{"stable Ingress web has no path routing to the stable Service web-stable"},
		},
		"no rules": {
			ro:     rollout("web"),
			stable: ingress("web", withRules()),
			want:   []string{"no path routing to the stable Service"},
		},
		"two header routes": {
			ro:     rollout("web"),
			stable: ingress("web"),
			traffic: plan.SetTraffic{HeaderRoutes: []v1alpha1.SetHeaderRoute{
				headerRoute("beta", "X-Beta", v1alpha1.StringMatch{Exact: "yes"}),
				cookieRoute("opted-in", "optin"),
				headerRoute("mobile", "User-Agent", v1alpha1.StringMatch{Regex: "Android"}),
			}},
			want: []string{`header routes "beta", "mobile" match 2 headers`},
		},
		"two headers in one route": {
			ro:     rollout("web"),
			stable: ingress("web"),
			traffic: plan.SetTraffic{HeaderRoutes: []v1alpha1.SetHeaderRoute{{Name: "both", Match: []v1alpha1.HeaderRoutingMatch{
				{HeaderName: "X-A", HeaderValue: &v1alpha1.StringMatch{Exact: "1"}},
				{HeaderName: "X-B", HeaderValue: &v1alpha1.StringMatch{Exact: "2"}},
			}}}},
			want: []string{`header routes "both" match 2 headers`},
		},
		"two cookie routes": {
			ro:     rollout("web"),
			stable: ingress("web"),
			traffic: plan.SetTraffic{HeaderRoutes: []v1alpha1.SetHeaderRoute{
				cookieRoute("a", "ca"), cookieRoute("b", "cb"),
			}},
			want: []string{`header routes "a", "b" match 2 cookies`},
		},
		"header route while annotations route by header": {
			ro:     rollout("web", withAdditional(map[string]string{"canary-by-header": "X-Canary"})),
			stable: ingress("web"),
			traffic: plan.SetTraffic{HeaderRoutes: []v1alpha1.SetHeaderRoute{
				headerRoute("beta", "X-Beta", v1alpha1.StringMatch{Exact: "yes"}),
			}},
			want: []string{`header route "beta"`, "nginx.ingress.kubernetes.io/canary-by-header already"},
		},
		"cookie route while annotations route by cookie": {
			ro:      rollout("web", withCanaryAnnotations(map[string]string{"nginx.ingress.kubernetes.io/canary-by-cookie": "c"})),
			stable:  ingress("web"),
			traffic: plan.SetTraffic{HeaderRoutes: []v1alpha1.SetHeaderRoute{cookieRoute("optin", "optin")}},
			want:    []string{`header route "optin" matches a cookie`},
		},
		"header without value": {
			ro:      rollout("web"),
			stable:  ingress("web"),
			traffic: plan.SetTraffic{HeaderRoutes: []v1alpha1.SetHeaderRoute{{Name: "h", Match: []v1alpha1.HeaderRoutingMatch{{HeaderName: "X-H"}}}}},
			want:    []string{`header route "h": header X-H has no headerValue`},
		},
		"weight above the total": {
			ro:      rollout("web", withMaxWeight(50)),
			stable:  ingress("web"),
			traffic: plan.SetTraffic{CanaryWeight: 51},
			want:    []string{"canary weight 51 is outside 0..50"},
		},
		"no canary Service": {
			ro:     rollout("web", func(ro *v1alpha1.Rollout) { ro.Spec.Strategy.Canary.CanaryService = "" }),
			stable: ingress("web"),
			want:   []string{"needs spec.strategy.canary.stableService and canaryService"},
		},
		"no nginx": {
			ro:     rollout("web", func(ro *v1alpha1.Rollout) { ro.Spec.Strategy.Canary.TrafficRouting.Nginx = nil }),
			stable: ingress("web"),
			want:   []string{"has no spec.strategy.canary.trafficRouting.nginx"},
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			_, err := DesiredCanaryIngress(tc.ro, tc.stable, tc.traffic)
			if err == nil {
				t.Fatalf("no error, want one containing %q", tc.want)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
		})
	}
}

func TestCanaryIngressName(t *testing.T) {
	long := strings.Repeat("r", 200)
	tests := map[string]struct {
		rollout, stable string
		want            string // "" to check only validity and the suffix
	}{
		"short":                  {rollout: "web", stable: "web", want: "web-web-canary"},
		"dotted":                 {rollout: "web.v2", stable: "public.web", want: "web.v2-public.web-canary"},
		"exactly 253":            {rollout: strings.Repeat("r", 120), stable: strings.Repeat("s", 253-120-8), want: strings.Repeat("r", 120) + "-" + strings.Repeat("s", 125) + "-canary"},
		"too long":               {rollout: long, stable: strings.Repeat("s", 100)},
		"too long, cut at a dot": {rollout: strings.Repeat("r.", 118) + "r", stable: strings.Repeat("s", 100)},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			got := CanaryIngressName(tc.rollout, tc.stable)
			if errs := validation.IsDNS1123Subdomain(got); len(errs) > 0 {
				t.Fatalf("%q is not a valid name: %v", got, errs)
			}
			if !strings.HasSuffix(got, "-canary") {
				t.Errorf("%q does not end in -canary", got)
			}
			if tc.want != "" && got != tc.want {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
	a, b := CanaryIngressName(long, strings.Repeat("s", 99)+"a"), CanaryIngressName(long, strings.Repeat("s", 99)+"b")
	if a == b {
		t.Errorf("two long names differing only at the end both give %q", a)
	}
}
