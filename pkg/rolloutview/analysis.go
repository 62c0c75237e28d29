package rolloutview

import (
	"cmp"
	"slices"
	"time"

	"github.com/serin-dev/serin/pkg/analysis/provider"
	"github.com/serin-dev/serin/pkg/apis/rollouts/v1alpha1"
	"github.com/serin-dev/serin/pkg/plan"
)

// AnalysisRun is one run: its verdict and what each metric measured. Queries, provider
// addresses, headers and argument values are left out on purpose: they may carry
// credentials, and the dashboard serves this to a browser.
type AnalysisRun struct {
	Name  string `json:"name"`
	Phase string `json:"phase"`
	// Type is the run's rollout-type label: PrePromotion, PostPromotion (blue-green), or a
	// canary run type; "" without the label.
	Type    string     `json:"type,omitempty"`
	Message string     `json:"message,omitempty"`
	Started *time.Time `json:"started,omitempty"`
	Created time.Time  `json:"created"`
	// Metrics are the spec's metrics in its order, then any result of a metric the spec
	// does not name.
	Metrics []Metric `json:"metrics,omitempty"`

	hash string // the revision's pod template hash (label)
}

// Metric is a metric's phase, counters and measurements.
type Metric struct {
	Name  string `json:"name"`
	Phase string `json:"phase"`
	// Provider names the metric's provider (prometheus, web, job); "" for a result whose
	// metric the spec does not have.
	Provider         string `json:"provider,omitempty"`
	SuccessCondition string `json:"successCondition,omitempty"`
	FailureCondition string `json:"failureCondition,omitempty"`
	Successful       int32  `json:"successful"`
	Failed           int32  `json:"failed"`
	// LatestValue and LatestPhase are the latest measurement's value and verdict.
	LatestValue  string        `json:"latestValue,omitempty"`
	LatestPhase  string        `json:"latestPhase,omitempty"`
	Measurements []Measurement `json:"measurements,omitempty"`
}

// Measurement is one measurement: when (finished, else started), the value, the verdict.
type Measurement struct {
	Time  *time.Time `json:"time,omitempty"`
	Value string     `json:"value"`
	Phase string     `json:"phase"`
}

// analysisRuns are the runs newest first (then by name).
func analysisRuns(runs []*v1alpha1.AnalysisRun) []AnalysisRun {
	sorted := slices.Clone(runs)
	slices.SortFunc(sorted, func(a, b *v1alpha1.AnalysisRun) int {
		return cmp.Or(b.CreationTimestamp.Compare(a.CreationTimestamp.Time), cmp.Compare(a.Name, b.Name))
	})
	var out []AnalysisRun
	for _, ar := range sorted {
		out = append(out, newAnalysisRun(ar))
	}
	return out
}

func newAnalysisRun(ar *v1alpha1.AnalysisRun) AnalysisRun {
	out := AnalysisRun{Name: ar.Name, Phase: string(ar.Status.Phase), Type: ar.Labels[plan.LabelRunType],
		Message: ar.Status.Message, Created: ar.CreationTimestamp.Time, hash: ar.Labels[v1alpha1.DefaultRolloutUniqueLabelKey]}
	if out.Phase == "" {
		out.Phase = string(v1alpha1.AnalysisPhasePending)
	}
	if ar.Status.StartedAt != nil {
		t := ar.Status.StartedAt.Time
		out.Started = &t
	}
	results := map[string]*v1alpha1.MetricResult{}
	for i := range ar.Status.MetricResults {
		results[ar.Status.MetricResults[i].Name] = &ar.Status.MetricResults[i]
	}
	inSpec := map[string]bool{}
	for _, m := range ar.Spec.Metrics {
		inSpec[m.Name] = true
		met := Metric{Name: m.Name, Phase: string(v1alpha1.AnalysisPhasePending), Provider: providerOf(m.Provider),
			SuccessCondition: m.SuccessCondition, FailureCondition: m.FailureCondition}
		if r := results[m.Name]; r != nil {
			withResult(&met, r)
		}
		out.Metrics = append(out.Metrics, met)
	}
	for i := range ar.Status.MetricResults {
		if r := &ar.Status.MetricResults[i]; !inSpec[r.Name] {
			met := Metric{Name: r.Name}
			withResult(&met, r)
			out.Metrics = append(out.Metrics, met)
		}
	}
	return out
}

func withResult(m *Metric, r *v1alpha1.MetricResult) {
	m.Phase, m.Successful, m.Failed = string(r.Phase), r.Successful, r.Failed
	for _, ms := range r.Measurements {
		t := ms.FinishedAt
		if t == nil {
			t = ms.StartedAt
		}
		out := Measurement{Value: ms.Value, Phase: string(ms.Phase)}
		if t != nil {
			tt := t.Time
			out.Time = &tt
		}
		m.Measurements = append(m.Measurements, out)
	}
	if n := len(r.Measurements); n > 0 {
		m.LatestValue, m.LatestPhase = r.Measurements[n-1].Value, string(r.Measurements[n-1].Phase)
	}
}

// providerOf names a metric's provider, from the metric provider registry's specs.
func providerOf(p v1alpha1.MetricProvider) string {
	if name := provider.NameOf(&p); name != "" {
		return name
	}
	return "unknown"
}
