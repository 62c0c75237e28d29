package analysis

import (
	"errors"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	clocktesting "k8s.io/utils/clock/testing"

	"github.com/serin-dev/serin/pkg/analysis/provider"
	"github.com/serin-dev/serin/pkg/apis/rollouts/v1alpha1"
)

// machine drives Plan and Assess the way the controller does, with a fake clock and
// a fake provider answering from a script of results per metric.
type machine struct {
	t      *testing.T
	clock  *clocktesting.FakeClock
	run    *v1alpha1.AnalysisRun
	script map[string][]provider.Result // next results per metric name
	calls  []Task
}

func newMachine(t *testing.T, metrics ...v1alpha1.Metric) *machine {
	return &machine{
		t:      t,
		clock:  clocktesting.NewFakeClock(time.Date(2026, 1, 1, 10, 0, 0, 0, time.UTC)),
		run:    &v1alpha1.AnalysisRun{ObjectMeta: metav1.ObjectMeta{Name: "r", Namespace: "ns"}, Spec: v1alpha1.AnalysisRunSpec{Metrics: metrics}},
		script: map[string][]provider.Result{},
	}
}

func (m *machine) answer(metric string, results ...provider.Result) *machine {
	m.script[metric] = append(m.script[metric], results...)
	return m
}

// sync is one controller sync: plan, measure from the script, assess, store.
func (m *machine) sync() Assessment {
	m.t.Helper()
	in := Input{Run: m.run, Metrics: m.run.Spec.Metrics, Now: m.clock.Now()}
	var outs []Outcome
	for _, task := range Plan(in) {
		m.calls = append(m.calls, task)
		name := in.Metrics[task.Metric].Name
		var res provider.Result
		if !task.Terminate {
			if len(m.script[name]) == 0 {
				m.t.Fatalf("unexpected measurement of %s at %s", name, m.clock.Now())
			}
			res, m.script[name] = m.script[name][0], m.script[name][1:]
		}
		outs = append(outs, Outcome{Task: task, Result: res})
	}
	a := Assess(in, outs)
	m.run.Status = a.Status
	return a
}

func value(f float64, text string) provider.Result {
	return provider.Result{Query: "q", Data: []float64{f}, Value: text}
}

func metric(name string, mutate ...func(*v1alpha1.Metric)) v1alpha1.Metric {
	m := v1alpha1.Metric{Name: name, SuccessCondition: "result[0] >= 0.95",
		Provider: v1alpha1.MetricProvider{Prometheus: &v1alpha1.PrometheusMetric{Address: "http://p", Query: "q"}}}
	for _, f := range mutate {
		f(&m)
	}
	return m
}

func every(interval string, count int) func(*v1alpha1.Metric) {
	return func(m *v1alpha1.Metric) {
		m.Interval = v1alpha1.DurationString(interval)
		c := intstr.FromInt32(int32(count))
		m.Count = &c
	}
}

func limit(field string, n int) func(*v1alpha1.Metric) {
	return func(m *v1alpha1.Metric) {
		v := intstr.FromInt32(int32(n))
		switch field {
		case "failure":
			m.FailureLimit = &v
		case "inconclusive":
			m.InconclusiveLimit = &v
		case "error":
			m.ConsecutiveErrorLimit = &v
		}
	}
}

func TestSingleMeasurementSucceeds(t *testing.T) {
	m := newMachine(t, metric("rate")).answer("rate", value(0.99, "[0.99]"))
	a := m.sync()
	if !a.Completed || a.Status.Phase != v1alpha1.AnalysisPhaseSuccessful || a.RequeueAfter != 0 {
		t.Fatalf("assessment %+v", a)
	}
	meas := a.Status.MetricResults[0].Measurements[0]
	if meas.Value != "[0.99]" || meas.Query != "q" || meas.Condition != `successCondition "result[0] >= 0.95" is true` ||
		meas.FinishedAt == nil || !meas.FinishedAt.Time.Equal(m.clock.Now()) {
		t.Errorf("measurement %+v", meas)
	}
	if a.Status.RunSummary != (v1alpha1.RunSummary{Count: 1, Successful: 1}) {
		t.Errorf("summary %+v", a.Status.RunSummary)
	}
	// Nothing more to do: the same status again, no provider call.
	before := len(m.calls)
	if again := m.sync(); len(m.calls) != before || again.Completed {
		t.Errorf("a completed run was measured or completed again")
	}
}

func TestFailedRunMessageNamesMetricValueAndCondition(t *testing.T) {
	m := newMachine(t, metric("success-rate")).answer("success-rate", value(0.42, "[0.42]"))
	a := m.sync()
	if a.Status.Phase != v1alpha1.AnalysisPhaseFailed {
		t.Fatalf("phase %s", a.Status.Phase)
	}
	want := `metric "success-rate" Failed: value [0.42]: successCondition "result[0] >= 0.95" is false (1 failed measurement(s), more than failureLimit 0)`
	if a.Status.Message != want {
		t.Errorf("message\n %s\nwant\n %s", a.Status.Message, want)
	}
}

func TestIntervalCountAndTimers(t *testing.T) {
	m := newMachine(t, metric("rate", every("30s", 3), func(mm *v1alpha1.Metric) { mm.InitialDelay = "10s" }))
	m.answer("rate", value(0.99, "a"), value(0.98, "b"), value(0.97, "c"))

	a := m.sync() // t=0: the initial delay
	if a.Status.Phase != v1alpha1.AnalysisPhaseRunning || a.RequeueAfter != 10*time.Second || len(m.calls) != 0 {
		t.Fatalf("t=0: %+v, calls %d", a, len(m.calls))
	}
	if a.Status.MetricResults[0].Phase != v1alpha1.AnalysisPhasePending {
		t.Errorf("metric phase before its first measurement %s, want Pending", a.Status.MetricResults[0].Phase)
	}
	m.clock.Step(9 * time.Second) // an early sync (a watch event) measures nothing
	if a = m.sync(); len(m.calls) != 0 || a.RequeueAfter != time.Second {
		t.Fatalf("t=9s: calls %d, requeue %s", len(m.calls), a.RequeueAfter)
	}
	for i, at := range []time.Duration{time.Second, 30 * time.Second, 30 * time.Second} {
		m.clock.Step(at)
		a = m.sync()
		if len(m.calls) != i+1 || m.calls[i].Index != int32(i) {
			t.Fatalf("measurement %d: calls %+v", i, m.calls)
		}
	}
	if a.Status.Phase != v1alpha1.AnalysisPhaseSuccessful || a.Status.MetricResults[0].Count != 3 {
		t.Errorf("after 3: %+v", a.Status)
	}
}

func TestFailureLimit(t *testing.T) {
	m := newMachine(t, metric("rate", every("1m", 5), limit("failure", 1)))
	m.answer("rate", value(0.5, "x"), value(0.99, "y"), value(0.4, "z"))
	m.sync()
	if p := m.run.Status.Phase; p != v1alpha1.AnalysisPhaseRunning {
		t.Fatalf("one failure within the limit: %s", p)
	}
	m.clock.Step(time.Minute)
	m.sync()
	m.clock.Step(time.Minute)
	a := m.sync()
	if a.Status.Phase != v1alpha1.AnalysisPhaseFailed || !strings.Contains(a.Status.Message, "2 failed measurement(s), more than failureLimit 1") {
		t.Errorf("after the second failure: %s %q", a.Status.Phase, a.Status.Message)
	}
}

func TestInconclusive(t *testing.T) {
	m := newMachine(t, metric("rate", func(mm *v1alpha1.Metric) { mm.FailureCondition = "result[0] < 0.8" }))
	a := m.answer("rate", value(0.9, "[0.9]")).sync()
	if a.Status.Phase != v1alpha1.AnalysisPhaseInconclusive || !strings.Contains(a.Status.Message, `failureCondition "result[0] < 0.8" is false`) {
		t.Errorf("%s %q", a.Status.Phase, a.Status.Message)
	}
}

func TestConsecutiveErrorsRetryThenError(t *testing.T) {
	boom := provider.Result{Query: "q", Err: errors.New("connection refused")}
	m := newMachine(t, metric("rate", limit("error", 1)))
	m.answer("rate", boom, boom)
	a := m.sync()
	if a.Status.Phase != v1alpha1.AnalysisPhaseRunning || a.RequeueAfter != ErrorRetryInterval {
		t.Fatalf("after one error: %s, requeue %s", a.Status.Phase, a.RequeueAfter)
	}
	if meas := a.Status.MetricResults[0].Measurements[0]; meas.Phase != v1alpha1.AnalysisPhaseError || meas.Message != "connection refused" {
		t.Errorf("measurement %+v", meas)
	}
	m.clock.Step(ErrorRetryInterval)
	a = m.sync()
	if a.Status.Phase != v1alpha1.AnalysisPhaseError || !strings.Contains(a.Status.Message, "connection refused (2 errors in a row, more than consecutiveErrorLimit 1)") {
		t.Errorf("%s %q", a.Status.Phase, a.Status.Message)
	}
}

func TestErrorThenSuccessResetsConsecutiveErrors(t *testing.T) {
	m := newMachine(t, metric("rate"))
	m.answer("rate", provider.Result{Err: errors.New("timeout")}, value(0.99, "ok"))
	m.sync()
	m.clock.Step(ErrorRetryInterval)
	a := m.sync()
	r := a.Status.MetricResults[0]
	if a.Status.Phase != v1alpha1.AnalysisPhaseSuccessful || r.ConsecutiveError != 0 || r.Error != 1 || r.Count != 1 {
		t.Errorf("%s %+v", a.Status.Phase, r)
	}
}

func TestEmptyVectorIsAnErrorNotAPass(t *testing.T) {
	m := newMachine(t, metric("rate", limit("error", 0)))
	a := m.answer("rate", provider.Result{Query: "q", Data: []float64{}, Value: "[]"}).sync()
	if a.Status.Phase != v1alpha1.AnalysisPhaseError || !strings.Contains(a.Status.Message, "index out of range") {
		t.Errorf("%s %q", a.Status.Phase, a.Status.Message)
	}
}

func TestFailureTerminatesOtherMetricsAndTheirJobs(t *testing.T) {
	job := func(mm *v1alpha1.Metric) { mm.SuccessCondition = "" }
	m := newMachine(t, metric("rate"), metric("smoke", job))
	m.answer("rate", value(0.1, "[0.1]"))
	m.answer("smoke", provider.Result{Query: "job ns/r-smoke-0", Phase: v1alpha1.AnalysisPhaseRunning, Metadata: map[string]string{"job-name": "r-smoke-0"}})
	a := m.sync()
	if a.Status.Phase != v1alpha1.AnalysisPhaseRunning || a.RequeueAfter != time.Nanosecond {
		t.Fatalf("with a job still running: %s requeue %s", a.Status.Phase, a.RequeueAfter)
	}
	a = m.sync()
	last := m.calls[len(m.calls)-1]
	if !last.Terminate || last.Running == nil {
		t.Fatalf("the running job was not terminated: %+v", last)
	}
	if a.Status.Phase != v1alpha1.AnalysisPhaseFailed || !a.Completed || !strings.HasPrefix(a.Status.Message, `metric "rate" Failed`) {
		t.Errorf("%s %q", a.Status.Phase, a.Status.Message)
	}
	smoke := a.Status.MetricResults[1]
	if smoke.Phase != v1alpha1.AnalysisPhaseSuccessful || smoke.Measurements[0].Value != "terminated" || smoke.Measurements[0].FinishedAt == nil {
		t.Errorf("smoke %+v", smoke)
	}
}

func TestJobMeasurementResumes(t *testing.T) {
	m := newMachine(t, metric("smoke", func(mm *v1alpha1.Metric) { mm.SuccessCondition = "" }))
	m.answer("smoke",
		provider.Result{Query: "job ns/r-smoke-0", Phase: v1alpha1.AnalysisPhaseRunning},
		provider.Result{Phase: v1alpha1.AnalysisPhaseRunning},
		provider.Result{Phase: v1alpha1.AnalysisPhaseFailed, Value: "Failed: BackoffLimitExceeded"})
	if a := m.sync(); a.RequeueAfter != 0 {
		t.Errorf("a running job needs no timer, got %s", a.RequeueAfter)
	}
	started := m.run.Status.MetricResults[0].Measurements[0].StartedAt
	m.clock.Step(3 * time.Second)
	m.sync()
	m.clock.Step(3 * time.Second)
	a := m.sync()
	r := a.Status.MetricResults[0]
	if a.Status.Phase != v1alpha1.AnalysisPhaseFailed || len(r.Measurements) != 1 || r.Measurements[0].Query != "job ns/r-smoke-0" ||
		!r.Measurements[0].StartedAt.Equal(started) || r.Measurements[0].FinishedAt.Sub(started.Time) != 6*time.Second {
		t.Errorf("%s %+v", a.Status.Phase, r.Measurements)
	}
	if !strings.Contains(a.Status.Message, "value Failed: BackoffLimitExceeded") {
		t.Errorf("message %q", a.Status.Message)
	}
}

func TestTerminateEndsAnEndlessMetricSuccessful(t *testing.T) {
	m := newMachine(t, metric("rate", func(mm *v1alpha1.Metric) { mm.Interval = "10s" }))
	m.answer("rate", value(0.99, "a"), value(0.99, "b"))
	m.sync()
	m.clock.Step(10 * time.Second)
	if a := m.sync(); a.Status.Phase != v1alpha1.AnalysisPhaseRunning || a.RequeueAfter != 10*time.Second {
		t.Fatalf("%+v", a)
	}
	m.run.Spec.Terminate = true
	m.clock.Step(time.Second)
	a := m.sync()
	if a.Status.Phase != v1alpha1.AnalysisPhaseSuccessful || a.Status.Message != "run terminated (spec.terminate)" || len(m.calls) != 2 {
		t.Errorf("%s %q calls %d", a.Status.Phase, a.Status.Message, len(m.calls))
	}
}

func TestTerminateKeepsAFailure(t *testing.T) {
	m := newMachine(t, metric("rate", every("10s", 5), limit("failure", 0)), metric("other", func(mm *v1alpha1.Metric) { mm.Interval = "10s" }))
	m.answer("rate", value(0.1, "bad")).answer("other", value(0.99, "ok"))
	a := m.sync()
	if a.Status.Phase != v1alpha1.AnalysisPhaseFailed {
		t.Errorf("%s", a.Status.Phase)
	}
}

func TestDryRunFailureDoesNotFailTheRun(t *testing.T) {
	m := newMachine(t, metric("rate"), metric("latency"))
	m.run.Spec.DryRun = []v1alpha1.DryRun{{MetricName: "latency"}}
	m.answer("rate", value(0.99, "ok")).answer("latency", value(0.1, "slow"))
	a := m.sync()
	if a.Status.Phase != v1alpha1.AnalysisPhaseSuccessful {
		t.Fatalf("%s %q", a.Status.Phase, a.Status.Message)
	}
	lat := a.Status.MetricResults[1]
	if !lat.DryRun || lat.Phase != v1alpha1.AnalysisPhaseFailed {
		t.Errorf("dry-run metric %+v", lat)
	}
	if a.Status.DryRunSummary == nil || *a.Status.DryRunSummary != (v1alpha1.RunSummary{Count: 1, Failed: 1}) ||
		a.Status.RunSummary != (v1alpha1.RunSummary{Count: 1, Successful: 1}) {
		t.Errorf("summaries %+v %+v", a.Status.RunSummary, a.Status.DryRunSummary)
	}
}

func TestMeasurementRetention(t *testing.T) {
	m := newMachine(t, metric("rate", every("1s", 5)))
	m.run.Spec.MeasurementRetention = []v1alpha1.MeasurementRetention{{MetricName: "*", Limit: 2}}
	for _, v := range []string{"a", "b", "c", "d", "e"} {
		m.answer("rate", value(0.99, v))
	}
	var a Assessment
	for range 5 {
		a = m.sync()
		m.clock.Step(time.Second)
	}
	r := a.Status.MetricResults[0]
	if a.Status.Phase != v1alpha1.AnalysisPhaseSuccessful || len(r.Measurements) != 2 || r.Measurements[0].Value != "d" || r.Measurements[1].Value != "e" || r.Count != 5 {
		t.Errorf("%s %d measurements %+v", a.Status.Phase, len(r.Measurements), r)
	}
}

func TestArgsErrorAndBadSettings(t *testing.T) {
	m := newMachine(t, metric("rate"))
	in := Input{Run: m.run, Metrics: m.run.Spec.Metrics, Now: m.clock.Now(), ArgsError: errors.New(`spec.args[0] (token): secret "s3cr3t" gone`), Secrets: []string{"s3cr3t"}}
	if tasks := Plan(in); len(tasks) != 0 {
		t.Errorf("tasks %+v", tasks)
	}
	a := Assess(in, nil)
	if a.Status.Phase != v1alpha1.AnalysisPhaseError || a.Status.Message != `spec.args[0] (token): secret "*****" gone` {
		t.Errorf("%s %q", a.Status.Phase, a.Status.Message)
	}

	bad := intstr.FromString("many")
	m = newMachine(t, metric("rate", func(mm *v1alpha1.Metric) { mm.Count = &bad; mm.Interval = "1s" }))
	a = m.sync()
	if a.Status.Phase != v1alpha1.AnalysisPhaseError || a.Status.Message != `metric "rate": count "many" is not a whole number` {
		t.Errorf("%s %q", a.Status.Phase, a.Status.Message)
	}
}

func TestSecretsAreMaskedInMeasurements(t *testing.T) {
	m := newMachine(t, metric("rate"))
	in := Input{Run: m.run, Metrics: m.run.Spec.Metrics, Now: m.clock.Now(), Secrets: []string{"tok3n"}}
	a := Assess(in, []Outcome{{Task: Task{Metric: 0}, Result: provider.Result{Query: "GET http://x/?key=tok3n", Err: errors.New("GET http://x/?key=tok3n: refused")}}})
	meas := a.Status.MetricResults[0].Measurements[0]
	if strings.Contains(meas.Query+meas.Message, "tok3n") {
		t.Errorf("secret in %+v", meas)
	}
}
