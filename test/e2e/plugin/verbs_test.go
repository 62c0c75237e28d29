//go:build e2e

package plugin

import (
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"

	"github.com/serin-dev/serin/pkg/apis/rollouts/v1alpha1"
	"github.com/serin-dev/serin/test/cluster"
	"github.com/serin-dev/serin/test/e2e/framework"
)

const twoPauses = `      - setWeight: 25
      - pause: {}
      - setWeight: 50
      - pause: {}
`

// promote and abort drive a rollout through its steps: set image starts the update,
// promote ends each pause, abort sends everything back to stable, retry starts the steps
// again, promote --full finishes. status's exit code follows: 0 Healthy, 1 Degraded,
// 2 on timeout.
func TestPromoteAbortRetryStatus(t *testing.T) {
	t.Parallel()
	e := framework.NewEnv(t)
	e.Given().Apply(app("web:1", twoPauses))
	waitRollout(e, "Healthy", phase(v1alpha1.RolloutPhaseHealthy))
	if out := mustSerin(e, "status", "web", "--timeout", "60s"); !strings.Contains(out, "Healthy") {
		t.Errorf("status of a healthy rollout printed %q", out)
	}

	out := mustSerin(e, "set", "image", "web", "web=web:2")
	if !strings.Contains(out, "image web:2 set on web") || !strings.Contains(out, "runs its steps from step 1/4 (setWeight 25)") {
		t.Errorf("set image said %q", out)
	}
	ro := atPause(e, 1)
	canary := "web-" + ro.Status.CurrentPodHash
	stable := "web-" + ro.Status.StableRS
	waitWeight(e, 25)
	waitRS(e, canary, 1)

	// A paused rollout is neither Healthy nor Degraded: status times out with exit 2.
	if _, errOut, code := serin(e, "status", "web", "--timeout", "2s"); code != 2 || !strings.Contains(errOut, "timed out") {
		t.Errorf("status of a paused rollout: exit %d, stderr %q; want exit 2 and a timeout message", code, errOut)
	}
	if _, _, code := serin(e, "status", "web", "--watch=false"); code != 3 {
		t.Errorf("status --watch=false of a paused rollout: exit %d, want 3", code)
	}

	out = mustSerin(e, "promote", "web")
	if !strings.Contains(out, "pause cleared at step 2/4") || !strings.Contains(out, "step 3/4 (setWeight 50)") {
		t.Errorf("promote said %q", out)
	}
	atPause(e, 3)
	waitWeight(e, 50)
	waitRS(e, canary, 2)

	out = mustSerin(e, "abort", "web")
	if !strings.Contains(out, "aborted") || !strings.Contains(out, "scales the canary down after 2s") {
		t.Errorf("abort said %q", out)
	}
	waitRollout(e, "Degraded after abort", phase(v1alpha1.RolloutPhaseDegraded))
	waitWeight(e, 0)
	waitSelector(e, "web-canary", ro.Status.StableRS)
	waitRS(e, canary, 0)
	waitRS(e, stable, 4)
	if _, _, code := serin(e, "status", "web", "--timeout", "60s"); code != 1 {
		t.Errorf("status of an aborted rollout: exit %d, want 1", code)
	}
	if _, errOut, code := serin(e, "abort", "web"); code == 0 || !strings.Contains(errOut, "already aborted") {
		t.Errorf("a second abort: exit %d, stderr %q; want a refusal", code, errOut)
	}

	mustSerin(e, "retry", "web")
	atPause(e, 1)
	waitWeight(e, 25)

	out = mustSerin(e, "promote", "web", "--full")
	if !strings.Contains(out, "fully promoted") {
		t.Errorf("promote --full said %q", out)
	}
	done := waitRollout(e, "Healthy on web:2", func(ro *v1alpha1.Rollout) bool {
		return ro.Status.Phase == v1alpha1.RolloutPhaseHealthy && ro.Status.StableRS == ro.Status.CurrentPodHash
	})
	if "web-"+done.Status.StableRS != canary {
		t.Errorf("stable is %s, want %s", done.Status.StableRS, canary)
	}
	waitRS(e, canary, 4)
	waitSelector(e, "web-stable", done.Status.StableRS)
	if _, _, code := serin(e, "status", "web", "--timeout", "60s"); code != 0 {
		t.Errorf("status after promotion: exit %d, want 0", code)
	}
}

// Errors say what to do: not found names the namespace searched, wrong kinds are refused,
// an unreachable cluster is named as such.
func TestErrors(t *testing.T) {
	t.Parallel()
	e := framework.NewEnv(t)
	_, errOut, code := serin(e, "promote", "nope")
	if code == 0 || !strings.Contains(errOut, `rollout "nope" in namespace "`+e.Namespace+`"`) || !strings.Contains(errOut, "list rollouts -A") {
		t.Errorf("promote of a missing rollout: exit %d, stderr %q", code, errOut)
	}
	_, errOut, code = serin(e, "get", "deployment", "web")
	if code == 0 || !strings.Contains(errOut, "works on Rollouts") {
		t.Errorf("get deployment: exit %d, stderr %q", code, errOut)
	}
	_, errOut, code = serin(e, "list", "rollouts", "--server", "https://127.0.0.1:1")
	if code == 0 || !strings.Contains(errOut, "cannot reach the cluster") {
		t.Errorf("list against a closed port: exit %d, stderr %q", code, errOut)
	}
}

// get and list show the rollout as the cluster has it.
func TestGetAndList(t *testing.T) {
	t.Parallel()
	e := framework.NewEnv(t)
	e.Given().Apply(app("web:1", twoPauses))
	waitRollout(e, "Healthy", phase(v1alpha1.RolloutPhaseHealthy))
	rows := startSerin(e, "list", "rollouts", "--watch")
	rows.waitLine("the healthy row", func(l string) bool { return strings.Contains(l, "✔ Healthy") && strings.Contains(l, "4/4") })
	mustSerin(e, "set", "image", "web", "web=web:2")
	ro := atPause(e, 1)
	rows.waitLine("a row for the pause at step 2/4", func(l string) bool {
		return strings.HasPrefix(l, "web ") && strings.Contains(l, "‖ Paused") && strings.Contains(l, "2/4")
	})
	waitWeight(e, 25)
	waitRS(e, "web-"+ro.Status.CurrentPodHash, 1)

	out := mustSerin(e, "get", "rollout", "web")
	for _, want := range []string{"Status:         ‖ Paused", "Step:         2/4", "SetWeight:    25", "ActualWeight: 25",
		"web:1 (stable)", "web:2 (canary)", "revision 2", "web-" + ro.Status.CurrentPodHash, "ready 1/1"} {
		if !strings.Contains(out, want) {
			t.Errorf("get rollout: no %q in\n%s", want, out)
		}
	}
	out = mustSerin(e, "list", "rollouts")
	if !strings.Contains(out, "web") || !strings.Contains(out, "Paused") || !strings.Contains(out, "2/4") {
		t.Errorf("list rollouts:\n%s", out)
	}
	out = mustSerin(e, "get", "rollout", "web", "-o", "json")
	if !strings.Contains(out, `"status": "Paused"`) {
		t.Errorf("get -o json:\n%s", out)
	}
}

// pause and resume set spec.paused; restart replaces every pod; undo after a promotion
// puts the first revision's template back exactly (its ReplicaSet's hash), and the
// controller rolls it out through the steps.
func TestPauseResumeRestartUndo(t *testing.T) {
	t.Parallel()
	e := framework.NewEnv(t)
	e.Given().Apply(app("web:1", "      - setWeight: 50\n      - pause: {}\n"))
	first := waitRollout(e, "Healthy", phase(v1alpha1.RolloutPhaseHealthy))

	mustSerin(e, "pause", "web")
	waitRollout(e, "manually paused", func(ro *v1alpha1.Rollout) bool {
		return ro.Spec.Paused && ro.Status.Phase == v1alpha1.RolloutPhasePaused && ro.Status.Message == "manually paused"
	})
	mustSerin(e, "resume", "web")
	waitRollout(e, "Healthy again", func(ro *v1alpha1.Rollout) bool {
		return !ro.Spec.Paused && ro.Status.Phase == v1alpha1.RolloutPhaseHealthy
	})

	mustSerin(e, "restart", "web")
	restarted := waitRollout(e, "restarted", func(ro *v1alpha1.Rollout) bool {
		return ro.Spec.RestartAt != nil && ro.Status.RestartedAt != nil && !ro.Status.RestartedAt.Before(ro.Spec.RestartAt)
	})
	e.Then().Pods("app=web", "every pod created after restartAt, all ready", func(pods []corev1.Pod) bool {
		ready := 0
		for i := range pods {
			if pods[i].DeletionTimestamp == nil && pods[i].CreationTimestamp.Before(restarted.Spec.RestartAt) {
				return false
			}
			if framework.IsReady(&pods[i]) && pods[i].DeletionTimestamp == nil {
				ready++
			}
		}
		return ready == 4
	})

	mustSerin(e, "set", "image", "web", "web=web:2")
	atPause(e, 1)
	mustSerin(e, "promote", "web")
	waitRollout(e, "Healthy on web:2", func(ro *v1alpha1.Rollout) bool {
		return ro.Status.Phase == v1alpha1.RolloutPhaseHealthy && ro.Status.StableRS != first.Status.StableRS
	})

	out := mustSerin(e, "undo", "web")
	if !strings.Contains(out, "template of revision 1") || !strings.Contains(out, "through the steps") {
		t.Errorf("undo said %q", out)
	}
	back := atPause(e, 1)
	if back.Status.CurrentPodHash != first.Status.StableRS {
		t.Errorf("undo rolls out %s; want revision 1's own hash %s (its template restored exactly)", back.Status.CurrentPodHash, first.Status.StableRS)
	}
	if img := back.Spec.Template.Spec.Containers[0].Image; img != "web:1" {
		t.Errorf("image after undo: %s", img)
	}
}

// A user without rights gets the API's forbidden message (verb and resource) and the
// roles that grant it.
func TestForbidden(t *testing.T) {
	t.Parallel()
	e := framework.NewEnv(t)
	_, errOut, code := serin(e, "abort", "web", "--as", "system:serviceaccount:"+e.Namespace+":default")
	if code == 0 || !strings.Contains(errOut, `cannot get resource "rollouts"`) || !strings.Contains(errOut, "serin-edit") {
		t.Errorf("abort without rights: exit %d, stderr %q", code, errOut)
	}
}

// promote of a rollout that is not paused skips the step it is at: here a setWeight whose
// canary pod never gets ready; the controller takes the skipped index and goes on to the
// pause after it.
func TestPromoteSkipsAStuckStep(t *testing.T) {
	t.Parallel()
	e := framework.NewEnv(t)
	steps := "      - setWeight: 25\n      - pause: {}\n"
	e.Given().Apply(app("web:1", steps))
	waitRollout(e, "Healthy", phase(v1alpha1.RolloutPhaseHealthy))

	stuck := strings.Replace(app("web:2", steps), "      labels: {app: web}\n",
		"      labels: {app: web, "+cluster.HealthLabel+": \""+cluster.HealthNotReady+"\"}\n", 1)
	e.When().Apply(stuck)
	ro := waitRollout(e, "at step 1 with a canary pod that is not ready", func(ro *v1alpha1.Rollout) bool {
		return ro.Status.Phase == v1alpha1.RolloutPhaseProgressing && ro.Status.CurrentStepIndex != nil &&
			*ro.Status.CurrentStepIndex == 0 && ro.Status.CurrentPodHash != ro.Status.StableRS && ro.Status.Replicas == 5
	})
	e.Then().PodsNotReady("app=web,"+hashLabel+"="+ro.Status.CurrentPodHash, 1)

	out := mustSerin(e, "promote", "web")
	if !strings.Contains(out, "skipped step 1/2 (setWeight 25)") || !strings.Contains(out, "step 2/2 (pause)") {
		t.Errorf("promote said %q", out)
	}
	atPause(e, 1)
}
