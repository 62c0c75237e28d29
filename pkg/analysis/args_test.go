package analysis

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/utils/ptr"

	"github.com/serin-dev/serin/pkg/apis/rollouts/v1alpha1"
)

func TestResolveArgsAndSubstitute(t *testing.T) {
	secrets := map[string]string{"creds/token": "t0k\"en"}
	get := func(_ context.Context, ns, name, key string) (string, error) {
		if v, ok := secrets[name+"/"+key]; ok && ns == "ns" {
			return v, nil
		}
		return "", errors.New("not found")
	}
	args := []v1alpha1.Argument{
		{Name: "service", Value: ptr.To("web-canary")},
		{Name: "count", Value: ptr.To("3")},
		{Name: "token", ValueFrom: &v1alpha1.ValueFrom{SecretKeyRef: &v1alpha1.SecretKeyRef{Name: "creds", Key: "token"}}},
	}
	values, masked, err := ResolveArgs(context.Background(), "ns", args, get)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(masked, []string{"t0k\"en"}) {
		t.Errorf("secrets %v", masked)
	}
	count := intstr.FromString("{{args.count}}")
	m := metric("rate", func(m *v1alpha1.Metric) {
		m.Count, m.Interval = &count, "1s"
		m.Provider.Prometheus.Query = `sum(rate(x{service="{{ args.service }}"}[1m]))`
		m.Provider.Prometheus.Headers = []v1alpha1.WebMetricHeader{{Key: "Authorization", Value: "Bearer {{args.token}}"}}
	})
	out, err := Substitute([]v1alpha1.Metric{m}, values)
	if err != nil {
		t.Fatal(err)
	}
	p := out[0].Provider.Prometheus
	if p.Query != `sum(rate(x{service="web-canary"}[1m]))` || p.Headers[0].Value != "Bearer t0k\"en" || out[0].Count.StrVal != "3" {
		t.Errorf("substituted %+v %+v", p, out[0].Count)
	}
	if m.Provider.Prometheus.Query == p.Query {
		t.Error("Substitute changed its input")
	}

	if _, err := Substitute([]v1alpha1.Metric{metric("x", func(m *v1alpha1.Metric) { m.Provider.Prometheus.Query = "{{args.nope}}" })}, values); err == nil ||
		!strings.Contains(err.Error(), `metric "x" refers to {{args.nope}}, which is not an argument of the run`) {
		t.Errorf("error %v", err)
	}
	for _, tc := range []struct {
		arg  v1alpha1.Argument
		want string
	}{
		{v1alpha1.Argument{Name: "s", ValueFrom: &v1alpha1.ValueFrom{SecretKeyRef: &v1alpha1.SecretKeyRef{Name: "gone", Key: "k"}}}, `spec.args[0] (s): valueFrom.secretKeyRef ns/gone key "k": not found`},
		{v1alpha1.Argument{Name: "f", ValueFrom: &v1alpha1.ValueFrom{FieldRef: &v1alpha1.FieldRef{FieldPath: "metadata.name"}}}, "is resolved from a Rollout"},
		{v1alpha1.Argument{Name: "e"}, "spec.args[0] (e): the argument has no value"},
	} {
		if _, _, err := ResolveArgs(context.Background(), "ns", []v1alpha1.Argument{tc.arg}, get); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("error %v, want one containing %q", err, tc.want)
		}
	}
}
