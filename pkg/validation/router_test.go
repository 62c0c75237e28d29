package validation

import (
	"slices"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/serin-dev/serin/pkg/apis/rollouts/v1alpha1"
)

// The router messages are built from the router specs; they must stay those of the CRD's
// CEL rules (pkg/apis/rollouts/v1alpha1) and of the invalid corpus. A new router changes
// the CEL rules, these messages and this test together.
func TestRouterMessages(t *testing.T) {
	for got, want := range map[string]string{
		MsgRouterRequired:          "spec.strategy.canary.trafficRouting must set exactly one router: nginx or plugins.argoproj-labs/gatewayAPI",
		MsgHeaderRouteNeedsRouting: "spec.strategy.canary.steps: setHeaderRoute needs trafficRouting.nginx or trafficRouting.plugins.argoproj-labs/gatewayAPI",
	} {
		if got != want {
			t.Errorf("message = %q, want %q", got, want)
		}
	}
	for _, m := range []string{"spec.strategy.canary.trafficRouting.nginx must set exactly one of stableIngress or stableIngresses"} {
		if !slices.Contains(CELMessages, m) {
			t.Errorf("CELMessages lacks the router's %q", m)
		}
	}
}

// canaryRollout is a valid canary Rollout with traffic routing tr and steps.
func canaryRollout(tr *v1alpha1.RolloutTrafficRouting, steps ...v1alpha1.CanaryStep) *v1alpha1.Rollout {
	labels := map[string]string{"app": "web"}
	return &v1alpha1.Rollout{
		ObjectMeta: metav1.ObjectMeta{Name: "web"},
		Spec: v1alpha1.RolloutSpec{
			Selector: &metav1.LabelSelector{MatchLabels: labels},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: labels},
				Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "web", Image: "web:1"}}},
			},
			Strategy: v1alpha1.RolloutStrategy{Canary: &v1alpha1.CanaryStrategy{
				CanaryService: "web-canary", StableService: "web-stable",
				MaxSurge: ptr(intstr.FromInt32(1)), TrafficRouting: tr, Steps: steps,
			}},
		},
	}
}

// Rollout applies the rules of the router a Rollout selects, with the same fields and
// messages as before they moved to the router specs.
func TestRolloutRouterRules(t *testing.T) {
	nginx := func(n v1alpha1.NginxTrafficRouting) *v1alpha1.RolloutTrafficRouting {
		return &v1alpha1.RolloutTrafficRouting{Nginx: &n}
	}
	header := func(name string) v1alpha1.HeaderRoutingMatch {
		return v1alpha1.HeaderRoutingMatch{HeaderName: name, HeaderValue: &v1alpha1.StringMatch{Exact: "1"}}
	}
	headerRoute := func(match ...v1alpha1.HeaderRoutingMatch) v1alpha1.CanaryStep {
		return v1alpha1.CanaryStep{SetHeaderRoute: &v1alpha1.SetHeaderRoute{Name: "r", Match: match}}
	}
	const tr, step0 = "spec.strategy.canary.trafficRouting", "spec.strategy.canary.steps[0].setHeaderRoute"
	tests := map[string]struct {
		ro   *v1alpha1.Rollout
		errs []string
	}{
		"nginx with one stable Ingress": {ro: canaryRollout(nginx(v1alpha1.NginxTrafficRouting{StableIngress: "web"}))},
		"nginx with two stable Ingresses": {
			ro: canaryRollout(nginx(v1alpha1.NginxTrafficRouting{StableIngresses: []string{"web", "api"}})),
		},
		"trafficRouting without a router": {
			ro:   canaryRollout(&v1alpha1.RolloutTrafficRouting{}),
			errs: []string{tr + ": Invalid value: " + MsgRouterRequired},
		},
		"nginx without a stable Ingress": {
			ro:   canaryRollout(nginx(v1alpha1.NginxTrafficRouting{})),
			errs: []string{tr + ".nginx: Invalid value: spec.strategy.canary.trafficRouting.nginx must set exactly one of stableIngress or stableIngresses"},
		},
		"header route with nginx": {
			ro: canaryRollout(nginx(v1alpha1.NginxTrafficRouting{StableIngress: "web"}), headerRoute(header("x-canary"))),
		},
		"header route without trafficRouting": {
			ro:   canaryRollout(nil, headerRoute(header("x-canary"))),
			errs: []string{step0 + ": Invalid value: " + MsgHeaderRouteNeedsRouting},
		},
		"header route, trafficRouting without a router": {
			ro: canaryRollout(&v1alpha1.RolloutTrafficRouting{}, headerRoute(header("x-canary"))),
			errs: []string{tr + ": Invalid value: " + MsgRouterRequired,
				step0 + ": Invalid value: " + MsgHeaderRouteNeedsRouting},
		},
		"two headers with nginx": {
			ro:   canaryRollout(nginx(v1alpha1.NginxTrafficRouting{StableIngress: "web"}), headerRoute(header("x-a"), header("x-b"))),
			errs: []string{step0 + ".match: Invalid value: 2: nginx routes on one header per canary Ingress: setHeaderRoute.match may hold at most one headerName"},
		},
		"two cookies with nginx, one without its value": {
			ro: canaryRollout(nginx(v1alpha1.NginxTrafficRouting{StableIngress: "web"}), headerRoute(
				v1alpha1.HeaderRoutingMatch{CookieName: "a"},
				v1alpha1.HeaderRoutingMatch{CookieName: "b", HeaderValue: &v1alpha1.StringMatch{Exact: "x"}})),
			errs: []string{step0 + ".match[1]: Invalid value: " + MsgMatchCookieNoValue,
				step0 + ".match: Invalid value: 2: nginx routes on one cookie per canary Ingress: setHeaderRoute.match may hold at most one cookieName"},
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			var got []string
			for _, e := range Rollout(tc.ro) {
				got = append(got, e.Error())
			}
			if !slices.Equal(got, tc.errs) {
				t.Errorf("Rollout errors:\n got %q\nwant %q", got, tc.errs)
			}
		})
	}
}
