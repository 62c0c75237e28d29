//go:build e2e

package analysis

import (
	"fmt"
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/serin-dev/serin/pkg/apis/rollouts/v1alpha1"
	"github.com/serin-dev/serin/test/e2e/framework"
)

// successRate is an AnalysisTemplate measuring the canary success ratio of the app named
// by args.app on the package's Prometheus: count measurements 2s apart.
// A count of 0 measures until the run is terminated.
func successRate(count int, failureCondition string, extraMetric string) string {
	failure := ""
	if failureCondition != "" {
		failure = "\n    failureCondition: " + failureCondition
	}
	countLine := fmt.Sprintf("\n    count: %d", count)
	if count == 0 {
		countLine = ""
	}
	return fmt.Sprintf(`apiVersion: serin.dev/v1alpha1
kind: AnalysisTemplate
metadata:
  name: success-rate
spec:
  args:
  - name: app
  - name: prometheus
  - name: threshold
    value: "0.95"
  metrics:
  - name: success-rate
    interval: 2s%s
    successCondition: result[0] >= {{args.threshold}}%s
    provider:
      prometheus:
        address: "{{args.prometheus}}"
        query: sum(rate(serin_e2e_requests_total{app="{{args.app}}",code!~"5.."}[5s])) / sum(rate(serin_e2e_requests_total{app="{{args.app}}"}[5s]))
%s`, countLine, failure, extraMetric)
}

// A canary with a low error rate: every measurement passes and the run is Successful;
// each measurement records the resolved query, the value and the condition.
func TestPrometheusLowErrorRateSucceeds(t *testing.T) {
	t.Parallel()
	e := framework.NewEnv(t)
	serveApp(e, false, 0.01, 0)
	e.Given().Apply(successRate(2, "", ""))
	runFromTemplates(e, "low-errors", []string{"success-rate"}, args("app", e.Namespace, "prometheus", prom.URL))
	run := waitPhase(e, "low-errors", v1alpha1.AnalysisPhaseSuccessful)

	r := metricResult(t, run, "success-rate")
	if r.Count != 2 || r.Successful != 2 || len(r.Measurements) != 2 {
		t.Fatalf("metric result %+v", r)
	}
	m := r.Measurements[1]
	wantQuery := fmt.Sprintf(`app="%s",code!~"5.."`, e.Namespace)
	if !strings.Contains(m.Query, wantQuery) || !near(t, m.Value, 0.99) ||
		m.Condition != `successCondition "result[0] >= 0.95" is true` || m.FinishedAt == nil {
		t.Errorf("measurement %+v", m)
	}
	gap := m.StartedAt.Sub(r.Measurements[0].FinishedAt.Time)
	if gap < 1e9 { // 2s interval; metav1.Time keeps whole seconds
		t.Errorf("second measurement %s after the first, want about the 2s interval", gap)
	}
	waitEvent(e, "low-errors", "AnalysisRunSuccessful")
}

// A canary with a high error rate fails; the status message and the Event name the
// metric, its value and the condition.
func TestPrometheusHighErrorRateFails(t *testing.T) {
	t.Parallel()
	e := framework.NewEnv(t)
	serveApp(e, false, 0.3, 0)
	e.Given().Apply(successRate(3, "", ""))
	runFromTemplates(e, "high-errors", []string{"success-rate"}, args("app", e.Namespace, "prometheus", prom.URL))
	run := waitPhase(e, "high-errors", v1alpha1.AnalysisPhaseFailed)

	m := metricResult(t, run, "success-rate").Measurements[0]
	if !near(t, m.Value, 0.7) {
		t.Errorf("value %s, want [0.7]", m.Value)
	}
	for _, want := range []string{`metric "success-rate" Failed`, "value " + m.Value, `successCondition "result[0] >= 0.95" is false`, "more than failureLimit 0"} {
		if !strings.Contains(run.Status.Message, want) {
			t.Errorf("message %q lacks %q", run.Status.Message, want)
		}
	}
	if r := metricResult(t, run, "success-rate"); r.Failed != 1 || r.Count != 1 {
		t.Errorf("the first failure ends the run (failureLimit 0): %+v", r)
	}
	ev := waitEvent(e, "high-errors", "AnalysisRunFailed")
	if ev.Type != "Warning" || ev.Message != run.Status.Message {
		t.Errorf("event %s %q, want Warning with the status message", ev.Type, ev.Message)
	}
}

// Neither condition holds: Inconclusive.
func TestPrometheusInconclusive(t *testing.T) {
	t.Parallel()
	e := framework.NewEnv(t)
	serveApp(e, false, 0.2, 0)
	e.Given().Apply(successRate(1, "result[0] < 0.5", ""))
	runFromTemplates(e, "unsure", []string{"success-rate"}, args("app", e.Namespace, "prometheus", prom.URL))
	run := waitPhase(e, "unsure", v1alpha1.AnalysisPhaseInconclusive)
	m := metricResult(t, run, "success-rate").Measurements[0]
	if !near(t, m.Value, 0.8) || !strings.Contains(run.Status.Message, `failureCondition "result[0] < 0.5" is false`) ||
		!strings.Contains(run.Status.Message, "value "+m.Value) {
		t.Errorf("message %q", run.Status.Message)
	}
	waitEvent(e, "unsure", "AnalysisRunInconclusive")
}

// A metric that measures until the run is terminated: terminate ends it Successful.
func TestTerminate(t *testing.T) {
	t.Parallel()
	e := framework.NewEnv(t)
	serveApp(e, false, 0.01, 0)
	e.Given().Apply(successRate(2, "", ""))
	runFromTemplates(e, "endless", []string{"success-rate"}, args("app", e.Namespace, "prometheus", prom.URL),
		func(r *v1alpha1.AnalysisRun) { r.Spec.Metrics[0].Count = nil }) // interval only: until terminated
	waitRun(e, "endless", "3 measurements taken", func(r *v1alpha1.AnalysisRun) bool {
		return len(r.Status.MetricResults) == 1 && r.Status.MetricResults[0].Count >= 3
	})
	if _, err := serin(t).SerinV1alpha1().AnalysisRuns(e.Namespace).Patch(t.Context(), "endless", types.MergePatchType,
		[]byte(`{"spec":{"terminate":true}}`), metav1.PatchOptions{}); err != nil {
		t.Fatal(err)
	}
	run := waitPhase(e, "endless", v1alpha1.AnalysisPhaseSuccessful)
	if run.Status.Message != "run terminated (spec.terminate)" || run.Status.MetricResults[0].Failed != 0 {
		t.Errorf("status %+v", run.Status)
	}
}

// A dry-run metric fails without failing the run; the dry-run summary counts it.
func TestDryRunMetric(t *testing.T) {
	t.Parallel()
	e := framework.NewEnv(t)
	serveApp(e, false, 0.01, 0)
	strict := `  - name: strict
    successCondition: result[0] >= 0.999
    provider:
      prometheus:
        address: "{{args.prometheus}}"
        query: sum(rate(serin_e2e_requests_total{app="{{args.app}}",code!~"5.."}[5s])) / sum(rate(serin_e2e_requests_total{app="{{args.app}}"}[5s]))
  dryRun:
  - metricName: strict
`
	e.Given().Apply(successRate(1, "", strict))
	runFromTemplates(e, "dry", []string{"success-rate"}, args("app", e.Namespace, "prometheus", prom.URL))
	run := waitPhase(e, "dry", v1alpha1.AnalysisPhaseSuccessful)
	s := metricResult(t, run, "strict")
	if !s.DryRun || s.Phase != v1alpha1.AnalysisPhaseFailed {
		t.Errorf("dry-run metric %+v", s)
	}
	if d := run.Status.DryRunSummary; d == nil || d.Failed != 1 || run.Status.RunSummary.Successful != 1 || run.Status.RunSummary.Failed != 0 {
		t.Errorf("summaries %+v %+v", run.Status.RunSummary, d)
	}
}
