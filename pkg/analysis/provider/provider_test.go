package provider

import (
	"context"
	"strings"
	"testing"

	batchv1 "k8s.io/api/batch/v1"

	"github.com/serin-dev/serin/pkg/apis/rollouts/v1alpha1"
)

type named string

func (n named) Measure(context.Context, Request) Result  { return Result{Value: string(n)} }
func (n named) Terminate(context.Context, Request) error { return nil }

func TestRegistryFor(t *testing.T) {
	reg := Registry{Prometheus: named("prom"), Web: named("web")}
	tests := map[string]struct {
		provider v1alpha1.MetricProvider
		want     string
		err      string
	}{
		"prometheus": {provider: v1alpha1.MetricProvider{Prometheus: &v1alpha1.PrometheusMetric{}}, want: "prom"},
		"web":        {provider: v1alpha1.MetricProvider{Web: &v1alpha1.WebMetric{}}, want: "web"},
		"job not registered": {provider: v1alpha1.MetricProvider{Job: &v1alpha1.JobMetric{Spec: batchv1.JobSpec{}}},
			err: `provider "job" is not available`},
		"none": {err: "exactly one of prometheus, web or job (found 0)"},
		"two": {provider: v1alpha1.MetricProvider{Prometheus: &v1alpha1.PrometheusMetric{}, Web: &v1alpha1.WebMetric{}},
			err: "(found 2)"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			p, err := reg.For(&v1alpha1.Metric{Name: "m", Provider: tc.provider})
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("error %v, want one containing %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := p.Measure(context.Background(), Request{}).Value; got != tc.want {
				t.Errorf("provider %q, want %q", got, tc.want)
			}
		})
	}
}
