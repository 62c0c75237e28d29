package dashboard

import (
	"cmp"
	"slices"
	"time"

	"github.com/serin-dev/serin/pkg/analysis/provider"
	"github.com/serin-dev/serin/pkg/apis/rollouts/v1alpha1"
)

// AnalysisView is one AnalysisRun: its verdict and each metric's measurements. Queries,
// provider addresses, headers and argument values are left out on purpose: they may
// carry credentials.
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

// analysisViews renders runs newest first.
func analysisViews(runs []*v1alpha1.AnalysisRun) []AnalysisView {
	sorted := slices.Clone(runs)
	slices.SortFunc(sorted, func(a, b *v1alpha1.AnalysisRun) int {
		return cmp.Or(b.CreationTimestamp.Compare(a.CreationTimestamp.Time), cmp.Compare(a.Name, b.Name))
	})
	out := []AnalysisView{}
	for _, run := range sorted {
		v := AnalysisView{Name: run.Name, Type: runType(run.Labels), Phase: string(run.Status.Phase), Message: run.Status.Message,
			Metrics: []MetricView{}}
		if v.Phase == "" {
			v.Phase = string(v1alpha1.AnalysisPhasePending)
		}
		if run.Status.StartedAt != nil {
			v.Started = run.Status.StartedAt.UTC().Format(time.RFC3339)
		}
		results := map[string]v1alpha1.MetricResult{}
		for _, r := range run.Status.MetricResults {
			results[r.Name] = r
		}
		for _, m := range run.Spec.Metrics {
			mv := MetricView{Name: m.Name, Phase: string(v1alpha1.AnalysisPhasePending), Provider: providerName(m.Provider),
				SuccessCondition: m.SuccessCondition, FailureCondition: m.FailureCondition,
				Measurements: []MeasurementView{}}
			if r, ok := results[m.Name]; ok {
				mv.Phase = string(r.Phase)
				for _, ms := range r.Measurements {
					mv.Measurements = append(mv.Measurements, measurement(ms))
				}
			}
			v.Metrics = append(v.Metrics, mv)
		}
		out = append(out, v)
	}
	return out
}

func measurement(m v1alpha1.Measurement) MeasurementView {
	t := m.FinishedAt
	if t == nil {
		t = m.StartedAt
	}
	mv := MeasurementView{Value: m.Value, Phase: string(m.Phase)}
	if t != nil {
		mv.Time = t.UTC().Format(time.RFC3339)
	}
	return mv
}

func providerName(p v1alpha1.MetricProvider) string {
	if name := provider.NameOf(&p); name != "" {
		return name
	}
	return "unknown"
}
