//go:build e2e

package dashboard

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/serin-dev/serin/pkg/apis/rollouts/v1alpha1"
	"github.com/serin-dev/serin/test/e2e/framework"
)

// viewerRBAC lets ServiceAccount "viewer" read what the dashboard watches, and nothing
// more: no patch on Rollouts or their status.
const viewerRBAC = `apiVersion: v1
kind: ServiceAccount
metadata: {name: viewer}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: rollout-viewer}
rules:
- apiGroups: [serin.dev]
  resources: [rollouts, analysisruns]
  verbs: [get, list, watch]
- apiGroups: [apps]
  resources: [replicasets]
  verbs: [get, list, watch]
- apiGroups: [""]
  resources: [pods, events]
  verbs: [get, list, watch]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: viewer}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: rollout-viewer}
subjects:
- {kind: ServiceAccount, name: viewer}
`

// Actions run with the user's identity: a user who may only read sees the rollout, and a
// Promote shows the API server's own refusal in the page, changing nothing.
func TestForbiddenActionShowsTheAPIReason(t *testing.T) {
	e := framework.NewEnv(t)
	e.Given().Apply(viewerRBAC).Apply(app("web:1"))
	waitRollout(e, "Healthy", func(ro *v1alpha1.Rollout) bool { return ro.Status.Phase == v1alpha1.RolloutPhaseHealthy })
	e.Kubectl("patch", "rollout", "web", "--type=json",
		"-p", `[{"op":"replace","path":"/spec/template/spec/containers/0/image","value":"web:2"}]`)
	waitRollout(e, "Paused at step 1", func(ro *v1alpha1.Rollout) bool {
		return ro.Status.Phase == v1alpha1.RolloutPhasePaused && ro.Status.CurrentStepIndex != nil && *ro.Status.CurrentStepIndex == 1
	})

	user := fmt.Sprintf("system:serviceaccount:%s:viewer", e.Namespace)
	d := startDashboard(e, "--namespace", e.Namespace, "--port", "0", "--as", user)
	shots := filepath.Join(e.F.Artifacts, "screenshots")
	if err := os.MkdirAll(shots, 0o755); err != nil {
		t.Fatal(err)
	}
	res := runBrowser(t, e, map[string]string{"MODE": "forbidden", "DASHBOARD_URL": d.url,
		"NAMESPACE": e.Namespace, "SCREENSHOTS": shots})
	t.Logf("the page says: %s", res.ForbiddenAlert)
	for _, want := range []string{"forbidden", user, "rollouts"} {
		if !strings.Contains(res.ForbiddenAlert, want) {
			t.Errorf("alert %q does not name %q", res.ForbiddenAlert, want)
		}
	}
	ro := waitRollout(e, "still paused at step 1", func(*v1alpha1.Rollout) bool { return true })
	if ro.Status.Phase != v1alpha1.RolloutPhasePaused || *ro.Status.CurrentStepIndex != 1 || len(ro.Status.PauseConditions) == 0 {
		t.Errorf("the forbidden promote changed the rollout: phase %s, step %d, pause %v",
			ro.Status.Phase, *ro.Status.CurrentStepIndex, ro.Status.PauseConditions)
	}
}
