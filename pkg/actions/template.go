package actions

import (
	"bytes"
	"encoding/json"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"

	"github.com/serin-dev/serin/pkg/apis/rollouts/v1alpha1"
	"github.com/serin-dev/serin/pkg/plan"
	"github.com/serin-dev/serin/pkg/replicaset"
)

// apiDefault is a field the API server fills into a ReplicaSet's pod template when the
// Rollout's template left it out: key, anywhere in the template, holding value.
type apiDefault struct {
	key   string
	value any
}

// apiDefaults are the pod template defaults Kubernetes applies; a Rollout's template
// (a custom resource) gets none of them.
var apiDefaults = []apiDefault{
	{"restartPolicy", "Always"},
	{"terminationGracePeriodSeconds", json.Number("30")},
	{"dnsPolicy", "ClusterFirst"},
	{"schedulerName", "default-scheduler"},
	{"terminationMessagePath", "/dev/termination-log"},
	{"terminationMessagePolicy", "File"},
	{"imagePullPolicy", "IfNotPresent"},
	{"imagePullPolicy", "Always"},
	{"protocol", "TCP"},
	{"scheme", "HTTP"},
	{"timeoutSeconds", json.Number("1")},
	{"periodSeconds", json.Number("10")},
	{"successThreshold", json.Number("1")},
	{"failureThreshold", json.Number("3")},
	{"defaultMode", json.Number("420")},
}

// RestoreTemplate is the Rollout template a ReplicaSet was created from: its own template
// without the pod-template-hash label and without the defaults the API server added. The
// controller records the template's digest on the ReplicaSet; RestoreTemplate tries the
// combinations of removable defaults until one matches it (exact true). Without a match
// (or a digest) it returns the ReplicaSet's template with its defaults (exact false).
func RestoreTemplate(rs *appsv1.ReplicaSet) (corev1.PodTemplateSpec, bool) {
	tpl := *rs.Spec.Template.DeepCopy()
	delete(tpl.Labels, v1alpha1.DefaultRolloutUniqueLabelKey)
	if len(tpl.Labels) == 0 {
		tpl.Labels = nil
	}
	digest := rs.Annotations[plan.AnnotationTemplateDigest]
	if digest == "" {
		return tpl, false
	}
	if replicaset.TemplateDigest(&tpl) == digest {
		return tpl, true
	}
	tree := toTree(&tpl)
	var present []apiDefault
	for _, d := range apiDefaults {
		if contains(tree, d) {
			present = append(present, d)
		}
	}
	if len(present) > 16 {
		return tpl, false
	}
	// Most often the template set none of the defaults: try removing all of them first,
	// then every smaller combination.
	for mask := (1 << len(present)) - 1; mask > 0; mask-- {
		candidate := toTree(&tpl)
		for i, d := range present {
			if mask&(1<<i) != 0 {
				candidate = remove(candidate, d)
			}
		}
		var out corev1.PodTemplateSpec
		b, err := json.Marshal(candidate)
		if err != nil || json.Unmarshal(b, &out) != nil {
			continue
		}
		if replicaset.TemplateDigest(&out) == digest {
			return out, true
		}
	}
	return tpl, false
}

func toTree(tpl *corev1.PodTemplateSpec) any {
	b, err := json.Marshal(tpl)
	if err != nil {
		panic(err) // a PodTemplateSpec always marshals
	}
	var v any
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	if err := dec.Decode(&v); err != nil {
		panic(err)
	}
	return v
}

func contains(v any, d apiDefault) bool {
	switch v := v.(type) {
	case map[string]any:
		for k, child := range v {
			if k == d.key && child == d.value || contains(child, d) {
				return true
			}
		}
	case []any:
		for _, child := range v {
			if contains(child, d) {
				return true
			}
		}
	}
	return false
}

// remove deletes every key d.key holding d.value, anywhere in v.
func remove(v any, d apiDefault) any {
	switch v := v.(type) {
	case map[string]any:
		for k, child := range v {
			if k == d.key && child == d.value {
				delete(v, k)
				continue
			}
			v[k] = remove(child, d)
		}
	case []any:
		for i := range v {
			v[i] = remove(v[i], d)
		}
	}
	return v
}
