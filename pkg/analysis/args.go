package analysis

import (
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/serin-dev/serin/pkg/apis/rollouts/v1alpha1"
)

// SecretGetter reads key of the Secret namespace/name.
type SecretGetter func(ctx context.Context, namespace, name, key string) (string, error)

// ResolveArgs returns the value of each of a run's arguments: its value, or a key of a
// Secret in the run's namespace (valueFrom.secretKeyRef). It also returns the values read
// from Secrets, which are masked wherever a measurement records text. A fieldRef is
// resolved by the Rollout controller before it creates the run (runspec.RolloutArgs); one left
// in a run is an error, as is an argument with no value.
func ResolveArgs(ctx context.Context, namespace string, args []v1alpha1.Argument, get SecretGetter) (map[string]string, []string, error) {
	values := make(map[string]string, len(args))
	var secrets []string
	for i, a := range args {
		switch {
		case a.Value != nil:
			values[a.Name] = *a.Value
		case a.ValueFrom != nil && a.ValueFrom.SecretKeyRef != nil:
			ref := a.ValueFrom.SecretKeyRef
			v, err := get(ctx, namespace, ref.Name, ref.Key)
			if err != nil {
				return nil, nil, fmt.Errorf("spec.args[%d] (%s): valueFrom.secretKeyRef %s/%s key %q: %w", i, a.Name, namespace, ref.Name, ref.Key, err)
			}
			values[a.Name] = v
			if v != "" {
				secrets = append(secrets, v)
			}
		case a.ValueFrom != nil && a.ValueFrom.FieldRef != nil:
			return nil, nil, fmt.Errorf("spec.args[%d] (%s): valueFrom.fieldRef %q is resolved from a Rollout when it creates the run; an AnalysisRun cannot resolve it",
				i, a.Name, a.ValueFrom.FieldRef.FieldPath)
		default:
			return nil, nil, fmt.Errorf("spec.args[%d] (%s): the argument has no value: set value or valueFrom", i, a.Name)
		}
	}
	return values, secrets, nil
}

// argPattern is a reference to an argument: {{args.NAME}}, spaces allowed inside.
var argPattern = regexp.MustCompile(`\{\{\s*args\.([A-Za-z0-9_.-]+)\s*\}\}`)

// Substitute returns a copy of metrics with every {{args.NAME}} in any string field
// (query, address, url, headers, body, the Job's spec, count...) replaced by the
// argument's value. A reference to an argument that does not exist is an error naming
// the metric and the argument.
func Substitute(metrics []v1alpha1.Metric, values map[string]string) ([]v1alpha1.Metric, error) {
	out := make([]v1alpha1.Metric, len(metrics))
	for i := range metrics {
		data, err := json.Marshal(&metrics[i])
		if err != nil {
			return nil, fmt.Errorf("metric %q: %w", metrics[i].Name, err)
		}
		var missing []string
		replaced := argPattern.ReplaceAllFunc(data, func(ref []byte) []byte {
			name := string(argPattern.FindSubmatch(ref)[1])
			v, ok := values[name]
			if !ok {
				missing = append(missing, name)
				return ref
			}
			quoted, _ := json.Marshal(v) // a JSON string: escape it for inside the string it replaces into
			return quoted[1 : len(quoted)-1]
		})
		if len(missing) > 0 {
			return nil, fmt.Errorf("metric %q refers to {{args.%s}}, which is not an argument of the run", metrics[i].Name, missing[0])
		}
		if err := json.Unmarshal(replaced, &out[i]); err != nil {
			return nil, fmt.Errorf("metric %q after substituting its arguments: %w", metrics[i].Name, err)
		}
	}
	return out, nil
}

// intValue is a count or limit field's value after substitution: a number, or a string
// holding one; def when unset.
func intValue(field string, v *intstr.IntOrString, def int) (int, error) {
	if v == nil {
		return def, nil
	}
	if v.Type == intstr.Int {
		return int(v.IntVal), nil
	}
	n, err := strconv.Atoi(strings.TrimSpace(v.StrVal))
	if err != nil {
		return 0, fmt.Errorf("%s %q is not a whole number", field, v.StrVal)
	}
	return n, nil
}

// Mask replaces each secret value in s (measurements, messages and logs never show one).
func Mask(s string, secrets []string) string {
	for _, v := range secrets {
		s = strings.ReplaceAll(s, v, "*****")
	}
	return s
}
