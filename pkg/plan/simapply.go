package plan

import (
	"fmt"
	"slices"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/serin-dev/serin/pkg/apis/rollouts/v1alpha1"
)

// Apply carries out one action as the cluster would; applying it again changes
// nothing. An action on an object the cluster does not hold is an error. A SetTraffic
// while the traffic state has a Problem fails in silence, as the router's write would:
// nothing changes.
func (c *SimCluster) Apply(a Action) error {
	switch {
	case a.CreateReplicaSet != nil:
		if c.rsByName(a.CreateReplicaSet.Name) == nil {
			rs := a.CreateReplicaSet.DeepCopy()
			rs.Generation = 1
			apiserverDefaults(&rs.Spec.Template)
			c.rss = append(c.rss, rs)
		}
	case a.ScaleReplicaSet != nil:
		rs := c.rsByName(a.ScaleReplicaSet.Name)
		if rs == nil {
			return notFound("ReplicaSet", a.ScaleReplicaSet.Name)
		}
		if replicasOf(rs) != a.ScaleReplicaSet.Replicas {
			rs.Spec.Replicas = int32p(a.ScaleReplicaSet.Replicas)
			rs.Generation++
		}
	case a.AnnotateRS != nil:
		rs := c.rsByName(a.AnnotateRS.Name)
		if rs == nil {
			return notFound("ReplicaSet", a.AnnotateRS.Name)
		}
		rs.Annotations = applyKeys(rs.Annotations, a.AnnotateRS.Annotations)
	case a.SetSelector != nil:
		svc := c.svcs[a.SetSelector.Service]
		if svc == nil {
			return notFound("Service", a.SetSelector.Service)
		}
		if svc.Spec.Selector == nil {
			svc.Spec.Selector = map[string]string{}
		}
		if a.SetSelector.Hash == "" {
			delete(svc.Spec.Selector, v1alpha1.DefaultRolloutUniqueLabelKey)
		} else {
			svc.Spec.Selector[v1alpha1.DefaultRolloutUniqueLabelKey] = a.SetSelector.Hash
		}
	case a.DeleteReplicaSet != nil:
		for i, rs := range c.rss {
			if rs.Name == *a.DeleteReplicaSet {
				c.rss = append(c.rss[:i], c.rss[i+1:]...)
				break
			}
		}
	case a.AdoptReplicaSet != nil:
		rs := c.rsByName(*a.AdoptReplicaSet)
		if rs == nil {
			return notFound("ReplicaSet", *a.AdoptReplicaSet)
		}
		rs.OwnerReferences = []metav1.OwnerReference{*metav1.NewControllerRef(c.ro, v1alpha1.SchemeGroupVersion.WithKind("Rollout"))}
	case a.EvictPod != nil:
		c.evict(*a.EvictPod)
	case a.SetPodMetadata != nil:
		return c.setPodMetadata(a.SetPodMetadata)
	case a.CreateAnalysisRun != nil:
		if c.AnalysisRun(a.CreateAnalysisRun.Name) == nil {
			run := a.CreateAnalysisRun.DeepCopy()
			run.CreationTimestamp = metav1.NewTime(c.now)
			c.runs = append(c.runs, run)
		}
	case a.TerminateAnalysisRun != nil:
		// The AnalysisRun controller ends a terminated run Successful unless it failed.
		if run := c.AnalysisRun(*a.TerminateAnalysisRun); run != nil {
			run.Spec.Terminate = true
			if !run.Status.Phase.Completed() {
				run.Status.Phase = v1alpha1.AnalysisPhaseSuccessful
			}
		}
	case a.DeleteAnalysisRun != nil:
		for i, run := range c.runs {
			if run.Name == *a.DeleteAnalysisRun {
				c.runs = append(c.runs[:i], c.runs[i+1:]...)
				break
			}
		}
	case a.SetTraffic != nil:
		if c.traffic != nil && c.traffic.Problem != "" {
			return nil // the router cannot act: the write fails and nothing changes
		}
		if c.traffic == nil || c.traffic.CanaryWeight != a.SetTraffic.CanaryWeight {
			c.weights = append(c.weights, a.SetTraffic.CanaryWeight)
		}
		c.traffic = &TrafficState{CanaryWeight: a.SetTraffic.CanaryWeight, HeaderRoutes: a.SetTraffic.HeaderRoutes}
	case a.AddFinalizer != nil:
		if !slices.Contains(c.ro.Finalizers, *a.AddFinalizer) {
			c.ro.Finalizers = append(c.ro.Finalizers, *a.AddFinalizer)
		}
	case a.RemoveFinalizer != nil:
		c.ro.Finalizers = slices.DeleteFunc(c.ro.Finalizers, func(f string) bool { return f == *a.RemoveFinalizer })
	default:
		return fmt.Errorf("the simulated cluster does not know action %+v", a)
	}
	return nil
}

func notFound(kind, name string) error { return fmt.Errorf("%s %s not found", kind, name) }

// evict starts the pod terminating; the ReplicaSet's status does not show it yet (as on
// a real cluster, where the ReplicaSet controller catches up later).
func (c *SimCluster) evict(name string) {
	for _, rs := range c.rss {
		for _, pod := range c.podsOf[rs.Name] {
			if pod.Name == name && pod.DeletionTimestamp == nil {
				t := metav1.NewTime(c.now)
				pod.DeletionTimestamp = &t
				c.evicted = append(c.evicted, pod.Name)
			}
		}
	}
}

// setPodMetadata patches a ReplicaSet's pod template (a new generation) or one pod.
func (c *SimCluster) setPodMetadata(m *PodMetadataPatch) error {
	if m.ReplicaSet != "" {
		rs := c.rsByName(m.ReplicaSet)
		if rs == nil {
			return notFound("ReplicaSet", m.ReplicaSet)
		}
		rs.Spec.Template.Labels = applyKeys(rs.Spec.Template.Labels, m.Labels)
		rs.Spec.Template.Annotations = applyKeys(rs.Spec.Template.Annotations, m.Annotations)
		rs.Generation++
		return nil
	}
	for _, rs := range c.rss {
		for _, pod := range c.podsOf[rs.Name] {
			if pod.Name == m.Pod {
				pod.Labels = applyKeys(pod.Labels, m.Labels)
				pod.Annotations = applyKeys(pod.Annotations, m.Annotations)
			}
		}
	}
	return nil
}

// apiserverDefaults fills in what the apiserver adds to a ReplicaSet's pod template (and
// not to a Rollout's, a custom resource).
func apiserverDefaults(t *corev1.PodTemplateSpec) {
	t.Spec.RestartPolicy = corev1.RestartPolicyAlways
	t.Spec.DNSPolicy = corev1.DNSClusterFirst
	t.Spec.SchedulerName = corev1.DefaultSchedulerName
	t.Spec.SecurityContext = &corev1.PodSecurityContext{}
	grace := int64(30)
	t.Spec.TerminationGracePeriodSeconds = &grace
	for i := range t.Spec.Containers {
		t.Spec.Containers[i].ImagePullPolicy = corev1.PullIfNotPresent
		t.Spec.Containers[i].TerminationMessagePath = corev1.TerminationMessagePathDefault
		t.Spec.Containers[i].TerminationMessagePolicy = corev1.TerminationMessageReadFile
	}
}
