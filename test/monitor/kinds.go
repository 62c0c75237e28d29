package monitor

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/serin-dev/serin/pkg/apis/rollouts/v1alpha1"
)

// Kind is one kind the monitor watches: its resource, and how an object of it (its
// state after a change, or its last state when deleted) enters the State the
// invariants read. Adding a kind (HTTPRoute, say) is one more entry in Kinds.
type Kind struct {
	Name     string // the objects' kind, e.g. "ReplicaSet"
	Resource schema.GroupVersionResource
	// Apply records the object in s; deleted means it is gone.
	Apply func(s *State, o *unstructured.Unstructured, deleted bool) error
	// Describe is what a person reading the record needs of the object, in a few words.
	Describe func(o *unstructured.Unstructured) string
}

// Kinds are the kinds the monitor watches by default.
var Kinds = []Kind{
	{Name: "Rollout", Resource: v1alpha1.SchemeGroupVersion.WithResource("rollouts"), Apply: applyRollout,
		Describe: fields("spec.template.spec.containers.0.image", "status.phase", "status.currentStepIndex", "status.abort", "status.stableRS")},
	{Name: "ReplicaSet", Resource: appsv1.SchemeGroupVersion.WithResource("replicasets"), Apply: applyReplicaSet,
		Describe: fields("spec.replicas", "status.availableReplicas", "metadata.deletionTimestamp")},
	{Name: "Pod", Resource: corev1.SchemeGroupVersion.WithResource("pods"), Apply: applyPod,
		Describe: fields("metadata.labels."+HashLabel, "status.phase", "metadata.deletionTimestamp")},
	{Name: "Service", Resource: corev1.SchemeGroupVersion.WithResource("services"), Apply: applyService,
		Describe: fields("spec.selector." + HashLabel)},
	{Name: "Ingress", Resource: networkingv1.SchemeGroupVersion.WithResource("ingresses"), Apply: applyNginxIngress,
		Describe: fields("metadata.annotations." + nginxWeight)},
}

// fields describes an object by the values at these dotted paths (a number indexes a
// list), as path=value, leaving out those it lacks.
func fields(paths ...string) func(*unstructured.Unstructured) string {
	return func(o *unstructured.Unstructured) string {
		var parts []string
		for _, p := range paths {
			if v, ok := at(o.Object, strings.Split(p, ".")); ok {
				name := p[strings.LastIndex(p, ".")+1:]
				if i := strings.LastIndex(p, "/"); i >= 0 {
					name = p[i+1:] // an annotation's name
				}
				parts = append(parts, fmt.Sprintf("%s=%v", name, v))
			}
		}
		return strings.Join(parts, " ")
	}
}

// at is the value at a path of field names (labels may hold dots: the rest of the path
// is tried as one key too) and list indexes.
func at(v any, path []string) (any, bool) {
	if len(path) == 0 {
		return v, v != nil
	}
	switch x := v.(type) {
	case map[string]any:
		if w, ok := x[strings.Join(path, ".")]; ok {
			return w, w != nil
		}
		return at(x[path[0]], path[1:])
	case []any:
		i, err := strconv.Atoi(path[0])
		if err != nil || i >= len(x) {
			return nil, false
		}
		return at(x[i], path[1:])
	}
	return nil, false
}

// kindNamed is the entry of Kinds for an object's kind.
func kindNamed(kinds []Kind, name string) (Kind, bool) {
	for _, k := range kinds {
		if k.Name == name {
			return k, true
		}
	}
	return Kind{}, false
}

// HashLabel is the label by which ReplicaSets, their pods and the Services name a revision.
const HashLabel = v1alpha1.DefaultRolloutUniqueLabelKey

const (
	nginxCanary = "nginx.ingress.kubernetes.io/canary"
	nginxWeight = "nginx.ingress.kubernetes.io/canary-weight"
)

func typed(o *unstructured.Unstructured, into any) error {
	return runtime.DefaultUnstructuredConverter.FromUnstructured(o.Object, into)
}

func keyOf(o *unstructured.Unstructured) Key {
	return Key{Namespace: o.GetNamespace(), Name: o.GetName()}
}

func applyRollout(s *State, o *unstructured.Unstructured, deleted bool) error {
	if deleted {
		delete(s.Rollouts, keyOf(o))
		return nil
	}
	var ro v1alpha1.Rollout
	if err := typed(o, &ro); err != nil {
		return err
	}
	r := &Rollout{Replicas: 1, Aborted: ro.Status.Abort}
	if ro.Spec.Replicas != nil {
		r.Replicas = *ro.Spec.Replicas
	}
	switch st := ro.Spec.Strategy; {
	case st.Canary != nil:
		r.StableService, r.CanaryService = st.Canary.StableService, st.Canary.CanaryService
	case st.BlueGreen != nil:
		r.StableService = st.BlueGreen.ActiveService
	}
	s.Rollouts[keyOf(o)] = r
	return nil
}

func applyReplicaSet(s *State, o *unstructured.Unstructured, deleted bool) error {
	if deleted {
		delete(s.ReplicaSets, keyOf(o))
		return nil
	}
	var rs appsv1.ReplicaSet
	if err := typed(o, &rs); err != nil {
		return err
	}
	r := &ReplicaSet{Hash: rs.Labels[HashLabel], Available: rs.Status.AvailableReplicas, Deleting: rs.DeletionTimestamp != nil}
	if rs.Spec.Replicas != nil {
		r.Replicas = *rs.Spec.Replicas
	}
	for _, ref := range rs.OwnerReferences {
		if ref.Kind == "Rollout" {
			r.Owner = ref.Name
		}
	}
	// The template without the revision's own label: two ReplicaSets of one template
	// differ only there.
	tmpl := rs.Spec.Template.DeepCopy()
	delete(tmpl.Labels, HashLabel)
	data, err := json.Marshal(tmpl)
	if err != nil {
		return err
	}
	r.Template = string(data)
	s.ReplicaSets[keyOf(o)] = r
	return nil
}

func applyPod(s *State, o *unstructured.Unstructured, deleted bool) error {
	if deleted {
		delete(s.Pods, keyOf(o))
		return nil
	}
	var p corev1.Pod
	if err := typed(o, &p); err != nil {
		return err
	}
	ready := false
	for _, c := range p.Status.Conditions {
		if c.Type == corev1.PodReady {
			ready = c.Status == corev1.ConditionTrue
		}
	}
	s.Pods[keyOf(o)] = &Pod{Labels: p.Labels, Serving: ready && p.DeletionTimestamp == nil}
	return nil
}

func applyService(s *State, o *unstructured.Unstructured, deleted bool) error {
	k := keyOf(o)
	if deleted {
		delete(s.Services, k)
		return nil
	}
	var svc corev1.Service
	if err := typed(o, &svc); err != nil {
		return err
	}
	next := &Service{Selector: svc.Spec.Selector}
	if prev := s.Services[k]; prev != nil {
		next.PrevHash = prev.Selector[HashLabel]
	}
	s.Services[k] = next
	return nil
}

// applyNginxIngress records canary Ingresses (nginx's canary annotation): the Service
// their weight goes to and the weight.
func applyNginxIngress(s *State, o *unstructured.Unstructured, deleted bool) error {
	k := keyOf(o)
	var ing networkingv1.Ingress
	if err := typed(o, &ing); err != nil {
		return err
	}
	if deleted || ing.Annotations[nginxCanary] != "true" {
		delete(s.Routes, k)
		return nil
	}
	weight, _ := strconv.Atoi(ing.Annotations[nginxWeight])
	r := &Route{Weight: weight}
	for _, rule := range ing.Spec.Rules {
		if rule.HTTP == nil {
			continue
		}
		for _, path := range rule.HTTP.Paths {
			if path.Backend.Service != nil && r.Service == "" {
				r.Service = path.Backend.Service.Name
			}
		}
	}
	s.Routes[k] = r
	return nil
}
