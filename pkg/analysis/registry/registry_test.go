package registry

import (
	"reflect"
	"testing"

	batchv1 "k8s.io/api/batch/v1"
	"k8s.io/client-go/kubernetes/fake"
	batchlisters "k8s.io/client-go/listers/batch/v1"
	"k8s.io/client-go/tools/cache"

	"github.com/serin-dev/serin/pkg/analysis/job"
	"github.com/serin-dev/serin/pkg/analysis/prometheus"
	"github.com/serin-dev/serin/pkg/analysis/provider"
	"github.com/serin-dev/serin/pkg/analysis/web"
	"github.com/serin-dev/serin/pkg/apis/rollouts/v1alpha1"
)

// Each metric is measured by the implementation of the provider it names.
func TestProvidersFor(t *testing.T) {
	reg := Providers(Deps{Kube: fake.NewClientset(), Jobs: batchlisters.NewJobLister(cache.NewIndexer(cache.MetaNamespaceKeyFunc, nil))})
	tests := map[string]struct {
		provider v1alpha1.MetricProvider
		want     provider.Provider
	}{
		"prometheus": {v1alpha1.MetricProvider{Prometheus: &v1alpha1.PrometheusMetric{}}, &prometheus.Provider{}},
		"web":        {v1alpha1.MetricProvider{Web: &v1alpha1.WebMetric{}}, &web.Provider{}},
		"job":        {v1alpha1.MetricProvider{Job: &v1alpha1.JobMetric{Spec: batchv1.JobSpec{}}}, &job.Provider{}},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			p, err := reg.For(&v1alpha1.Metric{Name: "m", Provider: tc.provider})
			if err != nil {
				t.Fatal(err)
			}
			if reflect.TypeOf(p) != reflect.TypeOf(tc.want) {
				t.Errorf("provider %T, want %T", p, tc.want)
			}
		})
	}
	if len(reg) != len(tests) {
		t.Errorf("%d providers registered, the test knows %d", len(reg), len(tests))
	}
}

// Every spec has a constructor and every constructor a spec.
func TestEveryProviderIsComplete(t *testing.T) {
	entries := Entries()
	if len(entries) != len(constructors) {
		t.Errorf("%d specs, %d constructors", len(entries), len(constructors))
	}
	for _, e := range entries {
		if e.New == nil || e.Uses == nil || e.Validate == nil || e.Describe == nil {
			t.Errorf("provider %q is incomplete", e.Type)
		}
	}
}
