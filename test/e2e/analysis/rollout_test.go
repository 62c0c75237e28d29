//go:build e2e

package analysis

import (
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/serin-dev/serin/pkg/apis/rollouts/v1alpha1"
	"github.com/serin-dev/serin/test/e2e/framework"
)

// Rollouts whose analysis steps and background analysis measure the package's real
// Prometheus, run by the real controller: the verdicts drive the rollout.

// canaryRollout is Rollout "web" (2 replicas, no traffic router) with these steps and,
// when background is set, a background analysis from step 1. Its analyses use the
// success-rate template with this test's app and the package's Prometheus.
func canaryRollout(e *framework.Env, image, steps string, background bool) string {
	analysisArgs := fmt.Sprintf(`
        args:
        - {name: app, value: %q}
        - {name: prometheus, value: %q}`, e.Namespace, prom.URL)
	bg := ""
	if background {
		bg = "      analysis:\n        startingStep: 1\n        templates: [{templateName: success-rate}]" + analysisArgs + "\n"
	}
	steps = strings.ReplaceAll(steps, "ANALYSIS", "analysis:\n          templates: [{templateName: success-rate}]"+strings.ReplaceAll(analysisArgs, "\n        ", "\n          "))
	return fmt.Sprintf(`apiVersion: serin.dev/v1alpha1
kind: Rollout
metadata:
  name: web
spec:
  replicas: 2
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
      - name: web
        image: %s
  strategy:
    canary:
%s      steps:
%s`, image, bg, steps)
}

func setImage(e *framework.Env, image string) { e.T.Helper(); e.SetImage("web", image) }

func waitRollout(e *framework.Env, what string, cond func(*v1alpha1.Rollout) bool) *v1alpha1.Rollout {
	e.T.Helper()
	return e.WaitRollout("web", what, cond)
}

func atStep(e *framework.Env, phase v1alpha1.RolloutPhase, idx int32) *v1alpha1.Rollout {
	e.T.Helper()
	return waitRollout(e, fmt.Sprintf("%s at step %d", phase, idx), func(ro *v1alpha1.Rollout) bool {
		return ro.Status.Phase == phase && ro.Status.CurrentStepIndex != nil && *ro.Status.CurrentStepIndex == idx
	})
}

// promote runs the real plugin, as a user does: kubectl-serin promote web.
func promote(e *framework.Env) {
	e.T.Helper()
	bin := e.F.Path("bin", "kubectl-serin")
	if _, err := os.Stat(bin); err != nil {
		e.T.Fatalf("the plugin binary: %v (run `make build`)", err)
	}
	out, err := exec.CommandContext(e.T.Context(), bin, "promote", "web", "--namespace", e.Namespace,
		"--kubeconfig", e.F.Cluster.Kubeconfig).CombinedOutput()
	if err != nil {
		e.T.Fatalf("kubectl-serin promote web: %v\n%s", err, out)
	}
	e.T.Logf("kubectl-serin promote web: %s", strings.TrimSpace(string(out)))
}

// runsOf lists the Rollout's AnalysisRuns.
func runsOf(e *framework.Env) []v1alpha1.AnalysisRun {
	e.T.Helper()
	list, err := serin(e.T).SerinV1alpha1().AnalysisRuns(e.Namespace).List(e.T.Context(), metaList("rollout.serin.dev/rollout=web"))
	if err != nil {
		e.T.Fatal(err)
	}
	return list.Items
}

// A canary with a low error rate passes its analysis step and is promoted; the step
// created exactly one run, labelled with its type and step.
func TestRolloutAnalysisStepPasses(t *testing.T) {
	t.Parallel()
	e := framework.NewEnv(t)
	serveApp(e, false, 0.01, 0)
	e.Given().Apply(successRate(2, "", ""))
	e.Given().Apply(canaryRollout(e, "web:1", "      - setWeight: 50\n      - ANALYSIS\n      - pause: {}\n", false))
	atStep(e, v1alpha1.RolloutPhaseHealthy, 3)
	setImage(e, "web:2")
	atStep(e, v1alpha1.RolloutPhasePaused, 2)
	runs := runsOf(e)
	if len(runs) != 1 || runs[0].Status.Phase != v1alpha1.AnalysisPhaseSuccessful ||
		runs[0].Labels["rollout-type"] != "Step" || runs[0].Labels["step-index"] != "1" {
		t.Fatalf("runs %+v, want one Successful Step run for step index 1", runs)
	}
	if owners := runs[0].OwnerReferences; len(owners) != 1 || owners[0].Kind != "Rollout" || owners[0].Name != "web" {
		t.Errorf("run owners %+v, want the Rollout", owners)
	}
	if r := metricResult(t, &runs[0], "success-rate"); r.Successful != 2 || !near(t, r.Measurements[1].Value, 0.99) {
		t.Errorf("metric result %+v, want 2 successful measurements of 0.99", r)
	}
	promote(e)
	ro := atStep(e, v1alpha1.RolloutPhaseHealthy, 3)
	if ro.Status.StableRS != ro.Status.CurrentPodHash {
		t.Errorf("stable %s, want the promoted revision %s", ro.Status.StableRS, ro.Status.CurrentPodHash)
	}
}

// A canary with a high error rate fails its analysis: the rollout aborts, its message and
// a Warning event naming the metric, its value and the condition; the canary goes away.
func TestRolloutAnalysisStepFailsAndAborts(t *testing.T) {
	t.Parallel()
	e := framework.NewEnv(t)
	serveApp(e, false, 0.5, 0)
	e.Given().Apply(successRate(2, "result[0] < 0.9", ""))
	e.Given().Apply(canaryRollout(e, "web:1", "      - setWeight: 50\n      - ANALYSIS\n      - pause: {}\n", false))
	first := atStep(e, v1alpha1.RolloutPhaseHealthy, 3).Status.StableRS
	setImage(e, "web:2")
	ro := waitRollout(e, "aborted", func(ro *v1alpha1.Rollout) bool {
		return ro.Status.Abort && ro.Status.Phase == v1alpha1.RolloutPhaseDegraded
	})
	t.Logf("message: %s", ro.Status.Message)
	// The metric, its value and the condition that decided.
	runs := runsOf(e)
	if len(runs) != 1 {
		t.Fatalf("%d runs, want 1", len(runs))
	}
	r := metricResult(t, &runs[0], "success-rate")
	value := r.Measurements[len(r.Measurements)-1].Value
	if !near(t, value, 0.5) {
		t.Errorf("measured %s, want [0.5]", value)
	}
	named := []string{`metric "success-rate" Failed: value ` + value, `failureCondition "result[0] < 0.9" is true`, "AnalysisRun " + runs[0].Name}
	for _, want := range named {
		if !strings.Contains(ro.Status.Message, want) {
			t.Errorf("message %q does not contain %q", ro.Status.Message, want)
		}
	}
	if ro.Status.StableRS != first {
		t.Errorf("stable moved from %s to %s", first, ro.Status.StableRS)
	}
	ev := waitEvent(e, "web", "AnalysisRunFailed")
	if ev.Type != corev1.EventTypeWarning {
		t.Errorf("event type %s, want Warning", ev.Type)
	}
	for _, want := range named[:2] {
		if !strings.Contains(ev.Message, want) {
			t.Errorf("event message %q does not contain %q", ev.Message, want)
		}
	}
	waitRollout(e, "the canary scaled away", func(ro *v1alpha1.Rollout) bool {
		return ro.Status.UpdatedReplicas == 0 && ro.Status.AvailableReplicas == 2
	})
}

// An inconclusive result (neither condition holds) pauses the rollout with reason
// InconclusiveAnalysisRun until promote, which goes on to the next step.
func TestRolloutInconclusivePausesUntilPromote(t *testing.T) {
	t.Parallel()
	e := framework.NewEnv(t)
	serveApp(e, false, 0.2, 0) // success rate 0.8: not >= 0.95, not < 0.5
	e.Given().Apply(successRate(1, "result[0] < 0.5", ""))
	e.Given().Apply(canaryRollout(e, "web:1", "      - setWeight: 50\n      - ANALYSIS\n      - pause: {}\n", false))
	atStep(e, v1alpha1.RolloutPhaseHealthy, 3)
	setImage(e, "web:2")
	ro := atStep(e, v1alpha1.RolloutPhasePaused, 1)
	if len(ro.Status.PauseConditions) != 1 || ro.Status.PauseConditions[0].Reason != v1alpha1.PauseReasonInconclusiveAnalysis {
		t.Fatalf("pause conditions %+v, want InconclusiveAnalysisRun", ro.Status.PauseConditions)
	}
	promote(e)
	atStep(e, v1alpha1.RolloutPhasePaused, 2)
	if runs := runsOf(e); len(runs) != 1 {
		t.Errorf("%d runs, want 1 (promote past an inconclusive step creates none)", len(runs))
	}
}

// Background analysis starts at its startingStep and aborts the rollout in the middle
// of its steps once the canary's error rate rises.
func TestRolloutBackgroundAnalysisAbortsMidway(t *testing.T) {
	t.Parallel()
	e := framework.NewEnv(t)
	serveApp(e, false, 0.0, 0)
	e.Given().Apply(successRate(0, "result[0] < 0.9", "")) // count 0: measures until terminated
	e.Given().Apply(canaryRollout(e, "web:1", "      - setWeight: 50\n      - pause: {}\n      - setWeight: 100\n      - pause: {}\n", true))
	atStep(e, v1alpha1.RolloutPhaseHealthy, 4)
	setImage(e, "web:2")
	atStep(e, v1alpha1.RolloutPhasePaused, 1)
	runs := runsOf(e)
	if len(runs) != 1 || runs[0].Labels["rollout-type"] != "Background" {
		t.Fatalf("runs %+v, want one Background run", runs)
	}
	bg := runs[0].Name
	waitRun(e, bg, "2 successful background measurements", func(r *v1alpha1.AnalysisRun) bool {
		return r.Status.Phase == v1alpha1.AnalysisPhaseRunning && len(r.Status.MetricResults) == 1 && r.Status.MetricResults[0].Successful >= 2
	})
	promote(e)
	atStep(e, v1alpha1.RolloutPhasePaused, 3)

	load.setErrorRatio(e.Namespace, 0.5) // the canary starts failing
	ro := waitRollout(e, "aborted by the background analysis", func(ro *v1alpha1.Rollout) bool {
		return ro.Status.Abort && ro.Status.Phase == v1alpha1.RolloutPhaseDegraded
	})
	if !strings.Contains(ro.Status.Message, "background") || !strings.Contains(ro.Status.Message, `metric "success-rate" Failed`) ||
		!strings.Contains(ro.Status.Message, bg) {
		t.Errorf("message %q does not name the background run and metric", ro.Status.Message)
	}
	if ro.Status.CurrentStepIndex == nil || *ro.Status.CurrentStepIndex != 3 {
		t.Errorf("aborted at step %v, want 3 (midway)", ro.Status.CurrentStepIndex)
	}
	waitPhase(e, bg, v1alpha1.AnalysisPhaseFailed)
}

func metaList(selector string) metav1.ListOptions { return metav1.ListOptions{LabelSelector: selector} }

// blueGreenRollout is Rollout "web" (2 replicas) with active and preview Services, whose
// pre- or post-promotion analysis (field) uses the success-rate template.
func blueGreenRollout(e *framework.Env, image, field string) string {
	return framework.BlueGreenApp(image, 2, fmt.Sprintf(`      scaleDownDelaySeconds: 300
      %s:
        templates: [{templateName: success-rate}]
        args:
        - {name: app, value: %q}
        - {name: prometheus, value: %q}
`, field, e.Namespace, prom.URL))
}

func activeHash(e *framework.Env) string {
	e.T.Helper()
	svc, err := e.F.Kube.CoreV1().Services(e.Namespace).Get(e.T.Context(), "web-active", metav1.GetOptions{})
	if err != nil {
		e.T.Fatal(err)
	}
	return svc.Spec.Selector["rollouts-pod-template-hash"]
}

// Scenario 8 (pre): a failing pre-promotion analysis aborts; active never leaves
// revision 1.
func TestBlueGreenPrePromotionAnalysisFails(t *testing.T) {
	t.Parallel()
	e := framework.NewEnv(t)
	serveApp(e, false, 0.5, 0)
	e.Given().Apply(successRate(1, "result[0] < 0.9", ""))
	e.Given().Apply(blueGreenRollout(e, "web:1", "prePromotionAnalysis"))
	first := waitRollout(e, "Healthy", func(ro *v1alpha1.Rollout) bool { return ro.Status.Phase == v1alpha1.RolloutPhaseHealthy })
	setImage(e, "web:2")
	ro := waitRollout(e, "aborted by the pre-promotion analysis", func(ro *v1alpha1.Rollout) bool {
		return ro.Status.Abort && ro.Status.Phase == v1alpha1.RolloutPhaseDegraded
	})
	if !strings.Contains(ro.Status.Message, "pre-promotion") || !strings.Contains(ro.Status.Message, "result[0] < 0.9") {
		t.Errorf("message %q", ro.Status.Message)
	}
	if h := activeHash(e); h != first.Status.StableRS {
		t.Errorf("active selects %s, want revision 1 (%s)", h, first.Status.StableRS)
	}
	if runs := runsOf(e); len(runs) != 1 || runs[0].Labels["rollout-type"] != "PrePromotion" {
		t.Errorf("runs %d, want one PrePromotion run", len(runs))
	}
}

// Scenario 8 (post): the switch happens, the post-promotion analysis fails, and active
// goes back to revision 1, which stayed up.
func TestBlueGreenPostPromotionAnalysisSwitchesBack(t *testing.T) {
	t.Parallel()
	e := framework.NewEnv(t)
	serveApp(e, false, 0.5, 0)
	e.Given().Apply(successRate(1, "result[0] < 0.9", ""))
	e.Given().Apply(blueGreenRollout(e, "web:1", "postPromotionAnalysis"))
	first := waitRollout(e, "Healthy", func(ro *v1alpha1.Rollout) bool { return ro.Status.Phase == v1alpha1.RolloutPhaseHealthy })
	setImage(e, "web:2")
	waitRollout(e, "switched to revision 2", func(ro *v1alpha1.Rollout) bool {
		return ro.Status.BlueGreen.ActiveSelector != "" && ro.Status.BlueGreen.ActiveSelector == ro.Status.CurrentPodHash
	})
	ro := waitRollout(e, "aborted by the post-promotion analysis", func(ro *v1alpha1.Rollout) bool {
		return ro.Status.Abort && ro.Status.Phase == v1alpha1.RolloutPhaseDegraded
	})
	if !strings.Contains(ro.Status.Message, "post-promotion") {
		t.Errorf("message %q", ro.Status.Message)
	}
	waitRollout(e, "active back on revision 1", func(ro *v1alpha1.Rollout) bool {
		return ro.Status.BlueGreen.ActiveSelector == first.Status.StableRS
	})
	if h := activeHash(e); h != first.Status.StableRS {
		t.Errorf("active Service selects %s, want revision 1 (%s)", h, first.Status.StableRS)
	}
}
