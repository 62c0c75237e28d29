package rollout

import (
	"fmt"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/cache"

	"github.com/serin-dev/serin/pkg/apis/rollouts/v1alpha1"
	"github.com/serin-dev/serin/pkg/plan"
	"github.com/serin-dev/serin/pkg/refs"
	"github.com/serin-dev/serin/pkg/trafficrouting"
)

// gather builds the plan's Input for ro from the caches only, and returns the router
// (nil without trafficRouting) the apply step uses. The objects in the Input are the
// caches' own: the plan only reads them.
func (c *Controller) gather(ro *v1alpha1.Rollout) (plan.Input, trafficrouting.Router, error) {
	in := plan.Input{Rollout: ro, Now: c.clock.Now(), ObservedPauses: c.pauses.of(cache.MetaObjectToName(ro)), FailFast: c.failFast}

	rss, err := c.ownedReplicaSets(ro)
	if err != nil {
		return in, nil, err
	}
	in.ReplicaSets = rss
	if in.Orphans, err = c.orphanedReplicaSets(ro); err != nil {
		return in, nil, err
	}
	if rs, err := c.replicaSets.ReplicaSets(ro.Namespace).Get(plan.NewReplicaSetName(ro)); err == nil && !ownedBy(rs, ro) {
		in.NameTakenBy = rs
	}

	in.Services = map[string]*corev1.Service{}
	for _, name := range refs.Of(ro).ServiceNames() {
		svc, err := c.services.Services(ro.Namespace).Get(name)
		if err == nil {
			in.Services[name] = svc
		}
	}

	if plan.NeedsPods(ro, rss) {
		in.Pods = c.podsOf(ro.Namespace, rss)
	}
	in.ReadyPods = c.readyPods(ro.Namespace, rss)

	if err := c.gatherAnalysis(ro, &in); err != nil {
		return in, nil, err
	}

	router, err := c.routerFor(ro, c.routerDeps)
	switch {
	case err != nil:
		in.Traffic = &plan.TrafficState{Problem: err.Error()}
		router = nil
	case router != nil:
		in.Traffic = router.Observe(ro)
	}
	return in, router, nil
}

// ownedReplicaSets are the ReplicaSets ro controls.
func (c *Controller) ownedReplicaSets(ro *v1alpha1.Rollout) ([]*appsv1.ReplicaSet, error) {
	objs, err := c.rsIndex.ByIndex(indexByControllerUID, string(ro.UID))
	if err != nil {
		return nil, fmt.Errorf("replicasets of %s: %w", ro.Name, err)
	}
	rss := make([]*appsv1.ReplicaSet, 0, len(objs))
	for _, o := range objs {
		if rs, ok := o.(*appsv1.ReplicaSet); ok && rs.Namespace == ro.Namespace {
			rss = append(rss, rs)
		}
	}
	return rss, nil
}

// orphanedReplicaSets are the cached ReplicaSets (all carry a pod template hash) that
// have no controller and that ro's selector selects: the plan adopts them.
func (c *Controller) orphanedReplicaSets(ro *v1alpha1.Rollout) ([]*appsv1.ReplicaSet, error) {
	if ro.Spec.Selector == nil || ro.DeletionTimestamp != nil {
		return nil, nil
	}
	sel, err := metav1.LabelSelectorAsSelector(ro.Spec.Selector)
	if err != nil || sel.Empty() {
		return nil, nil // an invalid or empty selector: validation reports it
	}
	candidates, err := c.replicaSets.ReplicaSets(ro.Namespace).List(sel)
	if err != nil {
		return nil, fmt.Errorf("replicasets of %s: %w", ro.Name, err)
	}
	var orphans []*appsv1.ReplicaSet
	for _, rs := range candidates {
		if metav1.GetControllerOfNoCopy(rs) == nil && rs.DeletionTimestamp == nil {
			orphans = append(orphans, rs)
		}
	}
	return orphans, nil
}

// podsOf are the pods of the ReplicaSets rss.
func (c *Controller) podsOf(namespace string, rss []*appsv1.ReplicaSet) []*corev1.Pod {
	var pods []*corev1.Pod
	for _, rs := range rss {
		pods = append(pods, c.podsOfRS(namespace, rs)...)
	}
	return pods
}

// readyPods are, by name, the Ready pods not being deleted of each ReplicaSet of rss
// (plan.Input.ReadyPods): the plan trusts no ReplicaSet status beyond them. The pod
// cache keeps of each pod its deletionTimestamp and Ready condition (minimalPod).
func (c *Controller) readyPods(namespace string, rss []*appsv1.ReplicaSet) map[string]plan.ReadyPods {
	out := make(map[string]plan.ReadyPods, len(rss))
	for _, rs := range rss {
		out[rs.Name] = plan.ReadyPodsOf(c.podsOfRS(namespace, rs))
	}
	return out
}

// podsOfRS are the pods rs controls (a hash alone is not enough: two Rollouts with the
// same template share it).
func (c *Controller) podsOfRS(namespace string, rs *appsv1.ReplicaSet) []*corev1.Pod {
	objs, err := c.podIndex.ByIndex(indexPodByHash, namespace+"/"+rs.Labels[v1alpha1.DefaultRolloutUniqueLabelKey])
	if err != nil {
		return nil
	}
	var pods []*corev1.Pod
	for _, o := range objs {
		pod, ok := o.(*corev1.Pod)
		if !ok {
			continue
		}
		if ref := metav1.GetControllerOfNoCopy(pod); ref != nil && ref.UID == rs.UID {
			pods = append(pods, pod)
		}
	}
	return pods
}

// cachedVersion looks objects of ro's namespace up in the caches, for expectations.
func (c *Controller) cachedVersion(namespace string) lookup {
	return func(ref objectRef) (string, bool) {
		var obj metav1.Object
		var err error
		switch ref.Kind {
		case kindRollout:
			obj, err = c.rollouts.Rollouts(namespace).Get(ref.Name)
		case kindReplicaSet:
			obj, err = c.replicaSets.ReplicaSets(namespace).Get(ref.Name)
		case kindService:
			obj, err = c.services.Services(namespace).Get(ref.Name)
		case kindPod:
			obj, err = c.pods.Pods(namespace).Get(ref.Name)
		case kindAnalysisRun:
			obj, err = c.runs.AnalysisRuns(namespace).Get(ref.Name)
		default:
			return "", false
		}
		if err != nil {
			return "", false
		}
		return obj.GetResourceVersion(), true
	}
}
