package validation

import (
	"regexp"
	"time"

	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/serin-dev/serin/pkg/analysis"
	"github.com/serin-dev/serin/pkg/analysis/provider"
	"github.com/serin-dev/serin/pkg/apis/rollouts/v1alpha1"
)

// AnalysisTemplate returns every problem in an AnalysisTemplate's spec.
func AnalysisTemplate(at *v1alpha1.AnalysisTemplate) field.ErrorList {
	return templateSpec(field.NewPath("spec"), &at.Spec)
}

// ClusterAnalysisTemplate returns every problem in a ClusterAnalysisTemplate's spec.
func ClusterAnalysisTemplate(cat *v1alpha1.ClusterAnalysisTemplate) field.ErrorList {
	return templateSpec(field.NewPath("spec"), &cat.Spec)
}

// AnalysisRun returns every problem in an AnalysisRun's spec.
func AnalysisRun(ar *v1alpha1.AnalysisRun) field.ErrorList {
	s := &ar.Spec
	return analysisSpec(field.NewPath("spec"), s.Metrics, s.Args, s.DryRun, s.MeasurementRetention)
}

func templateSpec(p *field.Path, s *v1alpha1.AnalysisTemplateSpec) field.ErrorList {
	return analysisSpec(p, s.Metrics, s.Args, s.DryRun, s.MeasurementRetention)
}

func analysisSpec(p *field.Path, metrics []v1alpha1.Metric, args []v1alpha1.Argument, dryRun []v1alpha1.DryRun, retention []v1alpha1.MeasurementRetention) field.ErrorList {
	var errs field.ErrorList
	if len(metrics) == 0 {
		errs = append(errs, field.Required(p.Child("metrics"), "spec.metrics must list at least one metric"))
	}
	names := map[string]bool{}
	for i := range metrics {
		mp := p.Child("metrics").Index(i)
		if names[metrics[i].Name] {
			errs = append(errs, field.Duplicate(mp.Child("name"), metrics[i].Name))
		}
		names[metrics[i].Name] = true
		errs = append(errs, metric(mp, &metrics[i])...)
	}
	argNames := map[string]bool{}
	for i, a := range args {
		ap := p.Child("args").Index(i)
		if argNames[a.Name] {
			errs = append(errs, field.Duplicate(ap.Child("name"), a.Name))
		}
		argNames[a.Name] = true
		if a.Value != nil && a.ValueFrom != nil {
			errs = append(errs, field.Invalid(ap, objectValue, MsgArgValueOrFrom))
		}
		if vf := a.ValueFrom; vf != nil && (vf.SecretKeyRef == nil) == (vf.FieldRef == nil) {
			errs = append(errs, field.Invalid(ap.Child("valueFrom"), objectValue, MsgArgValueFromOne))
		}
	}
	for i, d := range dryRun {
		if d.MetricName != "*" && !names[d.MetricName] {
			errs = append(errs, field.Invalid(p.Child("dryRun").Index(i).Child("metricName"), d.MetricName, MsgUnknownMetric))
		}
	}
	for i, r := range retention {
		rp := p.Child("measurementRetention").Index(i)
		if r.MetricName != "*" && !names[r.MetricName] {
			errs = append(errs, field.Invalid(rp.Child("metricName"), r.MetricName, MsgUnknownMetric))
		}
		if r.Limit < 1 {
			errs = append(errs, field.Invalid(rp.Child("limit"), r.Limit, "must be at least 1"))
		}
	}
	return errs
}

func metric(p *field.Path, m *v1alpha1.Metric) field.ErrorList {
	var errs field.ErrorList
	if m.Name == "" {
		errs = append(errs, field.Required(p.Child("name"), "metric name is required"))
	}
	for _, d := range []struct {
		name string
		v    v1alpha1.DurationString
	}{{"interval", m.Interval}, {"initialDelay", m.InitialDelay}} {
		if d.v == "" || argRef.MatchString(string(d.v)) {
			continue
		}
		if _, err := ParseDuration(d.v); err != nil {
			errs = append(errs, field.Invalid(p.Child(d.name), string(d.v), MsgDurationParse))
		}
	}
	for _, c := range []struct {
		name string
		v    *intstr.IntOrString
	}{{"count", m.Count}, {"failureLimit", m.FailureLimit}, {"inconclusiveLimit", m.InconclusiveLimit}, {"consecutiveErrorLimit", m.ConsecutiveErrorLimit}} {
		errs = append(errs, countOrArg(p.Child(c.name), c.v, c.name == "failureLimit")...)
	}
	if m.Count != nil && m.Count.Type == intstr.Int && m.Count.IntVal > 1 && m.Interval == "" {
		errs = append(errs, field.Invalid(p, objectValue, MsgIntervalWithCount))
	}
	for _, c := range []struct{ name, expr string }{{"successCondition", m.SuccessCondition}, {"failureCondition", m.FailureCondition}} {
		if c.expr == "" {
			continue
		}
		if err := analysis.CheckCondition(c.expr); err != nil {
			errs = append(errs, field.Invalid(p.Child(c.name), c.expr, MsgConditionCompile+": "+err.Error()))
		}
	}
	errs = append(errs, metricProvider(p.Child("provider"), &m.Provider)...)
	return errs
}

// metricProvider checks that mp selects exactly one provider, then that provider's
// fields (the rules live with the provider's spec in pkg/analysis/provider).
func metricProvider(p *field.Path, mp *v1alpha1.MetricProvider) field.ErrorList {
	using := provider.Using(mp)
	if len(using) != 1 {
		return field.ErrorList{field.Invalid(p, objectValue, MsgOneProvider)}
	}
	return using[0].Validate(p, mp)
}

// MsgConditionCompile says a metric's successCondition or failureCondition is not a valid
// expression.
const MsgConditionCompile = "is not a valid expression over result (see the expr language)"

// argRef matches a whole-value argument reference such as {{args.count}}.
var argRef = regexp.MustCompile(`^\{\{\s*args\.[A-Za-z0-9_.-]+\s*\}\}$`)

func countOrArg(p *field.Path, v *intstr.IntOrString, allowMinusOne bool) field.ErrorList {
	if v == nil {
		return nil
	}
	if v.Type == intstr.Int {
		if v.IntVal < 0 && !(allowMinusOne && v.IntVal == -1) {
			return field.ErrorList{field.Invalid(p, v.IntVal, MsgNonNegative)}
		}
		return nil
	}
	if !argRef.MatchString(v.StrVal) {
		return field.ErrorList{field.Invalid(p, v.StrVal, MsgCountArgument)}
	}
	return nil
}

// ParseDuration parses an analysis duration string (e.g. 30s, 5m, 1h30m) as the CRD's
// pattern allows it.
func ParseDuration(d v1alpha1.DurationString) (time.Duration, error) {
	return time.ParseDuration(string(d))
}
