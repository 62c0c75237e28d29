//go:build e2e

// Package canary runs canary rollouts end to end: the real serin-controller binary against
// the real local control plane, driven with the real kubectl.
package canary

import (
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/serin-dev/serin/pkg/apis/rollouts/v1alpha1"
	"github.com/serin-dev/serin/test/e2e/framework"
)

func TestMain(m *testing.M) {
	framework.Main(m, framework.WithGatewayAPI(), framework.WithController("--leader-elect=false", "--log-level=debug"))
}

const fourSteps = `      - setWeight: 20
      - pause: {}
      - setWeight: 50
      - pause: {duration: 5s}
`

// Scenario 2 and the full walkthrough: setWeight 20 → pause → promote → setWeight 50 →
// pause 5s → Healthy, checking ReplicaSets, Service selectors and the canary Ingress at
// each step, and that no weight was written while the canary had no available pod.
func TestCanaryWithNginx(t *testing.T) {
	t.Parallel()
	e := framework.NewEnv(t)
	w := watchWeights(e)
	e.Given().Apply(app("web:1", fourSteps, ""))
	healthy(e)
	waitReplicas(e, map[string]int32{"web:1": 4})
	expectServices(e, "web:1", "web:1")

	setImage(e, "web:2")
	atPause(e, 1)
	waitReplicas(e, map[string]int32{"web:1": 4, "web:2": 1})
	expectServices(e, "web:1", "web:2")
	waitCanaryWeight(e, "web-web-canary", 20)
	canary := ingress(e, "web-web-canary")
	if b := canary.Spec.Rules[0].HTTP.Paths[0].Backend.Service.Name; b != canarySvc {
		t.Errorf("canary Ingress routes to %q, want %q", b, canarySvc)
	}
	if len(canary.OwnerReferences) != 1 || canary.OwnerReferences[0].Kind != "Rollout" {
		t.Errorf("canary Ingress owners %+v, want the Rollout", canary.OwnerReferences)
	}

	promote(e)
	atPause(e, 3)
	waitReplicas(e, map[string]int32{"web:1": 4, "web:2": 2})
	waitCanaryWeight(e, "web-web-canary", 50)

	ro := healthy(e) // the 5s pause ends by itself
	waitReplicas(e, map[string]int32{"web:1": 0, "web:2": 4})
	waitCanaryWeight(e, "web-web-canary", 0)
	expectServices(e, "web:2", "web:2")
	if ro.Status.StableRS != hashOf(e, "web:2") {
		t.Errorf("stableRS %q, want web:2's hash", ro.Status.StableRS)
	}
	for k := range ingress(e, "web").Annotations {
		if strings.Contains(k, "canary") {
			t.Errorf("the stable Ingress got a canary annotation %s", k)
		}
	}
	w.check(t)
}

// Scenarios 3 and 5: abort → Degraded (weight 0, canary Service back to stable, canary down
// after abortScaleDownDelaySeconds), retry → the steps run again, promote → Healthy.
func TestAbortRetryPromote(t *testing.T) {
	t.Parallel()
	e := framework.NewEnv(t)
	w := watchWeights(e)
	e.Given().Apply(app("web:1", "      - setWeight: 20\n      - pause: {}\n      - setWeight: 50\n      - pause: {}\n", "      abortScaleDownDelaySeconds: 3\n"))
	healthy(e)
	setImage(e, "web:2")
	atPause(e, 1)
	promote(e)
	atPause(e, 3)

	statusPatch(e, `{"status":{"abort":true}}`)
	ro := waitRollout(e, "Degraded after abort", func(ro *v1alpha1.Rollout) bool { return ro.Status.Phase == v1alpha1.RolloutPhaseDegraded })
	if want := "RolloutAborted: Rollout aborted update to revision 2"; ro.Status.Message != want {
		t.Errorf("message %q, want %q", ro.Status.Message, want)
	}
	waitCanaryWeight(e, "web-web-canary", 0)
	waitReplicas(e, map[string]int32{"web:1": 4, "web:2": 0}) // after the 3s delay
	expectServices(e, "web:1", "web:1")

	statusPatch(e, `{"status":{"abort":false}}`)
	atPause(e, 1)
	waitCanaryWeight(e, "web-web-canary", 20)
	waitReplicas(e, map[string]int32{"web:1": 4, "web:2": 1})
	promote(e)
	atPause(e, 3)
	promote(e)
	healthy(e)
	waitReplicas(e, map[string]int32{"web:1": 0, "web:2": 4})

	reasons := eventReasons(e)
	for _, want := range []string{"RolloutAborted", "RolloutRetried", "RolloutPromoted"} {
		if !slices.Contains(reasons, want) {
			t.Errorf("no %s event among %v", want, reasons)
		}
	}
	w.check(t)
}

// Scenario 4: promote full skips every remaining step.
func TestPromoteFull(t *testing.T) {
	t.Parallel()
	e := framework.NewEnv(t)
	e.Given().Apply(app("web:1", "      - setWeight: 20\n      - pause: {}\n      - setWeight: 50\n      - pause: {}\n", ""))
	healthy(e)
	setImage(e, "web:2")
	atPause(e, 1)
	statusPatch(e, `{"status":{"promoteFull":true}}`)
	healthy(e)
	waitReplicas(e, map[string]int32{"web:1": 0, "web:2": 4})
	expectServices(e, "web:2", "web:2")
}

// A canary whose pods never become ready gets no traffic, and the progress deadline marks
// the rollout Degraded.
func TestCanaryNeverReady(t *testing.T) {
	t.Parallel()
	e := framework.NewEnv(t)
	w := watchWeights(e)
	manifest := strings.Replace(app("web:1", "      - setWeight: 20\n      - pause: {}\n", ""), "  replicas: 4\n", "  replicas: 4\n  progressDeadlineSeconds: 8\n", 1)
	e.Given().Apply(manifest)
	healthy(e)
	// The new template's pods stay Pending forever (kwok stage, see test/cluster).
	e.Kubectl("patch", "rollout", "web", "--type=json", "-p",
		`[{"op":"replace","path":"/spec/template/spec/containers/0/image","value":"web:2"},`+
			`{"op":"add","path":"/spec/template/metadata/labels/serin.dev~1e2e-ready","value":"never"}]`)
	ro := waitRollout(e, "Degraded by the progress deadline", func(ro *v1alpha1.Rollout) bool {
		return ro.Status.Phase == v1alpha1.RolloutPhaseDegraded
	})
	if !strings.HasPrefix(ro.Status.Message, "ProgressDeadlineExceeded") {
		t.Errorf("message %q, want ProgressDeadlineExceeded", ro.Status.Message)
	}
	if got := ingress(e, "web-web-canary").Annotations[weightKey]; got != "0" {
		t.Errorf("canary weight %q, want 0", got)
	}
	expectServices(e, "web:1", "web:1")
	w.check(t)
}

// Scenario 11: re-applying the stable template mid-canary goes straight back, no steps.
func TestRollbackToStableSkipsSteps(t *testing.T) {
	t.Parallel()
	e := framework.NewEnv(t)
	e.Given().Apply(app("web:1", fourSteps, ""))
	healthy(e)
	setImage(e, "web:2")
	atPause(e, 1)
	setImage(e, "web:1")
	healthy(e)
	waitReplicas(e, map[string]int32{"web:1": 4, "web:2": 0})
	waitCanaryWeight(e, "web-web-canary", 0)
	expectServices(e, "web:1", "web:1")
	if !slices.Contains(eventReasons(e), "SkipSteps") {
		t.Errorf("no SkipSteps event among %v", eventReasons(e))
	}
}

// Scenario 12: a third template while the second is paused supersedes it.
func TestTemplateChangeMidCanary(t *testing.T) {
	t.Parallel()
	e := framework.NewEnv(t)
	w := watchWeights(e)
	e.Given().Apply(app("web:1", fourSteps, ""))
	healthy(e)
	setImage(e, "web:2")
	atPause(e, 1)
	setImage(e, "web:3")
	atPause(e, 1)
	waitReplicas(e, map[string]int32{"web:1": 4, "web:2": 0, "web:3": 1})
	expectServices(e, "web:1", "web:3")
	waitCanaryWeight(e, "web-web-canary", 20)
	w.check(t)
}

// kubectl scale goes through the scale subresource.
func TestScaleSubresource(t *testing.T) {
	t.Parallel()
	e := framework.NewEnv(t)
	e.Given().Apply(app("web:1", fourSteps, ""))
	healthy(e)
	e.When().Scale("rollout", "web", 6)
	waitRollout(e, "6 available", func(ro *v1alpha1.Rollout) bool {
		return ro.Status.AvailableReplicas == 6 && ro.Status.Phase == v1alpha1.RolloutPhaseHealthy
	})
	waitReplicas(e, map[string]int32{"web:1": 6})
	scale, err := e.F.Dynamic.Resource(framework.Rollouts).Namespace(e.Namespace).Get(e.T.Context(), "web", metav1.GetOptions{}, "scale")
	if err != nil {
		t.Fatal(err)
	}
	if sel, _, _ := unstructuredString(scale.Object, "status", "selector"); sel != "app=web" {
		t.Errorf("scale status.selector %q, want app=web", sel)
	}
}

// A header route and a cookie route become nginx's canary-by-header and canary-by-cookie.
func TestHeaderAndCookieRoutes(t *testing.T) {
	t.Parallel()
	e := framework.NewEnv(t)
	steps := `      - setHeaderRoute:
          name: testers
          match:
          - headerName: X-Canary
            headerValue: {exact: "yes"}
          - cookieName: canary
      - pause: {}
      - setHeaderRoute: {name: testers}
      - setWeight: 30
      - pause: {}
`
	e.Given().Apply(app("web:1", steps, "        managedRoutes: [{name: testers}]\n"))
	healthy(e)
	setImage(e, "web:2")
	atPause(e, 1)
	a := ingress(e, "web-web-canary").Annotations
	for k, want := range map[string]string{
		nginxPrefix + "/canary-by-header":       "X-Canary",
		nginxPrefix + "/canary-by-header-value": "yes",
		nginxPrefix + "/canary-by-cookie":       "canary",
		weightKey:                               "0",
	} {
		if a[k] != want {
			t.Errorf("annotation %s = %q, want %q", k, a[k], want)
		}
	}
	promote(e)
	atPause(e, 4)
	a = ingress(e, "web-web-canary").Annotations
	if _, ok := a[nginxPrefix+"/canary-by-header"]; ok {
		t.Errorf("canary-by-header still set after the route was removed: %v", a)
	}
	if a[weightKey] != "30" {
		t.Errorf("weight %q, want 30", a[weightKey])
	}
}

// Without a router the weight is a share of the replicas.
func TestBasicCanaryWithoutRouter(t *testing.T) {
	t.Parallel()
	e := framework.NewEnv(t)
	e.Given().Apply(rollout("web:1", "      - setWeight: 25\n      - pause: {}\n", "      maxSurge: 1\n      maxUnavailable: 0\n"))
	healthy(e)
	setImage(e, "web:2")
	atPause(e, 1)
	waitReplicas(e, map[string]int32{"web:1": 3, "web:2": 1})
	promote(e)
	healthy(e)
	waitReplicas(e, map[string]int32{"web:1": 0, "web:2": 4})
}

func eventReasons(e *framework.Env) []string {
	e.T.Helper()
	list, err := e.F.Kube.CoreV1().Events(e.Namespace).List(e.T.Context(), metav1.ListOptions{FieldSelector: "involvedObject.kind=Rollout"})
	if err != nil {
		e.T.Fatal(err)
	}
	var out []string
	for _, ev := range list.Items {
		out = append(out, ev.Reason)
	}
	return out
}

func unstructuredString(obj map[string]any, path ...string) (string, bool, error) {
	cur := any(obj)
	for _, p := range path {
		m, ok := cur.(map[string]any)
		if !ok {
			return "", false, nil
		}
		cur = m[p]
	}
	s, ok := cur.(string)
	return s, ok, nil
}

// The controller's own endpoints: /readyz answers on the health address and /metrics
// carries Serin's reconcile and client metrics once it has synced a rollout.
func TestControllerEndpoints(t *testing.T) {
	t.Parallel()
	e := framework.NewEnv(t)
	e.Given().Apply(app("web:1", fourSteps, ""))
	healthy(e)
	c := framework.Current().Controller
	get := func(server, path string) string {
		t.Helper()
		addr, err := c.Addr(server)
		if err != nil {
			t.Fatal(err)
		}
		resp, err := http.Get("http://" + addr + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("GET %s%s: %s: %s", addr, path, resp.Status, body)
		}
		return string(body)
	}
	get("health", "/readyz")
	metrics := get("metrics", "/metrics")
	for _, name := range []string{"serin_reconcile_duration_seconds_count", "serin_client_requests_total", "serin_rollout_phase"} {
		if !strings.Contains(metrics, name) {
			t.Errorf("/metrics has no %s", name)
		}
	}
}
