package analysis

import (
	"fmt"
	"strings"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/serin-dev/serin/pkg/apis/rollouts/v1alpha1"
)

// Assessment is the run's new status and when to look at it again.
type Assessment struct {
	Status v1alpha1.AnalysisRunStatus
	// RequeueAfter is when the next measurement is due; 0 when nothing is timed (the run
	// completed, or it waits for a Job's watch event).
	RequeueAfter time.Duration
	// Completed is true when the run reached its final phase in this assessment.
	Completed bool
}

// Assess records the outcomes as measurements and decides each metric's phase and the
// run's phase and message. It is pure: the same input gives the same status, and an input
// with no outcome and nothing changed gives back the stored status.
//
// A metric is Failed once its failed measurements exceed failureLimit, Inconclusive once
// its inconclusive ones exceed inconclusiveLimit, Error once its errors in a row exceed
// consecutiveErrorLimit, Successful once it took count measurements (1 without count and
// interval) or when the run terminates; else Running. The run is Running until every
// metric has its final phase, then the worst phase of the metrics that are not dry-run
// (Failed, then Error, then Inconclusive, then Successful). Its message names the metric,
// the value and the condition that decided it.
func Assess(in Input, outcomes []Outcome) Assessment {
	st := *in.Run.Status.DeepCopy()
	now := metav1.NewTime(in.Now)
	if st.Phase.Completed() {
		return Assessment{Status: st}
	}
	if st.Phase == "" || st.Phase == v1alpha1.AnalysisPhasePending {
		st.Phase = v1alpha1.AnalysisPhaseRunning
	}
	if st.StartedAt == nil {
		st.StartedAt = &now
	}
	if in.ArgsError != nil {
		return complete(st, v1alpha1.AnalysisPhaseError, Mask(in.ArgsError.Error(), in.Secrets), now)
	}

	results, sets, setErrs := metricResults(in, &st)
	for _, o := range outcomes {
		recordOutcome(&results[o.Metric], &in.Metrics[o.Metric], o, in.Secrets, now)
	}
	for i := range results {
		r := &results[i]
		if r.Phase.Completed() {
			continue
		}
		if setErrs[i] != nil {
			r.Phase, r.Message = v1alpha1.AnalysisPhaseError, fmt.Sprintf("metric %q: %v", r.Name, setErrs[i])
			continue
		}
		r.Phase, r.Message = metricPhase(sets[i], r, &in.Metrics[i])
	}
	st.MetricResults = results
	terminating := isTerminating(&v1alpha1.AnalysisRun{Spec: in.Run.Spec, Status: st})
	if terminating {
		for i := range results {
			r := &results[i]
			if !r.Phase.Completed() && !running(r) {
				r.Phase = v1alpha1.AnalysisPhaseSuccessful
				r.Message = terminatedMessage(in.Run)
			}
		}
	}
	for i := range results {
		trim(&results[i], sets[i].retention)
	}
	st.RunSummary, st.DryRunSummary = summaries(results)

	a := Assessment{Status: st}
	if phase, msg, done := runPhase(in.Run, results); done {
		a = complete(st, phase, msg, now)
		return a
	}
	a.RequeueAfter = nextRequeue(in, results, sets, setErrs, terminating)
	return a
}

// metricResults is one result per metric, in the spec's order (the stored one, or a new
// Pending one), with each metric's settings and the error of settings that do not parse.
func metricResults(in Input, st *v1alpha1.AnalysisRunStatus) ([]v1alpha1.MetricResult, []settings, []error) {
	results := make([]v1alpha1.MetricResult, len(in.Metrics))
	sets := make([]settings, len(in.Metrics))
	setErrs := make([]error, len(in.Metrics))
	for i := range in.Metrics {
		m := &in.Metrics[i]
		if r := resultOf(st, m.Name); r != nil {
			results[i] = *r
		} else {
			results[i] = v1alpha1.MetricResult{Name: m.Name, Phase: v1alpha1.AnalysisPhasePending}
		}
		sets[i], setErrs[i] = settingsOf(in.Run, m)
		results[i].DryRun = sets[i].dryRun
	}
	return results, sets, setErrs
}

// recordOutcome turns one provider outcome into a measurement of r and counts it.
func recordOutcome(r *v1alpha1.MetricResult, m *v1alpha1.Metric, o Outcome, secrets []string, now metav1.Time) {
	res := o.Result
	meas := v1alpha1.Measurement{
		StartedAt: &now,
		Query:     Mask(res.Query, secrets),
		Value:     Mask(res.Value, secrets),
		Metadata:  res.Metadata,
	}
	if o.Running != nil {
		meas.StartedAt = o.Running.StartedAt
		if meas.Query == "" {
			meas.Query = o.Running.Query
		}
		if meas.Metadata == nil {
			meas.Metadata = o.Running.Metadata
		}
	}
	switch {
	case o.Terminate:
		meas.Phase, meas.Value = v1alpha1.AnalysisPhaseSuccessful, "terminated"
		meas.Message = "the measurement was terminated before it finished"
		if res.Err != nil {
			meas.Message += ": " + Mask(res.Err.Error(), secrets)
		}
	case res.Err != nil:
		meas.Phase, meas.Message = v1alpha1.AnalysisPhaseError, Mask(res.Err.Error(), secrets)
	case res.Phase == v1alpha1.AnalysisPhaseRunning:
		meas.Phase = v1alpha1.AnalysisPhaseRunning
	case res.Phase != "":
		meas.Phase, meas.Condition = res.Phase, "the job's completion decides (Complete: Successful, Failed: Failed)"
	default:
		phase, cond, err := Evaluate(res.Data, m.SuccessCondition, m.FailureCondition)
		meas.Phase, meas.Condition = phase, cond
		if err != nil {
			meas.Message = Mask(err.Error(), secrets)
		}
	}
	if meas.Phase != v1alpha1.AnalysisPhaseRunning {
		meas.FinishedAt = &now
		count(r, meas.Phase)
	}
	if o.Running != nil && len(r.Measurements) > 0 && r.Measurements[len(r.Measurements)-1].Phase == v1alpha1.AnalysisPhaseRunning {
		r.Measurements[len(r.Measurements)-1] = meas
	} else {
		r.Measurements = append(r.Measurements, meas)
	}
	if r.Phase == v1alpha1.AnalysisPhasePending {
		r.Phase = v1alpha1.AnalysisPhaseRunning
	}
}

func count(r *v1alpha1.MetricResult, phase v1alpha1.AnalysisPhase) {
	if phase == v1alpha1.AnalysisPhaseError {
		r.Error++
		r.ConsecutiveError++
		return
	}
	r.Count++
	r.ConsecutiveError = 0
	switch phase {
	case v1alpha1.AnalysisPhaseSuccessful:
		r.Successful++
	case v1alpha1.AnalysisPhaseFailed:
		r.Failed++
	case v1alpha1.AnalysisPhaseInconclusive:
		r.Inconclusive++
	}
}

// metricPhase decides a metric from its counters (see Assess) and explains a verdict that
// is not Successful.
func metricPhase(s settings, r *v1alpha1.MetricResult, m *v1alpha1.Metric) (v1alpha1.AnalysisPhase, string) {
	switch {
	case s.failureLimit >= 0 && int(r.Failed) > s.failureLimit:
		return v1alpha1.AnalysisPhaseFailed, explain(r, m, v1alpha1.AnalysisPhaseFailed,
			fmt.Sprintf("%d failed measurement(s), more than failureLimit %d", r.Failed, s.failureLimit))
	case int(r.Inconclusive) > s.inconclusiveLimit:
		return v1alpha1.AnalysisPhaseInconclusive, explain(r, m, v1alpha1.AnalysisPhaseInconclusive,
			fmt.Sprintf("%d inconclusive measurement(s), more than inconclusiveLimit %d", r.Inconclusive, s.inconclusiveLimit))
	case int(r.ConsecutiveError) > s.consecutiveErrorLimit:
		return v1alpha1.AnalysisPhaseError, explain(r, m, v1alpha1.AnalysisPhaseError,
			fmt.Sprintf("%d errors in a row, more than consecutiveErrorLimit %d", r.ConsecutiveError, s.consecutiveErrorLimit))
	case running(r):
		return v1alpha1.AnalysisPhaseRunning, ""
	case s.count > 0 && int(r.Count) >= s.count:
		return v1alpha1.AnalysisPhaseSuccessful, ""
	case len(r.Measurements) == 0 && r.Phase == v1alpha1.AnalysisPhasePending:
		return v1alpha1.AnalysisPhasePending, ""
	}
	return v1alpha1.AnalysisPhaseRunning, ""
}

// explain names the metric, the value of its last measurement in phase, and the condition
// it met, e.g. `metric "error-rate" Failed: value [0.31]: successCondition "result[0] <=
// 0.05" is false (1 failed measurement(s), more than failureLimit 0)`.
func explain(r *v1alpha1.MetricResult, m *v1alpha1.Metric, phase v1alpha1.AnalysisPhase, why string) string {
	var last *v1alpha1.Measurement
	for i := len(r.Measurements) - 1; i >= 0; i-- {
		if r.Measurements[i].Phase == phase {
			last = &r.Measurements[i]
			break
		}
	}
	var b strings.Builder
	fmt.Fprintf(&b, "metric %q %s", r.Name, phase)
	if last != nil {
		if last.Value != "" {
			fmt.Fprintf(&b, ": value %s", last.Value)
		}
		if last.Condition != "" {
			fmt.Fprintf(&b, ": %s", last.Condition)
		}
		if last.Message != "" {
			fmt.Fprintf(&b, ": %s", last.Message)
		}
	}
	fmt.Fprintf(&b, " (%s)", why)
	return b.String()
}

func running(r *v1alpha1.MetricResult) bool {
	last := lastMeasurement(r)
	return last != nil && last.Phase == v1alpha1.AnalysisPhaseRunning
}

func terminatedMessage(run *v1alpha1.AnalysisRun) string {
	if run.Spec.Terminate {
		return "terminated: spec.terminate is set"
	}
	return "terminated: another metric decided the run"
}

// trim keeps the last limit measurements.
func trim(r *v1alpha1.MetricResult, limit int) {
	if limit > 0 && len(r.Measurements) > limit {
		r.Measurements = append([]v1alpha1.Measurement(nil), r.Measurements[len(r.Measurements)-limit:]...)
	}
}

func summaries(results []v1alpha1.MetricResult) (v1alpha1.RunSummary, *v1alpha1.RunSummary) {
	var run, dry v1alpha1.RunSummary
	anyDry := false
	for _, r := range results {
		s := &run
		if r.DryRun {
			s, anyDry = &dry, true
		}
		s.Count++
		switch r.Phase {
		case v1alpha1.AnalysisPhaseSuccessful:
			s.Successful++
		case v1alpha1.AnalysisPhaseFailed:
			s.Failed++
		case v1alpha1.AnalysisPhaseInconclusive:
			s.Inconclusive++
		case v1alpha1.AnalysisPhaseError:
			s.Error++
		}
	}
	if !anyDry {
		return run, nil
	}
	return run, &dry
}

// severity orders the final phases: the run takes its worst metric's.
var severity = map[v1alpha1.AnalysisPhase]int{
	v1alpha1.AnalysisPhaseSuccessful:   1,
	v1alpha1.AnalysisPhaseInconclusive: 2,
	v1alpha1.AnalysisPhaseError:        3,
	v1alpha1.AnalysisPhaseFailed:       4,
}

// runPhase is the run's final phase and message once every metric has its final phase.
func runPhase(run *v1alpha1.AnalysisRun, results []v1alpha1.MetricResult) (v1alpha1.AnalysisPhase, string, bool) {
	worst := v1alpha1.AnalysisPhaseSuccessful
	var msgs []string
	for _, r := range results {
		if !r.Phase.Completed() {
			return "", "", false
		}
		if r.DryRun {
			continue
		}
		if severity[r.Phase] > severity[worst] {
			worst, msgs = r.Phase, nil
		}
		if r.Phase == worst && r.Message != "" && worst != v1alpha1.AnalysisPhaseSuccessful {
			msgs = append(msgs, r.Message)
		}
	}
	msg := strings.Join(msgs, "; ")
	if worst == v1alpha1.AnalysisPhaseSuccessful && run.Spec.Terminate {
		msg = "run terminated (spec.terminate)"
	}
	return worst, msg, true
}

func complete(st v1alpha1.AnalysisRunStatus, phase v1alpha1.AnalysisPhase, msg string, now metav1.Time) Assessment {
	st.Phase, st.Message = phase, msg
	if st.CompletedAt == nil {
		st.CompletedAt = &now
	}
	return Assessment{Status: st, Completed: true}
}

// nextRequeue is the time until the earliest next measurement; 0 when none is timed. A
// terminating run with measurements still running asks for a sync at once (to terminate
// them) — the smallest positive duration.
func nextRequeue(in Input, results []v1alpha1.MetricResult, sets []settings, setErrs []error, terminating bool) time.Duration {
	start := in.Now
	if in.Run.Status.StartedAt != nil {
		start = in.Run.Status.StartedAt.Time
	}
	var next time.Duration
	for i := range results {
		r := &results[i]
		if r.Phase.Completed() || setErrs[i] != nil {
			continue
		}
		if running(r) {
			if terminating {
				return time.Nanosecond
			}
			continue // the Job's watch event brings the next sync
		}
		due, ok := nextDue(sets[i], r, start)
		if !ok {
			continue
		}
		d := due.Sub(in.Now)
		if d <= 0 {
			d = time.Nanosecond
		}
		if next == 0 || d < next {
			next = d
		}
	}
	return next
}
