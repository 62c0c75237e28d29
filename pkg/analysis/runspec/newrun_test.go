package runspec

import (
	"reflect"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	"github.com/serin-dev/serin/pkg/apis/rollouts/v1alpha1"
)

func template(name string, args []v1alpha1.Argument, metrics ...v1alpha1.Metric) *v1alpha1.AnalysisTemplate {
	return &v1alpha1.AnalysisTemplate{ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec: v1alpha1.AnalysisTemplateSpec{Metrics: metrics, Args: args}}
}

func TestNewRunMergesTemplatesAndArgs(t *testing.T) {
	at := template("rate", []v1alpha1.Argument{{Name: "service"}, {Name: "threshold", Value: ptr.To("0.95")}}, metric("rate"))
	cat := &v1alpha1.ClusterAnalysisTemplate{ObjectMeta: metav1.ObjectMeta{Name: "latency"}, Spec: v1alpha1.AnalysisTemplateSpec{
		Metrics: []v1alpha1.Metric{metric("latency")},
		Args:    []v1alpha1.Argument{{Name: "service"}, {Name: "token", ValueFrom: &v1alpha1.ValueFrom{SecretKeyRef: &v1alpha1.SecretKeyRef{Name: "s", Key: "k"}}}},
		DryRun:  []v1alpha1.DryRun{{MetricName: "latency"}},
	}}
	owner := metav1.OwnerReference{APIVersion: "serin.dev/v1alpha1", Kind: "Rollout", Name: "web", UID: "u", Controller: ptr.To(true)}
	run, err := NewRun([]*v1alpha1.AnalysisTemplate{at}, []*v1alpha1.ClusterAnalysisTemplate{cat},
		[]v1alpha1.Argument{{Name: "service", Value: ptr.To("web-canary")}, {Name: "unused", Value: ptr.To("x")}},
		RunMeta{Name: "web-abc-2", Namespace: "ns", Owner: &owner, Labels: map[string]string{"rollout": "web"},
			MeasurementRetention: []v1alpha1.MeasurementRetention{{MetricName: "*", Limit: 3}}})
	if err != nil {
		t.Fatal(err)
	}
	if len(run.Spec.Metrics) != 2 || run.Spec.Metrics[0].Name != "rate" || run.Spec.Metrics[1].Name != "latency" {
		t.Errorf("metrics %+v", run.Spec.Metrics)
	}
	got := map[string]string{}
	for _, a := range run.Spec.Args {
		switch {
		case a.Value != nil:
			got[a.Name] = *a.Value
		case a.ValueFrom != nil && a.ValueFrom.SecretKeyRef != nil:
			got[a.Name] = "secret:" + a.ValueFrom.SecretKeyRef.Name
		}
	}
	want := map[string]string{"service": "web-canary", "threshold": "0.95", "token": "secret:s"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("args %v, want %v", got, want)
	}
	if len(run.Spec.DryRun) != 1 || len(run.Spec.MeasurementRetention) != 1 || run.OwnerReferences[0].Name != "web" ||
		run.Labels["rollout"] != "web" || run.Namespace != "ns" || run.Name != "web-abc-2" {
		t.Errorf("run %+v", run)
	}
}

func TestNewRunErrors(t *testing.T) {
	tests := map[string]struct {
		templates []*v1alpha1.AnalysisTemplate
		args      []v1alpha1.Argument
		want      string
	}{
		"missing argument": {templates: []*v1alpha1.AnalysisTemplate{template("a", []v1alpha1.Argument{{Name: "service"}}, metric("m"))},
			want: `argument "service" has no value`},
		"duplicate metric": {templates: []*v1alpha1.AnalysisTemplate{template("a", nil, metric("m")), template("b", nil, metric("m"))},
			want: `metric "m" is in both AnalysisTemplate a and AnalysisTemplate b`},
		"conflicting defaults": {templates: []*v1alpha1.AnalysisTemplate{
			template("a", []v1alpha1.Argument{{Name: "x", Value: ptr.To("1")}}, metric("m")),
			template("b", []v1alpha1.Argument{{Name: "x", Value: ptr.To("2")}}, metric("n"))},
			want: `argument "x" has a different default in AnalysisTemplate b`},
		"no template": {want: "no template"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			_, err := NewRun(tc.templates, nil, tc.args, RunMeta{Name: "r"})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want one containing %q", err, tc.want)
			}
		})
	}
}

func TestRolloutArgs(t *testing.T) {
	ro := &v1alpha1.Rollout{
		ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: "ns", Labels: map[string]string{"app.kubernetes.io/name": "shop"}},
		Spec: v1alpha1.RolloutSpec{Template: corev1.PodTemplateSpec{Spec: corev1.PodSpec{
			Containers: []corev1.Container{{Name: "c", Image: "web:2"}}}}},
		Status: v1alpha1.RolloutStatus{StableRS: "aaa111", CurrentPodHash: "bbb222"},
	}
	hash := func(h v1alpha1.ValueFromPodTemplateHash) *v1alpha1.ArgumentValueFrom {
		return &v1alpha1.ArgumentValueFrom{PodTemplateHashValue: &h}
	}
	field := func(p string) *v1alpha1.ArgumentValueFrom {
		return &v1alpha1.ArgumentValueFrom{FieldRef: &v1alpha1.FieldRef{FieldPath: p}}
	}
	got, err := RolloutArgs(ro, []v1alpha1.AnalysisRunArgument{
		{Name: "plain", Value: "v"},
		{Name: "stable", ValueFrom: hash(v1alpha1.Stable)},
		{Name: "latest", ValueFrom: hash(v1alpha1.Latest)},
		{Name: "name", ValueFrom: field("metadata.name")},
		{Name: "label", ValueFrom: field("metadata.labels['app.kubernetes.io/name']")},
		{Name: "image", ValueFrom: field("spec.template.spec.containers[0].image")},
	})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"plain": "v", "stable": "aaa111", "latest": "bbb222", "name": "web", "label": "shop", "image": "web:2"}
	for _, a := range got {
		if *a.Value != want[a.Name] {
			t.Errorf("%s = %q, want %q", a.Name, *a.Value, want[a.Name])
		}
	}
	for path, msg := range map[string]string{
		"metadata.labels['missing']":         `no field "missing"`,
		"spec.template.spec.containers[3].x": `no list element "3"`,
		"metadata.labels":                    "not a single value",
		"metadata.labels['x":                 "unclosed [",
	} {
		if _, err := RolloutArgs(ro, []v1alpha1.AnalysisRunArgument{{Name: "a", ValueFrom: field(path)}}); err == nil || !strings.Contains(err.Error(), msg) {
			t.Errorf("%s: error %v, want one containing %q", path, err, msg)
		}
	}
	ro.Status.StableRS = ""
	if _, err := RolloutArgs(ro, []v1alpha1.AnalysisRunArgument{{Name: "s", ValueFrom: hash(v1alpha1.Stable)}}); err == nil ||
		!strings.Contains(err.Error(), "no Stable pod template hash yet") {
		t.Errorf("error %v", err)
	}
}

func metric(name string) v1alpha1.Metric {
	return v1alpha1.Metric{Name: name, SuccessCondition: "result[0] >= 0.95",
		Provider: v1alpha1.MetricProvider{Prometheus: &v1alpha1.PrometheusMetric{Address: "http://p", Query: "q"}}}
}
