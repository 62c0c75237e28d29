package analysis

import (
	"fmt"
	"time"

	"github.com/serin-dev/serin/pkg/apis/rollouts/v1alpha1"
)

// Defaults of a metric's settings (Argo Rollouts' values).
const (
	// DefaultConsecutiveErrorLimit is how many provider errors in a row a metric tolerates.
	DefaultConsecutiveErrorLimit = 4
	// DefaultMeasurementRetention is how many measurements of a metric status keeps.
	DefaultMeasurementRetention = 10
	// ErrorRetryInterval is the wait after a measurement that errored before the next
	// attempt (the metric's interval when that is shorter).
	ErrorRetryInterval = 10 * time.Second
)

// settings are a metric's timing and limits, parsed once its arguments are substituted.
type settings struct {
	interval, initialDelay time.Duration
	// count is how many measurements the metric takes; 0 means until the run ends.
	count int
	// failureLimit < 0 means no limit.
	failureLimit, inconclusiveLimit, consecutiveErrorLimit int
	dryRun                                                 bool
	retention                                              int
}

// settingsOf parses m's settings within run (for its dryRun and measurementRetention).
func settingsOf(run *v1alpha1.AnalysisRun, m *v1alpha1.Metric) (settings, error) {
	var s settings
	var err error
	if s.interval, err = duration("interval", m.Interval); err != nil {
		return s, err
	}
	if s.initialDelay, err = duration("initialDelay", m.InitialDelay); err != nil {
		return s, err
	}
	defCount := 0
	if m.Interval == "" {
		defCount = 1
	}
	if s.count, err = intValue("count", m.Count, defCount); err != nil {
		return s, err
	}
	if s.count > 1 && s.interval == 0 {
		return s, fmt.Errorf("count %d needs an interval", s.count)
	}
	if s.failureLimit, err = intValue("failureLimit", m.FailureLimit, 0); err != nil {
		return s, err
	}
	if s.inconclusiveLimit, err = intValue("inconclusiveLimit", m.InconclusiveLimit, 0); err != nil {
		return s, err
	}
	if s.consecutiveErrorLimit, err = intValue("consecutiveErrorLimit", m.ConsecutiveErrorLimit, DefaultConsecutiveErrorLimit); err != nil {
		return s, err
	}
	s.dryRun = isDryRun(run, m.Name)
	s.retention = DefaultMeasurementRetention
	for _, r := range run.Spec.MeasurementRetention {
		if (r.MetricName == m.Name || r.MetricName == "*") && r.Limit > 0 {
			s.retention = int(r.Limit)
			if r.MetricName == m.Name {
				break
			}
		}
	}
	return s, nil
}

func isDryRun(run *v1alpha1.AnalysisRun, metric string) bool {
	for _, d := range run.Spec.DryRun {
		if d.MetricName == metric || d.MetricName == "*" {
			return true
		}
	}
	return false
}

func duration(field string, d v1alpha1.DurationString) (time.Duration, error) {
	if d == "" {
		return 0, nil
	}
	v, err := time.ParseDuration(string(d))
	if err != nil || v < 0 {
		return 0, fmt.Errorf("%s %q is not a duration such as 30s or 5m", field, d)
	}
	return v, nil
}
