//go:build e2e

package plugin

import (
	"encoding/json"
	"fmt"
	"maps"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/serin-dev/serin/pkg/apis/rollouts/v1alpha1"
	"github.com/serin-dev/serin/pkg/preview"
	"github.com/serin-dev/serin/test/e2e/framework"
)

const headerSteps = `      - setWeight: 25
      - pause: {}
      - setHeaderRoute:
          name: beta
          match: [{headerName: X-Beta, headerValue: {exact: "yes"}}]
      - pause: {}
      - setWeight: 50
      - pause: {}
`

// plan --from-cluster previews the update; then the update is applied and, at every
// pause and at the end, the cluster holds what the preview said: ReplicaSet sizes, the
// canary Ingress' annotations, Service selectors.
func TestPlanMatchesController(t *testing.T) {
	t.Parallel()
	e := framework.NewEnv(t)
	e.Given().Apply(app("web:1", headerSteps))
	waitRollout(e, "Healthy", phase(v1alpha1.RolloutPhaseHealthy))
	update := writeFile(t, "web-2.yaml", app("web:2", headerSteps))

	table := mustSerin(e, "plan", "-f", update, "--from-cluster")
	if !strings.Contains(table, "setHeaderRoute beta") || !strings.Contains(table, "kubectl serin promote web") {
		t.Errorf("plan table:\n%s", table)
	}
	var pv preview.Preview
	if err := json.Unmarshal([]byte(mustSerin(e, "plan", "-f", update, "--from-cluster", "-o", "json")), &pv); err != nil {
		t.Fatal(err)
	}
	// Offline, the preview knows the CRD's defaults: it names the same revision.
	var offline preview.Preview
	if err := json.Unmarshal([]byte(mustSerin(e, "plan", "-f", update, "-o", "json")), &offline); err != nil {
		t.Fatal(err)
	}
	if offline.Revision != pv.Revision {
		t.Errorf("offline plan names revision %s, --from-cluster %s", offline.Revision, pv.Revision)
	}
	if len(pv.Steps) != 6 {
		t.Fatalf("plan has %d steps, want 6", len(pv.Steps))
	}

	e.When().Apply(app("web:2", headerSteps))
	for _, s := range pv.Steps {
		if s.Waits != "promote" {
			continue
		}
		ro := atPause(e, s.Number-1)
		if ro.Status.CurrentPodHash != pv.Revision {
			t.Fatalf("the controller rolls out %s, the plan said %s", ro.Status.CurrentPodHash, pv.Revision)
		}
		t.Logf("step %d (%s): comparing the cluster with the plan", s.Number, s.Step)
		expectState(e, s.State)
		mustSerin(e, "promote", "web")
	}
	waitRollout(e, "Healthy on the new revision", func(ro *v1alpha1.Rollout) bool {
		return ro.Status.Phase == v1alpha1.RolloutPhaseHealthy && ro.Status.StableRS == pv.Revision
	})
	expectState(e, pv.Promoted)
}

// expectState waits until the cluster holds st.
func expectState(e *framework.Env, st preview.State) {
	e.T.Helper()
	sized := map[string]bool{}
	for _, rs := range st.ReplicaSets {
		waitRS(e, rs.Name, int64(rs.Replicas))
		sized[rs.Name] = true
	}
	list := e.Kubectl("get", "rs", "-l", hashLabel, "-o", "jsonpath={range .items[*]}{.metadata.name} {.spec.replicas}{\"\\n\"}{end}")
	for _, line := range strings.Split(strings.TrimSpace(list), "\n") {
		name, replicas, _ := strings.Cut(line, " ")
		if !sized[name] && replicas != "0" {
			waitRS(e, name, 0) // the plan says it is down
		}
	}
	for svc, sel := range st.ServiceSelectors {
		waitSelector(e, svc, sel[hashLabel])
	}
	for _, want := range st.RouterObjects { // nginx: the canary Ingresses
		wantAnn := canaryAnnotations(want.GetAnnotations())
		e.Then().Object(ingresses, want.GetName(), fmt.Sprintf("canary annotations %v", wantAnn), func(o *unstructured.Unstructured) (bool, error) {
			return maps.Equal(canaryAnnotations(o.GetAnnotations()), wantAnn), nil
		})
	}
}

func canaryAnnotations(all map[string]string) map[string]string {
	out := map[string]string{}
	for k, v := range all {
		if strings.HasPrefix(k, "nginx.ingress.kubernetes.io/canary") {
			out[k] = v
		}
	}
	return out
}
