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
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/serin-dev/serin/pkg/apis/rollouts/v1alpha1"
	"github.com/serin-dev/serin/test/e2e/framework"
)

// canary is Rollout "web" (2 replicas, basic canary) with image, steps (list items indented
// 6) and extra canary fields (indented 6).
func canary(image, steps, extra string) string {
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
%s`, image, extra, steps)
}

// analysisRef is the templates and args of an analysis (step or background) using the
// success-rate template on this test's app, indented by indent spaces.
func analysisRef(e *framework.Env, indent int) string {
	pad := strings.Repeat(" ", indent)
	return fmt.Sprintf("%stemplates: [{templateName: success-rate}]\n%sargs:\n%s- {name: app, value: %s}\n%s- {name: prometheus, value: %q}\n",
		pad, pad, pad, e.Namespace, pad, prom.URL)
}

func analysisStep(e *framework.Env) string {
	return "      - setWeight: 50\n      - analysis:\n" + analysisRef(e, 10)
}

func waitRollout(e *framework.Env, what string, cond func(*v1alpha1.Rollout) bool) *v1alpha1.Rollout {
	e.T.Helper()
	var last v1alpha1.Rollout
	e.Then().Object(framework.Rollouts, "web", what, func(o *unstructured.Unstructured) (bool, error) {
		last = v1alpha1.Rollout{}
		if err := runtime.DefaultUnstructuredConverter.FromUnstructured(o.Object, &last); err != nil {
			return false, err
		}
		return last.Status.ObservedGeneration == last.Generation && cond(&last), nil
	})
	return &last
}

// firstRevision applies the rollout at web:1 and waits until it is Healthy; it returns
// that revision's hash.
func firstRevision(e *framework.Env, manifest string) string {
	e.T.Helper()
	e.Given().Apply(manifest)
	ro := waitRollout(e, "Healthy at web:1", func(ro *v1alpha1.Rollout) bool {
		return ro.Status.Phase == v1alpha1.RolloutPhaseHealthy && ro.Status.StableRS != ""
	})
	return ro.Status.StableRS
}

func setImage(e *framework.Env, image string) {
	e.T.Helper()
	e.Kubectl("patch", "rollout", "web", "--type=json",
		"-p", fmt.Sprintf(`[{"op":"replace","path":"/spec/template/spec/containers/0/image","value":%q}]`, image))
}

// promote runs the real plugin: kubectl-serin promote web.
func promote(e *framework.Env) {
	e.T.Helper()
	bin := e.F.Path("bin", "kubectl-serin")
	if _, err := os.Stat(bin); err != nil {
		e.T.Fatalf("the plugin binary: %v (run `make build`)", err)
	}
	cmd := exec.CommandContext(e.T.Context(), bin, "promote", "web", "--namespace", e.Namespace, "--kubeconfig", e.F.Cluster.Kubeconfig)
	out, err := cmd.CombinedOutput()
	if err != nil {
		e.T.Fatalf("kubectl-serin promote web: %v\n%s", err, out)
	}
	e.T.Logf("kubectl-serin promote web: %s", strings.TrimSpace(string(out)))
}

// runsOf returns the AnalysisRuns of a type (rollout-type label: Step or Background).
func runsOf(e *framework.Env, runType string) []v1alpha1.AnalysisRun {
	e.T.Helper()
	list, err := serin(e.T).SerinV1alpha1().AnalysisRuns(e.Namespace).List(e.T.Context(),
		metav1.ListOptions{LabelSelector: "rollout-type=" + runType})
	if err != nil {
		e.T.Fatal(err)
	}
	return list.Items
}

// An analysis step against a canary with a low error rate passes, and the rollout is
// promoted: one run, owned by the Rollout, Successful.
func TestRolloutAnalysisStepPromotes(t *testing.T) {
	t.Parallel()
	e := framework.NewEnv(t)
	serveApp(e, false, 0.01, 0)
	e.Given().Apply(successRate(2, "", ""))
	first := firstRevision(e, canary("web:1", analysisStep(e), ""))
	setImage(e, "web:2")
	ro := waitRollout(e, "Healthy at web:2", func(ro *v1alpha1.Rollout) bool {
		return ro.Status.Phase == v1alpha1.RolloutPhaseHealthy && ro.Status.StableRS != first &&
			ro.Status.StableRS == ro.Status.CurrentPodHash
	})
	runs := runsOf(e, "Step")
	if len(runs) != 1 {
		t.Fatalf("%d step runs, want 1", len(runs))
	}
	run := runs[0]
	if run.Status.Phase != v1alpha1.AnalysisPhaseSuccessful || run.Labels["step-index"] != "1" ||
		len(run.OwnerReferences) != 1 || run.OwnerReferences[0].UID != ro.UID {
		t.Errorf("run %s: phase %s labels %v owners %+v", run.Name, run.Status.Phase, run.Labels, run.OwnerReferences)
	}
	if r := metricResult(t, &run, "success-rate"); r.Successful != 2 {
		t.Errorf("metric result %+v", r)
	}
}

// A canary with a high error rate fails its analysis step: the rollout aborts, its status
// message and a Warning Event name the metric, its value and the condition; stable stays.
func TestRolloutAnalysisStepFailureAborts(t *testing.T) {
	t.Parallel()
	e := framework.NewEnv(t)
	serveApp(e, false, 0.3, 0)
	e.Given().Apply(successRate(2, "", ""))
	first := firstRevision(e, canary("web:1", analysisStep(e), ""))
	setImage(e, "web:2")
	ro := waitRollout(e, "aborted", func(ro *v1alpha1.Rollout) bool {
		return ro.Status.Abort && ro.Status.Phase == v1alpha1.RolloutPhaseDegraded
	})
	for _, want := range []string{`metric "success-rate" Failed: value [0.7`, `successCondition "result[0] >= 0.95" is false`} {
		if !strings.Contains(ro.Status.Message, want) {
			t.Errorf("status message %q lacks %q", ro.Status.Message, want)
		}
	}
	if ro.Status.StableRS != first {
		t.Errorf("stable moved to %s", ro.Status.StableRS)
	}
	ev := waitEvent(e, "web", "AnalysisRunFailed")
	if ev.Type != corev1.EventTypeWarning || !strings.Contains(ev.Message, `metric "success-rate" Failed: value [0.7`) ||
		!strings.Contains(ev.Message, `successCondition "result[0] >= 0.95" is false`) {
		t.Errorf("event %s %q", ev.Type, ev.Message)
	}
}

// An inconclusive analysis pauses the rollout (InconclusiveAnalysisRun) until promote.
func TestRolloutInconclusivePausesUntilPromote(t *testing.T) {
	t.Parallel()
	e := framework.NewEnv(t)
	serveApp(e, false, 0.2, 0)
	e.Given().Apply(successRate(1, "result[0] < 0.5", ""))
	first := firstRevision(e, canary("web:1", analysisStep(e), ""))
	setImage(e, "web:2")
	waitRollout(e, "paused: InconclusiveAnalysisRun", func(ro *v1alpha1.Rollout) bool {
		return ro.Status.Phase == v1alpha1.RolloutPhasePaused && len(ro.Status.PauseConditions) == 1 &&
			ro.Status.PauseConditions[0].Reason == v1alpha1.PauseReasonInconclusiveAnalysis
	})
	promote(e)
	waitRollout(e, "Healthy at web:2 after promote", func(ro *v1alpha1.Rollout) bool {
		return ro.Status.Phase == v1alpha1.RolloutPhaseHealthy && ro.Status.StableRS != first &&
			ro.Status.StableRS == ro.Status.CurrentPodHash
	})
}

// Background analysis (from step 1) passes while the canary is healthy, then aborts the
// rollout in the middle of its steps once the error rate rises.
func TestBackgroundAnalysisAbortsMidway(t *testing.T) {
	t.Parallel()
	e := framework.NewEnv(t)
	serveApp(e, false, 0.01, 0)
	e.Given().Apply(successRate(0, "", "")) // measures every 2s until terminated
	steps := "      - setWeight: 25\n      - pause: {}\n      - setWeight: 50\n      - pause: {}\n"
	background := "      analysis:\n        startingStep: 1\n" + analysisRef(e, 8)
	first := firstRevision(e, canary("web:1", steps, background))
	setImage(e, "web:2")
	waitRollout(e, "paused at step 1", func(ro *v1alpha1.Rollout) bool {
		return ro.Status.Phase == v1alpha1.RolloutPhasePaused && ro.Status.CurrentStepIndex != nil && *ro.Status.CurrentStepIndex == 1
	})
	bg := waitRun(e, backgroundRunName(e), "2 successful background measurements", func(r *v1alpha1.AnalysisRun) bool {
		return r.Status.Phase == v1alpha1.AnalysisPhaseRunning && len(r.Status.MetricResults) == 1 && r.Status.MetricResults[0].Successful >= 2
	})
	promote(e)
	waitRollout(e, "paused at step 3", func(ro *v1alpha1.Rollout) bool {
		return ro.Status.Phase == v1alpha1.RolloutPhasePaused && ro.Status.CurrentStepIndex != nil && *ro.Status.CurrentStepIndex == 3
	})
	load.setErrorRatio(e.Namespace, 0.5)
	ro := waitRollout(e, "aborted by the background analysis", func(ro *v1alpha1.Rollout) bool {
		return ro.Status.Abort && ro.Status.Phase == v1alpha1.RolloutPhaseDegraded
	})
	if !strings.Contains(ro.Status.Message, bg.Name) || !strings.Contains(ro.Status.Message, `metric "success-rate" Failed`) {
		t.Errorf("status message %q", ro.Status.Message)
	}
	if ro.Status.CurrentStepIndex == nil || *ro.Status.CurrentStepIndex != 3 || ro.Status.StableRS != first {
		t.Errorf("aborted at step %v with stable %s, want step 3 and the first revision", ro.Status.CurrentStepIndex, ro.Status.StableRS)
	}
	waitPhase(e, bg.Name, v1alpha1.AnalysisPhaseFailed)
}

// backgroundRunName waits for the rollout's background run and returns its name.
func backgroundRunName(e *framework.Env) string {
	e.T.Helper()
	ro := waitRollout(e, "a background run", func(ro *v1alpha1.Rollout) bool {
		return ro.Status.Canary.CurrentBackgroundAnalysisRunStatus != nil && ro.Status.Canary.CurrentBackgroundAnalysisRunStatus.Name != ""
	})
	return ro.Status.Canary.CurrentBackgroundAnalysisRunStatus.Name
}
