package provider

import (
	"strings"

	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/serin-dev/serin/pkg/apis/rollouts/v1alpha1"
)

// specs are the built-in providers. Their implementations are pkg/analysis/prometheus,
// web and job; the validation messages are those the CRD and `kubectl serin lint` give.
var specs = []Spec{
	{
		Type: Prometheus,
		Uses: func(mp *v1alpha1.MetricProvider) bool { return mp.Prometheus != nil },
		Validate: func(p *field.Path, mp *v1alpha1.MetricProvider) field.ErrorList {
			var errs field.ErrorList
			if mp.Prometheus.Address == "" {
				errs = append(errs, field.Required(p.Child("prometheus", "address"), "prometheus.address is required"))
			}
			if mp.Prometheus.Query == "" {
				errs = append(errs, field.Required(p.Child("prometheus", "query"), "prometheus.query is required"))
			}
			return errs
		},
		Describe: func(m *v1alpha1.Metric) string { return m.Provider.Prometheus.Query },
	},
	{
		Type: Web,
		Uses: func(mp *v1alpha1.MetricProvider) bool { return mp.Web != nil },
		Validate: func(p *field.Path, mp *v1alpha1.MetricProvider) field.ErrorList {
			var errs field.ErrorList
			if mp.Web.URL == "" {
				errs = append(errs, field.Required(p.Child("web", "url"), "web.url is required"))
			}
			switch mp.Web.Method {
			case "", "GET", "POST", "PUT":
			default:
				errs = append(errs, field.NotSupported(p.Child("web", "method"), mp.Web.Method, []string{"GET", "POST", "PUT"}))
			}
			return errs
		},
		// The request as the web provider records it in a measurement's query.
		Describe: func(m *v1alpha1.Metric) string {
			method := string(m.Provider.Web.Method)
			if method == "" {
				method = "GET"
			}
			return method + " " + m.Provider.Web.URL
		},
	},
	{
		Type: Job,
		Uses: func(mp *v1alpha1.MetricProvider) bool { return mp.Job != nil },
		Validate: func(p *field.Path, mp *v1alpha1.MetricProvider) field.ErrorList {
			if len(mp.Job.Spec.Template.Spec.Containers) == 0 {
				return field.ErrorList{field.Required(p.Child("job", "spec", "template", "spec", "containers"),
					"job.spec.template.spec.containers must list at least one container")}
			}
			return nil
		},
		Describe: func(m *v1alpha1.Metric) string {
			var images []string
			for _, c := range m.Provider.Job.Spec.Template.Spec.Containers {
				images = append(images, c.Image)
			}
			return "Job running " + strings.Join(images, ", ")
		},
	},
}
