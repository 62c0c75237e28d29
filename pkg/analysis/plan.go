package analysis

import (
	"time"

	"github.com/serin-dev/serin/pkg/analysis/provider"
	"github.com/serin-dev/serin/pkg/apis/rollouts/v1alpha1"
)

// Input is everything one sync of a run decides from.
type Input struct {
	// Run is the run as stored (spec and status).
	Run *v1alpha1.AnalysisRun
	// Metrics are spec.metrics with every {{args.NAME}} substituted, in the same order.
	Metrics []v1alpha1.Metric
	// Secrets are argument values read from Secrets: masked in everything recorded.
	Secrets []string
	// ArgsError is why the arguments could not be resolved; the run is then Error.
	ArgsError error
	// Now is the time of the sync.
	Now time.Time
}

// Task is one provider call a sync makes.
type Task struct {
	// Metric is the index of the metric in Input.Metrics.
	Metric int
	// Index is the measurement's number within its metric (0 for the first).
	Index int32
	// Running is the measurement still going (a Job) that this task checks or
	// terminates; nil for a new measurement.
	Running *v1alpha1.Measurement
	// Terminate stops Running instead of checking it.
	Terminate bool
}

// Outcome is a task and what its provider returned.
type Outcome struct {
	Task
	Result provider.Result
}

// Plan lists the provider calls due at in.Now: a new measurement for every metric whose
// next measurement is due, a check of every measurement still running, or — when the run
// is terminating (spec.terminate, or a metric that is not dry-run failed, errored or is
// inconclusive) — the termination of every measurement still running and no new one.
// A completed run, or one whose arguments did not resolve, needs nothing.
func Plan(in Input) []Task {
	st := &in.Run.Status
	if st.Phase.Completed() || in.ArgsError != nil {
		return nil
	}
	terminating := isTerminating(in.Run)
	start := in.Now
	if st.StartedAt != nil {
		start = st.StartedAt.Time
	}
	var tasks []Task
	for i := range in.Metrics {
		m := &in.Metrics[i]
		r := resultOf(st, m.Name)
		if r != nil && r.Phase.Completed() {
			continue
		}
		last := lastMeasurement(r)
		if last != nil && last.Phase == v1alpha1.AnalysisPhaseRunning {
			tasks = append(tasks, Task{Metric: i, Index: taken(r), Running: last, Terminate: terminating})
			continue
		}
		if terminating {
			continue
		}
		s, err := settingsOf(in.Run, m)
		if err != nil {
			continue // Assess makes the metric Error
		}
		if due, ok := nextDue(s, r, start); ok && !due.After(in.Now) {
			tasks = append(tasks, Task{Metric: i, Index: taken(r)})
		}
	}
	return tasks
}

// nextDue is when a metric's next measurement is due; false when none is (its count is
// reached, or it has no interval and measured once).
func nextDue(s settings, r *v1alpha1.MetricResult, start time.Time) (time.Time, bool) {
	last := lastMeasurement(r)
	if last == nil {
		return start.Add(s.initialDelay), true
	}
	if last.Phase == v1alpha1.AnalysisPhaseRunning || last.FinishedAt == nil {
		return time.Time{}, false
	}
	if last.Phase == v1alpha1.AnalysisPhaseError {
		retry := ErrorRetryInterval
		if s.interval > 0 && s.interval < retry {
			retry = s.interval
		}
		return last.FinishedAt.Add(retry), true
	}
	if s.count > 0 && int(r.Count) >= s.count {
		return time.Time{}, false
	}
	if s.interval == 0 {
		return time.Time{}, false
	}
	return last.FinishedAt.Add(s.interval), true
}

// isTerminating: spec.terminate, or a metric that counts (not dry-run) ended other than
// Successful — the run's verdict is known, the other metrics stop.
func isTerminating(run *v1alpha1.AnalysisRun) bool {
	if run.Spec.Terminate {
		return true
	}
	for _, r := range run.Status.MetricResults {
		if r.DryRun {
			continue
		}
		switch r.Phase {
		case v1alpha1.AnalysisPhaseFailed, v1alpha1.AnalysisPhaseError, v1alpha1.AnalysisPhaseInconclusive:
			return true
		}
	}
	return false
}

func resultOf(st *v1alpha1.AnalysisRunStatus, name string) *v1alpha1.MetricResult {
	for i := range st.MetricResults {
		if st.MetricResults[i].Name == name {
			return &st.MetricResults[i]
		}
	}
	return nil
}

func lastMeasurement(r *v1alpha1.MetricResult) *v1alpha1.Measurement {
	if r == nil || len(r.Measurements) == 0 {
		return nil
	}
	return &r.Measurements[len(r.Measurements)-1]
}

// taken is how many measurements a metric finished (retention may have dropped some).
func taken(r *v1alpha1.MetricResult) int32 {
	if r == nil {
		return 0
	}
	return r.Count + r.Error
}
