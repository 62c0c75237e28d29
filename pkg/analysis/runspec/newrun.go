package runspec

import (
	"fmt"
	"maps"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/serin-dev/serin/pkg/apis/rollouts/v1alpha1"
)

// RunMeta is the identity of a run NewRun builds and what the caller adds to the templates.
type RunMeta struct {
	// Name and Namespace of the run.
	Name, Namespace string
	// Owner, when set, becomes the run's controller owner reference (the Rollout).
	Owner *metav1.OwnerReference
	// Labels and Annotations of the run (e.g. rollout, type, step index, and
	// analysisRunMetadata).
	Labels, Annotations map[string]string
	// DryRun and MeasurementRetention are added to the templates' own.
	DryRun               []v1alpha1.DryRun
	MeasurementRetention []v1alpha1.MeasurementRetention
}

// NewRun builds the AnalysisRun that merges templates and clusterTemplates (in that order)
// and gives their arguments the values in args.
//
// Metrics are concatenated; two templates with a metric of the same name are an error.
// Arguments are merged by name: an argument declared by several templates must not have
// two different defaults. Each argument then takes its value from args when args names it
// (args that no template declares are ignored, as Argo Rollouts does), else keeps its
// template default (value or valueFrom.secretKeyRef). An argument left without either is
// an error naming it. dryRun and measurementRetention are the templates' plus meta's.
//
// The run's status is empty: the AnalysisRun controller starts it (Pending → Running).
func NewRun(templates []*v1alpha1.AnalysisTemplate, clusterTemplates []*v1alpha1.ClusterAnalysisTemplate,
	args []v1alpha1.Argument, meta RunMeta) (*v1alpha1.AnalysisRun, error) {
	type source struct {
		kind, name string
		spec       *v1alpha1.AnalysisTemplateSpec
	}
	var sources []source
	for _, t := range templates {
		sources = append(sources, source{"AnalysisTemplate", t.Name, &t.Spec})
	}
	for _, t := range clusterTemplates {
		sources = append(sources, source{"ClusterAnalysisTemplate", t.Name, &t.Spec})
	}
	if len(sources) == 0 {
		return nil, fmt.Errorf("analysis run %s: no template", meta.Name)
	}
	spec := v1alpha1.AnalysisRunSpec{}
	metricFrom := map[string]string{}
	argIndex := map[string]int{}
	for _, src := range sources {
		from := src.kind + " " + src.name
		for _, m := range src.spec.Metrics {
			if prev, dup := metricFrom[m.Name]; dup {
				return nil, fmt.Errorf("metric %q is in both %s and %s; metric names must be unique across the templates of one analysis", m.Name, prev, from)
			}
			metricFrom[m.Name] = from
			spec.Metrics = append(spec.Metrics, *m.DeepCopy())
		}
		for _, a := range src.spec.Args {
			i, seen := argIndex[a.Name]
			if !seen {
				argIndex[a.Name] = len(spec.Args)
				spec.Args = append(spec.Args, *a.DeepCopy())
				continue
			}
			merged, err := mergeArg(spec.Args[i], a, from)
			if err != nil {
				return nil, err
			}
			spec.Args[i] = merged
		}
		spec.DryRun = append(spec.DryRun, src.spec.DryRun...)
		spec.MeasurementRetention = append(spec.MeasurementRetention, src.spec.MeasurementRetention...)
	}
	for _, a := range args {
		if i, ok := argIndex[a.Name]; ok {
			spec.Args[i] = *a.DeepCopy()
		}
	}
	for _, a := range spec.Args {
		if a.Value == nil && a.ValueFrom == nil {
			return nil, fmt.Errorf("argument %q has no value: the templates declare it without a default and the rollout's analysis.args does not give it", a.Name)
		}
	}
	spec.DryRun = uniqueDryRun(append(spec.DryRun, meta.DryRun...))
	spec.MeasurementRetention = uniqueRetention(append(spec.MeasurementRetention, meta.MeasurementRetention...))

	run := &v1alpha1.AnalysisRun{
		TypeMeta: metav1.TypeMeta{APIVersion: v1alpha1.SchemeGroupVersion.String(), Kind: "AnalysisRun"},
		ObjectMeta: metav1.ObjectMeta{
			Name: meta.Name, Namespace: meta.Namespace,
			Labels: maps.Clone(meta.Labels), Annotations: maps.Clone(meta.Annotations),
		},
		Spec: spec,
	}
	if meta.Owner != nil {
		run.OwnerReferences = []metav1.OwnerReference{*meta.Owner}
	}
	return run, nil
}

// mergeArg merges a second declaration b of an argument into a.
func mergeArg(a, b v1alpha1.Argument, from string) (v1alpha1.Argument, error) {
	switch {
	case b.Value == nil && b.ValueFrom == nil:
		return a, nil
	case a.Value == nil && a.ValueFrom == nil:
		return b, nil
	case a.Value != nil && b.Value != nil && *a.Value == *b.Value:
		return a, nil
	}
	return a, fmt.Errorf("argument %q has a different default in %s than in an earlier template", a.Name, from)
}

func uniqueDryRun(in []v1alpha1.DryRun) []v1alpha1.DryRun {
	seen := map[string]bool{}
	var out []v1alpha1.DryRun
	for _, d := range in {
		if !seen[d.MetricName] {
			seen[d.MetricName] = true
			out = append(out, d)
		}
	}
	return out
}

// uniqueRetention keeps one entry per metric name: the last given (meta's win over the
// templates').
func uniqueRetention(in []v1alpha1.MeasurementRetention) []v1alpha1.MeasurementRetention {
	index := map[string]int{}
	var out []v1alpha1.MeasurementRetention
	for _, r := range in {
		if i, ok := index[r.MetricName]; ok {
			out[i] = r
			continue
		}
		index[r.MetricName] = len(out)
		out = append(out, r)
	}
	return out
}
