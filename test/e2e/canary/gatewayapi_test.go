//go:build e2e

package canary

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	gwv1 "sigs.k8s.io/gateway-api/apis/v1"

	"github.com/serin-dev/serin/pkg/apis/rollouts/v1alpha1"
	"github.com/serin-dev/serin/test/e2e/framework"
)

var httpRoutesGVR = framework.Resource("gateway.networking.k8s.io", "v1", "httproutes")

// gatewayRoute is HTTPRoute "web": "/" to web-stable at 100 and web-canary at 0 (as
// Argo's Gateway API docs start), and "/api" to another Service.
const gatewayRoute = `apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: web}
spec:
  parentRefs: [{name: gw}]
  hostnames: [web.example.com]
  rules:
  - matches: [{path: {type: PathPrefix, value: /}}]
    backendRefs:
    - {name: web-stable, port: 80, weight: 100}
    - {name: web-canary, port: 80, weight: 0}
  - matches: [{path: {type: PathPrefix, value: /api}}]
    backendRefs:
    - {name: api, port: 80}
---
`

// gatewayApp is the Services, the HTTPRoute and Rollout "web" routed through it by the
// argoproj-labs/gatewayAPI plugin configuration, with a managed route "testers".
func gatewayApp(image, steps string) string {
	return framework.CanaryServices + gatewayRoute + rollout(image, steps, `      canaryService: web-canary
      stableService: web-stable
      abortScaleDownDelaySeconds: 3
      trafficRouting:
        managedRoutes: [{name: testers}]
        plugins:
          argoproj-labs/gatewayAPI:
            httpRoute: web
`)
}

func httpRoute(e *framework.Env, name string) *gwv1.HTTPRoute {
	e.T.Helper()
	u, err := e.F.Dynamic.Resource(httpRoutesGVR).Namespace(e.Namespace).Get(e.T.Context(), name, metav1.GetOptions{})
	if err != nil {
		e.T.Fatal(err)
	}
	return toRoute(e.T, u)
}

func toRoute(t *testing.T, u *unstructured.Unstructured) *gwv1.HTTPRoute {
	var r gwv1.HTTPRoute
	if err := runtime.DefaultUnstructuredConverter.FromUnstructured(u.Object, &r); err != nil {
		t.Fatal(err)
	}
	return &r
}

// split is "stable/canary" of the first rule to web-stable that Serin did not add.
func split(r *gwv1.HTTPRoute) string {
	for _, rule := range r.Spec.Rules {
		if rule.Name != nil {
			continue
		}
		w := map[string]string{}
		for _, ref := range rule.BackendRefs {
			if ref.Weight != nil {
				w[string(ref.Name)] = strconv.Itoa(int(*ref.Weight))
			}
		}
		if s, ok := w[stableSvc]; ok {
			return s + "/" + w[canarySvc]
		}
	}
	return "none"
}

// managedRules are the names of the rules Serin added, in order.
func managedRules(r *gwv1.HTTPRoute) []string {
	var out []string
	for _, rule := range r.Spec.Rules {
		if rule.Name != nil && strings.HasPrefix(string(*rule.Name), "serin-") {
			out = append(out, string(*rule.Name))
		}
	}
	return out
}

// waitRoute waits until HTTPRoute web satisfies cond.
func waitRoute(e *framework.Env, what string, cond func(*gwv1.HTTPRoute) bool) *gwv1.HTTPRoute {
	e.T.Helper()
	e.Then().Object(httpRoutesGVR, "web", what, func(o *unstructured.Unstructured) (bool, error) {
		return cond(toRoute(e.T, o)), nil
	})
	return httpRoute(e, "web")
}

// The Gateway API canary on the real API server: the weights of HTTPRoute "web" at each
// step, the header route's rule first while its step is in force and gone after, another
// party's edits kept, abort taking the weight to 0 before the canary Service moves back,
// then a retry and promotion to Healthy with the route back at 100/0 and no Serin rule.
func TestGatewayAPICanary(t *testing.T) {
	t.Parallel()
	e := framework.NewEnv(t)
	e.Given().Apply(gatewayApp("web:1", `      - setWeight: 20
      - setHeaderRoute:
          name: testers
          match: [{headerName: X-Canary, headerValue: {exact: "yes"}}]
      - pause: {}
      - setHeaderRoute: {name: testers}
      - setWeight: 50
      - pause: {}
`))
	healthy(e)
	// Another party labels the route and adds a filter to its second rule.
	e.When().Patch("httproute", "web", `{"metadata":{"labels":{"team":"shop"}}}`)
	e.Kubectl("patch", "httproute", "web", "--type=json", "-p",
		`[{"op":"add","path":"/spec/rules/1/filters","value":[{"type":"RequestHeaderModifier","requestHeaderModifier":{"set":[{"name":"x-env","value":"prod"}]}}]}]`)

	setImage(e, "web:2")
	atPause(e, 2)
	r := waitRoute(e, "80/20 with the testers rule", func(r *gwv1.HTTPRoute) bool { return split(r) == "80/20" && len(managedRules(r)) == 1 })
	first := r.Spec.Rules[0]
	if first.Name == nil || len(first.BackendRefs) != 1 || string(first.BackendRefs[0].Name) != canarySvc ||
		len(first.Matches) != 1 || len(first.Matches[0].Headers) != 1 || first.Matches[0].Headers[0].Name != "X-Canary" || first.Matches[0].Headers[0].Value != "yes" {
		t.Errorf("the header route's rule = %+v, want first, X-Canary: yes to web-canary alone", first)
	}
	if r.Labels["team"] != "shop" || len(r.Spec.Rules) != 3 || len(r.Spec.Rules[2].Filters) != 1 || string(r.Spec.Rules[2].BackendRefs[0].Name) != "api" {
		t.Errorf("another party's edits or the /api rule changed: %+v", r)
	}
	expectServices(e, "web:1", "web:2")

	promote(e)
	atPause(e, 5)
	waitRoute(e, "50/50 without the testers rule", func(r *gwv1.HTTPRoute) bool { return split(r) == "50/50" && len(managedRules(r)) == 0 })

	// Abort: the weight goes to 0 before the canary Service selects the stable again.
	routes := record(e, httpRoutesGVR, "", "")
	services := record(e, framework.Resource("", "v1", "services"), "", "metadata.name="+canarySvc)
	stableHash := hashOf(e, "web:1")
	statusPatch(e, `{"status":{"abort":true}}`)
	waitRollout(e, "Degraded after abort", func(ro *v1alpha1.Rollout) bool { return ro.Status.Phase == v1alpha1.RolloutPhaseDegraded })
	waitRoute(e, "0 after abort", func(r *gwv1.HTTPRoute) bool { return split(r) == "100/0" })
	e.Then().Object(framework.Resource("", "v1", "services"), canarySvc, "the canary Service back on the stable", func(o *unstructured.Unstructured) (bool, error) {
		sel, _, _ := unstructured.NestedStringMap(o.Object, "spec", "selector")
		return sel[hashLabel] == stableHash, nil
	})
	routes.stop(t)
	services.stop(t)
	weightZero := firstRV(t, routes, func(o *unstructured.Unstructured) bool { return split(toRoute(t, o)) == "100/0" })
	serviceBack := firstRV(t, services, func(o *unstructured.Unstructured) bool {
		sel, _, _ := unstructured.NestedStringMap(o.Object, "spec", "selector")
		return sel[hashLabel] == stableHash
	})
	if weightZero <= 0 || serviceBack <= 0 || weightZero > serviceBack {
		t.Errorf("abort: the weight reached 0 at resourceVersion %d, the canary Service moved back at %d: want the weight first", weightZero, serviceBack)
	}

	// Retry, then promote through every step.
	statusPatch(e, `{"status":{"abort":false}}`)
	atPause(e, 2)
	waitRoute(e, "80/20 with the testers rule again", func(r *gwv1.HTTPRoute) bool { return split(r) == "80/20" && len(managedRules(r)) == 1 })
	promote(e)
	atPause(e, 5)
	promote(e)
	healthy(e)
	r = waitRoute(e, "100/0 and no Serin rule after promotion", func(r *gwv1.HTTPRoute) bool { return split(r) == "100/0" && len(managedRules(r)) == 0 })
	if _, ok := r.Annotations["serin.dev/managed-rules"]; ok {
		t.Errorf("the managed-rules record stayed after promotion: %v", r.Annotations)
	}
	expectServices(e, "web:2", "web:2")
}

// firstRV is the resourceVersion of the first recorded change whose object satisfies
// cond (0 when none did).
func firstRV(t *testing.T, r *recorder, cond func(*unstructured.Unstructured) bool) int64 {
	var found int64
	r.replay(func(objs map[string]*unstructured.Unstructured, rv string) {
		if found != 0 || rv == "list" {
			return
		}
		for _, o := range objs {
			if o.GetResourceVersion() == rv && cond(o) {
				found, _ = strconv.ParseInt(rv, 10, 64)
			}
		}
	})
	return found
}

// A Gateway API Rollout whose HTTPRoute is missing stops with a TrafficRoutingError
// condition naming the route and a Warning event, and goes on once the route exists.
func TestGatewayAPIMissingRoute(t *testing.T) {
	t.Parallel()
	e := framework.NewEnv(t)
	manifest := strings.Replace(gatewayApp("web:1", "      - setWeight: 20\n      - pause: {}\n"), gatewayRoute, "", 1)
	e.Given().Apply(manifest)
	ro := waitRollout(e, "a TrafficRoutingError condition", func(ro *v1alpha1.Rollout) bool {
		for _, c := range ro.Status.Conditions {
			if c.Type == v1alpha1.TrafficRoutingError && c.Status == corev1.ConditionTrue {
				return strings.Contains(c.Message, "HTTPRoute web not found")
			}
		}
		return false
	})
	t.Logf("phase %s, message: %s", ro.Status.Phase, ro.Status.Message)
	waitEvent(e, corev1.EventTypeWarning, "TrafficRoutingError")
	e.When().Apply(gatewayRoute)
	healthy(e)
	setImage(e, "web:2")
	atPause(e, 1)
	waitRoute(e, "80/20", func(r *gwv1.HTTPRoute) bool { return split(r) == "80/20" })
}

// Argo's Gateway API manifest, its apiVersion alone changed, runs to the first pause
// with the weight of its first step on the HTTPRoute it names.
func TestArgoGatewayAPIManifestApplies(t *testing.T) {
	t.Parallel()
	e := framework.NewEnv(t)
	manifest := argoManifest(t, "argo-canary-gateway-api.yaml")
	// The file names its namespace (Argo's plugin wants it): the test's.
	manifest = strings.ReplaceAll(manifest, "namespace: default", "namespace: "+e.Namespace)
	e.Given().Apply(manifest)
	e.WaitRollout("storefront", "Healthy", func(ro *v1alpha1.Rollout) bool { return ro.Status.Phase == v1alpha1.RolloutPhaseHealthy })
	e.Kubectl("patch", "rollout", "storefront", "--type=json",
		"-p", `[{"op":"replace","path":"/spec/template/spec/containers/0/image","value":"storefront:1.5.0"}]`)
	e.WaitRollout("storefront", "Paused at step 2", func(ro *v1alpha1.Rollout) bool {
		return ro.Status.Phase == v1alpha1.RolloutPhasePaused && ro.Status.CurrentStepIndex != nil && *ro.Status.CurrentStepIndex == 2
	})
	e.Then().Object(httpRoutesGVR, "storefront", "90/10 with the header rule", func(o *unstructured.Unstructured) (bool, error) {
		r := toRoute(t, o)
		var weights []string
		for _, rule := range r.Spec.Rules {
			for _, ref := range rule.BackendRefs {
				if ref.Weight != nil {
					weights = append(weights, fmt.Sprintf("%s=%d", ref.Name, *ref.Weight))
				}
			}
		}
		raw, _ := json.Marshal(weights)
		t.Logf("weights %s, Serin rules %v", raw, managedRules(r))
		return reflect.DeepEqual(weights, []string{"storefront-canary=1", "storefront-stable=90", "storefront-canary=10"}) && len(managedRules(r)) == 1, nil
	})
}
