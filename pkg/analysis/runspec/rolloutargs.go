package runspec

import (
	"fmt"
	"strconv"
	"strings"

	"k8s.io/apimachinery/pkg/runtime"

	"github.com/serin-dev/serin/pkg/apis/rollouts/v1alpha1"
)

// RolloutArgs resolves a rollout's analysis arguments (steps[].analysis.args,
// canary.analysis.args, ...) into the arguments of a run, for NewRun:
//   - value: as given;
//   - valueFrom.podTemplateHashValue: Stable is ro.Status.StableRS, Latest is
//     ro.Status.CurrentPodHash (pass a Rollout whose status holds the hashes the run is
//     for); an empty hash is an error;
//   - valueFrom.fieldRef: a field of the Rollout, e.g. metadata.name,
//     metadata.labels['app'], metadata.annotations['team'],
//     spec.template.spec.containers[0].image; a path that selects nothing, or an object
//     or list rather than a value, is an error naming it.
//
// It is pure: no client, no clock.
func RolloutArgs(ro *v1alpha1.Rollout, args []v1alpha1.AnalysisRunArgument) ([]v1alpha1.Argument, error) {
	out := make([]v1alpha1.Argument, 0, len(args))
	var obj map[string]any
	for i, a := range args {
		var v string
		switch {
		case a.ValueFrom == nil:
			v = a.Value
		case a.ValueFrom.PodTemplateHashValue != nil:
			switch h := *a.ValueFrom.PodTemplateHashValue; h {
			case v1alpha1.Stable:
				v = ro.Status.StableRS
			case v1alpha1.Latest:
				v = ro.Status.CurrentPodHash
			default:
				return nil, fmt.Errorf("analysis.args[%d] (%s): podTemplateHashValue must be Stable or Latest, not %q", i, a.Name, h)
			}
			if v == "" {
				return nil, fmt.Errorf("analysis.args[%d] (%s): the rollout has no %s pod template hash yet", i, a.Name, *a.ValueFrom.PodTemplateHashValue)
			}
		case a.ValueFrom.FieldRef != nil:
			if obj == nil {
				u, err := runtime.DefaultUnstructuredConverter.ToUnstructured(ro)
				if err != nil {
					return nil, fmt.Errorf("rollout %s: %w", ro.Name, err)
				}
				obj = u
			}
			var err error
			if v, err = FieldValue(obj, a.ValueFrom.FieldRef.FieldPath); err != nil {
				return nil, fmt.Errorf("analysis.args[%d] (%s): valueFrom.fieldRef: %w", i, a.Name, err)
			}
		default:
			return nil, fmt.Errorf("analysis.args[%d] (%s): valueFrom must set podTemplateHashValue or fieldRef", i, a.Name)
		}
		out = append(out, v1alpha1.Argument{Name: a.Name, Value: &v})
	}
	return out, nil
}

// FieldValue reads the value at path in obj (an object as JSON-decoded maps): dotted
// field names, [n] list indexes and ['key'] / ["key"] map keys, e.g.
// metadata.labels['app.kubernetes.io/name'] or spec.template.spec.containers[0].image.
func FieldValue(obj map[string]any, path string) (string, error) {
	steps, err := parsePath(path)
	if err != nil {
		return "", err
	}
	var cur any = obj
	for _, s := range steps {
		switch c := cur.(type) {
		case map[string]any:
			v, ok := c[s]
			if !ok {
				return "", fmt.Errorf("%q: no field %q", path, s)
			}
			cur = v
		case []any:
			n, err := strconv.Atoi(s)
			if err != nil || n < 0 || n >= len(c) {
				return "", fmt.Errorf("%q: no list element %q (the list has %d)", path, s, len(c))
			}
			cur = c[n]
		default:
			return "", fmt.Errorf("%q: cannot select %q in a %T", path, s, cur)
		}
	}
	switch v := cur.(type) {
	case string:
		return v, nil
	case bool, int64, float64, int32, int:
		return fmt.Sprint(v), nil
	case nil:
		return "", fmt.Errorf("%q is null", path)
	}
	return "", fmt.Errorf("%q selects a %T, not a single value", path, cur)
}

// parsePath splits a field path into its field names, indexes and keys.
func parsePath(path string) ([]string, error) {
	var steps []string
	rest := path
	for rest != "" {
		switch rest[0] {
		case '.':
			rest = rest[1:]
		case '[':
			end := strings.IndexByte(rest, ']')
			if end < 0 {
				return nil, fmt.Errorf("%q: unclosed [", path)
			}
			inner := rest[1:end]
			if len(inner) >= 2 && (inner[0] == '\'' || inner[0] == '"') && inner[len(inner)-1] == inner[0] {
				inner = inner[1 : len(inner)-1]
			}
			if inner == "" {
				return nil, fmt.Errorf("%q: empty []", path)
			}
			steps = append(steps, inner)
			rest = rest[end+1:]
		default:
			end := strings.IndexAny(rest, ".[")
			if end < 0 {
				end = len(rest)
			}
			steps = append(steps, rest[:end])
			rest = rest[end:]
		}
	}
	if len(steps) == 0 {
		return nil, fmt.Errorf("empty field path")
	}
	return steps, nil
}
