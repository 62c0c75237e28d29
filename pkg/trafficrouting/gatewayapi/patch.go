package gatewayapi

import (
	"fmt"
	"reflect"
	"strings"

	gwv1 "sigs.k8s.io/gateway-api/apis/v1"

	"github.com/serin-dev/serin/pkg/apis/rollouts/v1alpha1"
)

// Op is one JSON patch (RFC 6902) operation.
type Op struct {
	Op    string `json:"op"`
	Path  string `json:"path"`
	Value any    `json:"value,omitempty"`
}

// Patch is the JSON patch that turns cur into desired (Desired's rendering of cur for
// ro), touching only what Serin owns: the weights of backends, the canary backends it
// adds, the rules recorded as ro's, and ManagedRulesAnnotation. It is empty when there is
// nothing to change; otherwise its first operation sets cur's resourceVersion, which the
// API server takes as a precondition (a conflict when the route changed since).
func Patch(ro *v1alpha1.Rollout, cur, desired *gwv1.HTTPRoute) ([]Op, error) {
	recs, ok := readRecords(cur)
	if !ok {
		return nil, fmt.Errorf("HTTPRoute %s: annotation %s does not parse", cur.Name, ManagedRulesAnnotation)
	}
	wantRecs, _ := readRecords(desired)
	mine, added := recs[ro.Name].Rules, wantRecs[ro.Name].Rules
	var ops []Op
	rules := cur.Spec.Rules
	if !rulesInPlace(rules, mine, desired.Spec.Rules[:len(added)]) {
		for i := len(rules) - 1; i >= 0; i-- {
			if contains(mine, ruleName(rules[i])) {
				ops = append(ops, Op{Op: "remove", Path: fmt.Sprintf("/spec/rules/%d", i)})
			}
		}
		for i, rule := range desired.Spec.Rules[:len(added)] {
			ops = append(ops, Op{Op: "add", Path: fmt.Sprintf("/spec/rules/%d", i), Value: rule})
		}
	}
	// The rules not Serin's, in order, as they are now and as desired.
	var kept []gwv1.HTTPRouteRule
	for _, r := range rules {
		if !contains(mine, ruleName(r)) {
			kept = append(kept, r)
		}
	}
	want := desired.Spec.Rules[len(added):]
	if len(kept) != len(want) {
		return nil, fmt.Errorf("HTTPRoute %s: %d rules not Serin's, %d rendered", cur.Name, len(kept), len(want))
	}
	for i := range kept {
		ops = append(ops, backendOps(fmt.Sprintf("/spec/rules/%d/backendRefs", len(added)+i), kept[i].BackendRefs, want[i].BackendRefs)...)
	}
	ops = append(ops, annotationOps(cur.Annotations, desired.Annotations)...)
	if len(ops) == 0 || cur.ResourceVersion == "" {
		return ops, nil
	}
	return append([]Op{{Op: "replace", Path: "/metadata/resourceVersion", Value: cur.ResourceVersion}}, ops...), nil
}

// rulesInPlace reports whether rules already start with want and hold no other rule
// named in mine.
func rulesInPlace(rules []gwv1.HTTPRouteRule, mine []string, want []gwv1.HTTPRouteRule) bool {
	if len(rules) < len(want) || !reflect.DeepEqual(rules[:len(want)], want) {
		return false
	}
	for _, r := range rules[len(want):] {
		if contains(mine, ruleName(r)) {
			return false
		}
	}
	return true
}

// backendOps sets the weights of have (at path) that want changes, and adds the
// backends want has beyond have.
func backendOps(path string, have, want []gwv1.HTTPBackendRef) []Op {
	var ops []Op
	for j := range have {
		if j < len(want) && !reflect.DeepEqual(have[j].Weight, want[j].Weight) {
			ops = append(ops, Op{Op: "add", Path: fmt.Sprintf("%s/%d/weight", path, j), Value: *want[j].Weight})
		}
	}
	for j := len(have); j < len(want); j++ {
		ops = append(ops, Op{Op: "add", Path: path + "/-", Value: want[j]})
	}
	return ops
}

// annotationOps sets or removes ManagedRulesAnnotation as want has it.
func annotationOps(have, want map[string]string) []Op {
	v, wanted := want[ManagedRulesAnnotation]
	cur, present := have[ManagedRulesAnnotation]
	path := "/metadata/annotations/" + pointerEscape(ManagedRulesAnnotation)
	switch {
	case wanted && present && v == cur, !wanted && !present:
		return nil
	case !wanted:
		return []Op{{Op: "remove", Path: path}}
	case have == nil:
		return []Op{{Op: "add", Path: "/metadata/annotations", Value: map[string]string{ManagedRulesAnnotation: v}}}
	}
	return []Op{{Op: "add", Path: path, Value: v}}
}

// pointerEscape escapes s for a JSON pointer (RFC 6901).
func pointerEscape(s string) string {
	return strings.NewReplacer("~", "~0", "/", "~1").Replace(s)
}
