package preview

import (
	"fmt"
	"maps"
	"strconv"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/serin-dev/serin/pkg/apis/rollouts/v1alpha1"
	"github.com/serin-dev/serin/pkg/plan"
	"github.com/serin-dev/serin/pkg/refs"
	"github.com/serin-dev/serin/pkg/trafficrouting"
)

// PreviousHash stands for the stable revision's pod template hash in an offline preview.
const PreviousHash = "previous"

// Offline is the Cluster an offline preview starts from: the Rollout's template is an
// update of a stable revision (ReplicaSet <rollout>-previous) running every replica, with
// no traffic on the canary. Services the manifests did not hold are made from the
// Rollout's selector; objects its traffic router reads that they did not hold (e.g. a
// stable Ingress) are left out, with a note. Analysis templates come from the manifests
// too.
func Offline(ro *v1alpha1.Rollout, m Manifests) (Cluster, []string) {
	ro = ro.DeepCopy()
	CRDDefaults(&ro.Spec.Template)
	c := ro.Spec.Strategy.Canary
	replicas := int32(1)
	if ro.Spec.Replicas != nil {
		replicas = *ro.Spec.Replicas
	}
	if c == nil {
		return Cluster{Rollout: ro}, nil
	}
	ro.Status = v1alpha1.RolloutStatus{
		StableRS: PreviousHash, CurrentPodHash: PreviousHash,
		CurrentStepIndex: ptr(int32(len(c.Steps))), CurrentStepHash: plan.StepsHash(c.Steps),
	}
	tpl := ro.Spec.Template.DeepCopy()
	tpl.Labels = maps.Clone(tpl.Labels)
	if tpl.Labels == nil {
		tpl.Labels = map[string]string{}
	}
	tpl.Labels[v1alpha1.DefaultRolloutUniqueLabelKey] = PreviousHash
	stable := &appsv1.ReplicaSet{
		ObjectMeta: metav1.ObjectMeta{
			Name: ro.Name + "-" + PreviousHash, Namespace: ro.Namespace,
			Labels:      map[string]string{v1alpha1.DefaultRolloutUniqueLabelKey: PreviousHash},
			Annotations: map[string]string{plan.AnnotationRevision: strconv.Itoa(1)},
			// The Rollout's, as on the cluster: not an orphan for the plan to adopt.
			OwnerReferences: []metav1.OwnerReference{*metav1.NewControllerRef(ro, v1alpha1.SchemeGroupVersion.WithKind("Rollout"))},
		},
		Spec: appsv1.ReplicaSetSpec{Replicas: &replicas, Template: *tpl},
	}
	available(stable)
	svcs, notes := offlineServices(ro, m.Services)
	objs, more := offlineRouterObjects(ro, m.RouterObjects)
	notes = append(notes, more...)
	var traffic *plan.TrafficState
	if name, err := trafficrouting.Name(ro); err == nil && name != "" {
		traffic = &plan.TrafficState{}
	}
	return Cluster{
		Rollout: ro, ReplicaSets: []*appsv1.ReplicaSet{stable}, Services: svcs, RouterObjects: objs, Traffic: traffic,
		AnalysisTemplates: m.AnalysisTemplates, ClusterAnalysisTemplates: m.ClusterAnalysisTemplates,
	}, notes
}

// offlineServices are ro's Services, from services or made from its selector, all
// selecting the previous revision.
func offlineServices(ro *v1alpha1.Rollout, services map[string]*corev1.Service) (map[string]*corev1.Service, []string) {
	var notes []string
	svcs := map[string]*corev1.Service{}
	for _, name := range refs.Of(ro).ServiceNames() {
		svc := services[name]
		if svc == nil {
			svc = &corev1.Service{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ro.Namespace}}
			if ro.Spec.Selector != nil {
				svc.Spec.Selector = maps.Clone(ro.Spec.Selector.MatchLabels)
			}
			notes = append(notes, fmt.Sprintf("Service %s is not in the manifests: taken to select the Rollout's pods", name))
		}
		svc = svc.DeepCopy()
		if svc.Spec.Selector == nil {
			svc.Spec.Selector = map[string]string{}
		}
		svc.Spec.Selector[v1alpha1.DefaultRolloutUniqueLabelKey] = PreviousHash
		svcs[name] = svc
	}
	return svcs, notes
}

// offlineRouterObjects are the objects of objs ro's router reads, in ro's namespace
// (manifests often leave it out), with a note for each it reads that objs lacks.
func offlineRouterObjects(ro *v1alpha1.Rollout, objs []runtime.Object) ([]runtime.Object, []string) {
	given := map[string]runtime.Object{}
	for _, obj := range objs {
		if m, ok := obj.(metav1.Object); ok && (m.GetNamespace() == "" || m.GetNamespace() == ro.Namespace) {
			given[trafficrouting.KindOf(obj)+"/"+m.GetName()] = obj
		}
	}
	router, _ := trafficrouting.Name(ro)
	var out []runtime.Object
	var notes []string
	for _, o := range trafficrouting.Refs(ro).Router {
		obj := given[o.Kind+"/"+o.Name]
		switch {
		case obj != nil:
			obj = obj.DeepCopyObject()
			obj.(metav1.Object).SetNamespace(ro.Namespace)
			out = append(out, obj)
		case !o.Written:
			notes = append(notes, fmt.Sprintf("%s %s %s is not in the manifests: what the %s router writes for it is not shown (give it with -f, or use --from-cluster)", o.Role, o.Kind, o.Name, router))
		}
	}
	return out, notes
}

func ptr[T any](v T) *T { return &v }

func describe(s *v1alpha1.CanaryStep) string { return plan.DescribeStep(s) }

// CRDDefaults fills in the defaults the Rollout CRD's schema gives a pod template (the
// API server applies them on create, and the revision hash covers them): a container
// port's protocol TCP, an env fileKeyRef's optional false. Without them an offline
// preview would name another revision than the cluster will.
func CRDDefaults(tpl *corev1.PodTemplateSpec) {
	spec := &tpl.Spec
	for _, list := range [][]corev1.Container{spec.InitContainers, spec.Containers} {
		for i := range list {
			ct := &list[i]
			for j := range ct.Ports {
				if ct.Ports[j].Protocol == "" {
					ct.Ports[j].Protocol = corev1.ProtocolTCP
				}
			}
			for j := range ct.Env {
				if vf := ct.Env[j].ValueFrom; vf != nil && vf.FileKeyRef != nil && vf.FileKeyRef.Optional == nil {
					vf.FileKeyRef.Optional = ptr(false)
				}
			}
		}
	}
}
