// Package provider is the small interface every analysis metric provider implements
// (prometheus, web, job), the Registry the AnalysisRun controller picks them from, and
// what is known of each provider kind without running it (Spec: its name, how a metric
// selects it, the validation of its fields, a one-line description). It is light on
// purpose: pkg/validation, pkg/plan and the views read the specs here, while the
// implementations, with their clients, are built only by pkg/analysis/registry.
//
// A provider only measures: it returns the raw result and what it ran. Deciding whether
// the result passes (successCondition / failureCondition), counting failures and phases
// is the AnalysisRun controller's pure state machine (pkg/analysis), never the provider's.
package provider

import (
	"context"
	"fmt"
	"time"

	"github.com/serin-dev/serin/pkg/apis/rollouts/v1alpha1"
)

// Request is one measurement to take or to check.
type Request struct {
	// Run is the AnalysisRun the measurement belongs to (read only).
	Run *v1alpha1.AnalysisRun
	// Metric is the metric with every {{args.NAME}} already replaced by its value.
	Metric *v1alpha1.Metric
	// Running is the measurement being resumed when an earlier call returned Running
	// (a Job still going); nil for a new measurement.
	Running *v1alpha1.Measurement
	// Index is the number of this measurement within its metric (0 for the first); a
	// provider that creates objects uses it for stable names.
	Index int32
	// Now is the time of the measurement.
	Now time.Time
}

// Result is what a provider saw.
type Result struct {
	// Query is the resolved query or URL (or Job name) the measurement ran.
	Query string
	// Value is the raw value as recorded in the measurement, e.g. "[0.99]".
	Value string
	// Data is the value the conditions see as `result`: []float64 for a Prometheus
	// vector, float64 for a scalar, any JSON value for web.
	Data any
	// Phase is empty when the conditions decide. A provider that decides by itself sets
	// it (the job provider: Successful or Failed), or sets Running when the measurement
	// is still going and must be resumed later.
	Phase v1alpha1.AnalysisPhase
	// Metadata is provider detail kept with the measurement (e.g. the Job's name).
	Metadata map[string]string
	// Err is set when the provider could not measure; the measurement is Error with
	// Err's text.
	Err error
}

// Provider takes measurements of one kind.
type Provider interface {
	// Measure takes a new measurement, or checks req.Running when it is set.
	Measure(ctx context.Context, req Request) Result
	// Terminate stops a measurement still Running (e.g. deletes its Job). Providers
	// whose measurements are instant do nothing.
	Terminate(ctx context.Context, req Request) error
}

// Type names a provider: the field of metrics[].provider that selects it.
type Type string

// The provider types (see Specs).
const (
	Prometheus Type = "prometheus"
	Web        Type = "web"
	Job        Type = "job"
)

// Registry maps a provider type to its implementation.
type Registry map[Type]Provider

// For returns the provider of metric m.
func (r Registry) For(m *v1alpha1.Metric) (Provider, error) {
	s, err := SpecOf(m)
	if err != nil {
		return nil, err
	}
	p, ok := r[s.Type]
	if !ok {
		return nil, fmt.Errorf("metric %q: provider %q is not available in this controller", m.Name, s.Type)
	}
	return p, nil
}
