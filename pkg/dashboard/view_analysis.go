package dashboard

import (
	"cmp"
	"slices"

	"github.com/serin-dev/serin/pkg/rolloutview"
)

// AnalysisView is one AnalysisRun: its verdict and each metric's measurements. Queries,
// provider addresses, headers and argument values are left out on purpose (the model has
// none of them): they may carry credentials.
type AnalysisView struct {
	Name    string       `json:"name"`
	Type    string       `json:"type,omitempty"` // the rollout-type label: PrePromotion, PostPromotion, ...
	Phase   string       `json:"phase"`
	Message string       `json:"message,omitempty"`
	Started string       `json:"started,omitempty"`
	Metrics []MetricView `json:"metrics"`
}

// MetricView is one metric of a run.
type MetricView struct {
	Name             string            `json:"name"`
	Phase            string            `json:"phase"`
	Provider         string            `json:"provider"` // prometheus, web, job
	SuccessCondition string            `json:"successCondition,omitempty"`
	FailureCondition string            `json:"failureCondition,omitempty"`
	Measurements     []MeasurementView `json:"measurements"`
}

// MeasurementView is one measurement: when, the value, the verdict.
type MeasurementView struct {
	Time  string `json:"time"`
	Value string `json:"value"`
	Phase string `json:"phase"`
}

// analysisViews are every run of the rollout, of any revision, newest first.
func analysisViews(m rolloutview.View) []AnalysisView {
	runs := slices.Clone(m.AnalysisRuns)
	for _, r := range m.Revisions {
		runs = append(runs, r.AnalysisRuns...)
	}
	slices.SortFunc(runs, func(a, b rolloutview.AnalysisRun) int {
		return cmp.Or(b.Created.Compare(a.Created), cmp.Compare(a.Name, b.Name))
	})
	out := []AnalysisView{}
	for _, run := range runs {
		v := AnalysisView{Name: run.Name, Type: run.Type, Phase: run.Phase, Message: run.Message, Metrics: []MetricView{}}
		if run.Started != nil {
			v.Started = timeText(*run.Started)
		}
		for _, met := range run.Metrics {
			if met.Provider == "" {
				continue // a result of a metric the run's spec does not have: nothing to chart it against
			}
			mv := MetricView{Name: met.Name, Phase: met.Phase, Provider: met.Provider, SuccessCondition: met.SuccessCondition,
				FailureCondition: met.FailureCondition, Measurements: []MeasurementView{}}
			for _, ms := range met.Measurements {
				t := ""
				if ms.Time != nil {
					t = timeText(*ms.Time)
				}
				mv.Measurements = append(mv.Measurements, MeasurementView{Time: t, Value: ms.Value, Phase: ms.Phase})
			}
			v.Metrics = append(v.Metrics, mv)
		}
		out = append(out, v)
	}
	return out
}
