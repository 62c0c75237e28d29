package preview

import (
	"fmt"
	"maps"
	"strconv"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/serin-dev/serin/pkg/apis/rollouts/v1alpha1"
	"github.com/serin-dev/serin/pkg/plan"
)

// PreviousHash stands for the stable revision's pod template hash in an offline preview.
const PreviousHash = "previous"

// Offline is the Cluster an offline preview starts from: the Rollout's template is an
// update of a stable revision (ReplicaSet <rollout>-previous) running every replica, with
// no traffic on the canary. Services the manifests did not hold are made from the
// Rollout's selector; stable Ingresses they did not hold are left out, with a note.
// Analysis templates come from the manifests too.
func Offline(ro *v1alpha1.Rollout, m Manifests) (Cluster, []string) {
	services, ingresses := m.Services, m.Ingresses
	ro = ro.DeepCopy()
	CRDDefaults(&ro.Spec.Template)
	c := ro.Spec.Strategy.Canary
	replicas := int32(1)
	if ro.Spec.Replicas != nil {
		replicas = *ro.Spec.Replicas
	}
	var notes []string
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
		},
		Spec: appsv1.ReplicaSetSpec{Replicas: &replicas, Template: *tpl},
	}
	available(stable)
	svcs := map[string]*corev1.Service{}
	for _, name := range []string{c.StableService, c.CanaryService} {
		if name == "" {
			continue
		}
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
	ings := map[string]*networkingv1.Ingress{}
	var traffic *plan.TrafficState
	if c.TrafficRouting != nil && c.TrafficRouting.Nginx != nil {
		n := c.TrafficRouting.Nginx
		for _, name := range append([]string{n.StableIngress}, n.StableIngresses...) {
			if name == "" {
				continue
			}
			if ing := ingresses[name]; ing != nil {
				ings[name] = ing
			} else {
				notes = append(notes, fmt.Sprintf("stable Ingress %s is not in the manifests: its canary Ingress is not shown (give it with -f, or use --from-cluster)", name))
			}
		}
		traffic = &plan.TrafficState{}
	}
	return Cluster{
		Rollout: ro, ReplicaSets: []*appsv1.ReplicaSet{stable}, Services: svcs, Ingresses: ings, Traffic: traffic,
		AnalysisTemplates: m.AnalysisTemplates, ClusterAnalysisTemplates: m.ClusterAnalysisTemplates,
	}, notes
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
