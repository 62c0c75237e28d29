package rollout

import (
	"encoding/json"
	"reflect"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"

	"github.com/serin-dev/serin/pkg/apis/rollouts/v1alpha1"
	"github.com/serin-dev/serin/pkg/replicaset"
)

// undefaultTemplates works around a mismatch between pkg/plan and a real API server.
// The plan finds the ReplicaSet of the current template by its hash label and treats it
// as a hash collision when its template differs from the Rollout's. But the API server
// fills in defaults on a ReplicaSet's pod template (imagePullPolicy, restartPolicy,
// probe timeouts, terminationMessagePath, ...) and not on a Rollout's (a custom
// resource), so every ReplicaSet the controller creates would look like a collision and
// the controller would create a new one, with the next collision count, forever.
//
// Here the ReplicaSet of the current hash is shown to the plan with the Rollout's own
// template when the only differences are fields the Rollout leaves unset (defaults);
// a ReplicaSet whose template disagrees on a field the Rollout sets still reaches the
// plan as it is, and is still a collision.
func undefaultTemplates(ro *v1alpha1.Rollout, rss []*appsv1.ReplicaSet) []*appsv1.ReplicaSet {
	hash := replicaset.PodTemplateHash(&ro.Spec.Template, ro.Status.CollisionCount)
	for i, rs := range rss {
		if rs.Labels[v1alpha1.DefaultRolloutUniqueLabelKey] != hash {
			continue
		}
		if !definedEqual(&ro.Spec.Template, &rs.Spec.Template) {
			return rss
		}
		out := make([]*appsv1.ReplicaSet, len(rss))
		copy(out, rss)
		shown := rs.DeepCopy()
		shown.Spec.Template = *ro.Spec.Template.DeepCopy()
		if shown.Spec.Template.Labels == nil {
			shown.Spec.Template.Labels = map[string]string{}
		}
		shown.Spec.Template.Labels[v1alpha1.DefaultRolloutUniqueLabelKey] = hash
		out[i] = shown
		return out
	}
	return rss
}

// definedEqual reports whether every field set in want has the same value in got
// (apart from the hash label); fields only got sets are taken as defaults.
func definedEqual(want, got *corev1.PodTemplateSpec) bool {
	g := got.DeepCopy()
	delete(g.Labels, v1alpha1.DefaultRolloutUniqueLabelKey)
	w, err1 := toJSONValue(want)
	h, err2 := toJSONValue(g)
	if err1 != nil || err2 != nil {
		return false
	}
	return subset(w, h)
}

func toJSONValue(v any) (any, error) {
	data, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	var out any
	return out, json.Unmarshal(data, &out)
}

// subset: maps by key (keys of want only), lists element by element (same length),
// anything else equal.
func subset(want, got any) bool {
	switch w := want.(type) {
	case map[string]any:
		g, ok := got.(map[string]any)
		if !ok {
			return len(w) == 0 && got == nil
		}
		for k, wv := range w {
			if !subset(wv, g[k]) {
				return false
			}
		}
		return true
	case []any:
		g, ok := got.([]any)
		if !ok || len(g) != len(w) {
			return false
		}
		for i := range w {
			if !subset(w[i], g[i]) {
				return false
			}
		}
		return true
	default:
		return reflect.DeepEqual(want, got)
	}
}
