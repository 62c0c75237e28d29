//go:build e2e

package canary

import (
	"cmp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/watch"

	"github.com/serin-dev/serin/pkg/apis/rollouts/v1alpha1"
	"github.com/serin-dev/serin/test/e2e/framework"
)

// Traffic moves one way (docs/design.md invariants 4 and 7): through a whole rollout of
// setWeight 20/50/80 with short pauses, the canary Ingress' weight never goes down while
// the canary's pods come up (no 50 → 40 → 80 while the pods for 80 start), and at
// promotion the stable Service selects the new revision before the weight drops to 0, so
// that no request goes back to the old version. Every change of the canary Ingress and
// the Services is recorded from the API server's watches and replayed in resourceVersion
// order.
func TestTrafficMovesOneWay(t *testing.T) {
	t.Parallel()
	e := framework.NewEnv(t)
	e.Given().Apply(app("web:1", `      - setWeight: 20
      - pause: {duration: 1s}
      - setWeight: 50
      - pause: {duration: 1s}
      - setWeight: 80
      - pause: {duration: 1s}
`, ""))
	healthy(e)
	ingresses := record(e, framework.Resource("networking.k8s.io", "v1", "ingresses"), "", "metadata.name=web-web-canary")
	services := record(e, framework.Resource("", "v1", "services"), "", "")

	setImage(e, "web:2")
	ro := waitRollout(e, "Healthy on web:2", func(ro *v1alpha1.Rollout) bool {
		return ro.Status.Phase == v1alpha1.RolloutPhaseHealthy && ro.Status.StableRS == hashOf(e, "web:2")
	})
	waitCanaryWeight(e, "web-web-canary", 0)
	ingresses.stop(t)
	services.stop(t)

	weights := oneWayWeights(t, ingresses, services, ro.Status.StableRS)
	t.Logf("canary weights, in resourceVersion order: %s", strings.Join(weights, " "))
	for _, w := range []string{"20", "50", "80", "0"} {
		if !slices.Contains(weights, w) {
			t.Errorf("weight %s never written; weights %v", w, weights)
		}
	}
}

// oneWayWeights replays the canary Ingress and the Services together and fails the test
// when the weight goes down before the promotion of newHash, or drops to 0 at promotion
// while the stable Service does not select newHash yet. It returns the weights seen.
func oneWayWeights(t *testing.T, ingresses, services *recorder, newHash string) []string {
	t.Helper()
	type change struct {
		rv  int64
		obj *unstructured.Unstructured
	}
	var all []change
	for _, r := range []*recorder{services, ingresses} {
		r.mu.Lock()
		for i := range r.initial {
			all = append(all, change{obj: &r.initial[i]})
		}
		for _, ev := range r.events {
			if o, ok := ev.Object.(*unstructured.Unstructured); ok && ev.Type != watch.Deleted {
				rv, _ := strconv.ParseInt(o.GetResourceVersion(), 10, 64)
				all = append(all, change{rv: rv, obj: o})
			}
		}
		r.mu.Unlock()
	}
	slices.SortStableFunc(all, func(a, b change) int { return cmp.Compare(a.rv, b.rv) })

	stable, last := "", 0
	var weights []string
	for _, c := range all {
		switch c.obj.GetKind() {
		case "Service":
			if c.obj.GetName() == stableSvc {
				stable, _, _ = unstructured.NestedString(c.obj.Object, "spec", "selector", hashLabel)
			}
		case "Ingress":
			a := c.obj.GetAnnotations()
			if a[canaryKey] != "true" {
				continue
			}
			w, err := strconv.Atoi(a[weightKey])
			if err != nil {
				t.Fatalf("canary Ingress weight %q at resourceVersion %d: %v", a[weightKey], c.rv, err)
			}
			if len(weights) == 0 || weights[len(weights)-1] != a[weightKey] {
				weights = append(weights, a[weightKey])
			}
			if w < last {
				if stable != newHash {
					t.Errorf("canary weight %d → %d at resourceVersion %d while the stable Service selects %q, not the new revision %q",
						last, w, c.rv, stable, newHash)
				}
			}
			last = w
		}
	}
	return weights
}
