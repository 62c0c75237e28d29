package provider

import (
	"strings"
	"testing"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/serin-dev/serin/pkg/apis/rollouts/v1alpha1"
)

func jobOf(images ...string) *v1alpha1.JobMetric {
	j := &v1alpha1.JobMetric{Spec: batchv1.JobSpec{}}
	for _, im := range images {
		j.Spec.Template.Spec.Containers = append(j.Spec.Template.Spec.Containers, corev1.Container{Name: "c", Image: im})
	}
	return j
}

func TestSpecs(t *testing.T) {
	tests := map[string]struct {
		provider v1alpha1.MetricProvider
		name     string
		describe string
		// errs are the validation errors, as "field: type: detail".
		errs []string
	}{
		"prometheus": {
			provider: v1alpha1.MetricProvider{Prometheus: &v1alpha1.PrometheusMetric{Address: "http://p:9090", Query: "sum(up)"}},
			name:     "prometheus", describe: "sum(up)",
		},
		"prometheus without address and query": {
			provider: v1alpha1.MetricProvider{Prometheus: &v1alpha1.PrometheusMetric{}},
			name:     "prometheus",
			errs: []string{"p.prometheus.address: Required value: prometheus.address is required",
				"p.prometheus.query: Required value: prometheus.query is required"},
		},
		"web, method defaults to GET": {
			provider: v1alpha1.MetricProvider{Web: &v1alpha1.WebMetric{URL: "http://x/health"}},
			name:     "web", describe: "GET http://x/health",
		},
		"web POST": {
			provider: v1alpha1.MetricProvider{Web: &v1alpha1.WebMetric{URL: "http://x/", Method: "POST"}},
			name:     "web", describe: "POST http://x/",
		},
		"web with no URL and a bad method": {
			provider: v1alpha1.MetricProvider{Web: &v1alpha1.WebMetric{Method: "DELETE"}},
			name:     "web", describe: "DELETE ",
			errs: []string{"p.web.url: Required value: web.url is required",
				`p.web.method: Unsupported value: "DELETE": supported values: "GET", "POST", "PUT"`},
		},
		"job": {
			provider: v1alpha1.MetricProvider{Job: jobOf("busybox:1.36", "curl:8")},
			name:     "job", describe: "Job running busybox:1.36, curl:8",
		},
		"job without containers": {
			provider: v1alpha1.MetricProvider{Job: jobOf()},
			name:     "job", describe: "Job running ",
			errs: []string{"p.job.spec.template.spec.containers: Required value: job.spec.template.spec.containers must list at least one container"},
		},
		"none": {},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			m := &v1alpha1.Metric{Name: "m", Provider: tc.provider}
			if got := NameOf(&m.Provider); got != tc.name {
				t.Errorf("NameOf = %q, want %q", got, tc.name)
			}
			if got := Describe(m); got != tc.describe {
				t.Errorf("Describe = %q, want %q", got, tc.describe)
			}
			s, err := SpecOf(m)
			if tc.name == "" {
				if err == nil {
					t.Error("SpecOf found a provider in none")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var errs []string
			for _, e := range s.Validate(field.NewPath("p"), &m.Provider) {
				errs = append(errs, e.Field+": "+e.ErrorBody())
			}
			if strings.Join(errs, "\n") != strings.Join(tc.errs, "\n") {
				t.Errorf("Validate:\n%s\nwant:\n%s", strings.Join(errs, "\n"), strings.Join(tc.errs, "\n"))
			}
		})
	}
}

func TestSpecOfSeveralProviders(t *testing.T) {
	m := &v1alpha1.Metric{Name: "m", Provider: v1alpha1.MetricProvider{
		Prometheus: &v1alpha1.PrometheusMetric{}, Web: &v1alpha1.WebMetric{}, Job: jobOf()}}
	_, err := SpecOf(m)
	want := `metric "m": provider must set exactly one of prometheus, web or job (found 3)`
	if err == nil || err.Error() != want {
		t.Errorf("error %v, want %q", err, want)
	}
	if n := len(Using(&m.Provider)); n != 3 {
		t.Errorf("Using found %d providers, want 3", n)
	}
}

// Every spec is complete and names a distinct field of metrics[].provider.
func TestSpecsAreComplete(t *testing.T) {
	seen := map[Type]bool{}
	for _, s := range Specs() {
		if s.Type == "" || s.Uses == nil || s.Validate == nil || s.Describe == nil {
			t.Errorf("spec %q is incomplete", s.Type)
		}
		if seen[s.Type] {
			t.Errorf("spec %q twice", s.Type)
		}
		seen[s.Type] = true
		if s.Uses(&v1alpha1.MetricProvider{}) {
			t.Errorf("spec %q is used by an empty provider", s.Type)
		}
	}
}
