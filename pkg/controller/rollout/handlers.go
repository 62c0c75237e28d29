package rollout

import (
	"fmt"
	"maps"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/cache"

	"github.com/serin-dev/serin/pkg/apis/rollouts/v1alpha1"
	"github.com/serin-dev/serin/pkg/diagnosis"
	"github.com/serin-dev/serin/pkg/plan"
	"github.com/serin-dev/serin/pkg/replicaset"
)

// registerHandlers maps every change the controller cares about to the Rollouts it
// concerns. Updates that change nothing (same resourceVersion) are ignored.
func (c *Controller) registerHandlers(inf *Informers) error {
	handlers := []struct {
		informer cache.SharedIndexInformer
		handler  cache.ResourceEventHandlerFuncs
	}{
		{inf.Rollouts, cache.ResourceEventHandlerFuncs{
			AddFunc:    c.enqueue,
			UpdateFunc: changed(func(_, cur any) { c.enqueue(cur) }),
			DeleteFunc: c.enqueue,
		}},
		{inf.ReplicaSets, cache.ResourceEventHandlerFuncs{
			AddFunc:    c.enqueueOwner,
			UpdateFunc: changed(c.replicaSetUpdated),
			DeleteFunc: c.enqueueOwner,
		}},
		{inf.Pods, cache.ResourceEventHandlerFuncs{
			AddFunc:    c.podAdded,
			UpdateFunc: changed(c.podUpdated),
			DeleteFunc: c.podDeleted,
		}},
		{inf.Services, cache.ResourceEventHandlerFuncs{
			AddFunc:    c.serviceChanged,
			UpdateFunc: changed(c.serviceUpdated),
			DeleteFunc: c.serviceChanged,
		}},
		{inf.AnalysisRuns, cache.ResourceEventHandlerFuncs{
			AddFunc:    c.enqueueOwner,
			UpdateFunc: changed(c.analysisRunUpdated),
			DeleteFunc: c.enqueueOwner,
		}},
		{inf.AnalysisTemplates, templateHandler(c)},
	}
	if inf.ClusterAnalysisTemplates != nil {
		handlers = append(handlers, struct {
			informer cache.SharedIndexInformer
			handler  cache.ResourceEventHandlerFuncs
		}{inf.ClusterAnalysisTemplates, templateHandler(c)})
	}
	for kind, informer := range inf.Router {
		onChange := c.routerObjectChanged(kind)
		handlers = append(handlers, struct {
			informer cache.SharedIndexInformer
			handler  cache.ResourceEventHandlerFuncs
		}{informer, cache.ResourceEventHandlerFuncs{
			AddFunc:    onChange,
			UpdateFunc: changed(func(old, cur any) { onChange(old); onChange(cur) }),
			DeleteFunc: onChange,
		}})
	}
	for _, h := range handlers {
		if _, err := h.informer.AddEventHandler(h.handler); err != nil {
			return fmt.Errorf("event handler: %w", err)
		}
	}
	return nil
}

// changed wraps an update handler to skip updates that change nothing.
func changed(f func(old, cur any)) func(old, cur any) {
	return func(old, cur any) {
		o, ok1 := old.(metav1.Object)
		n, ok2 := cur.(metav1.Object)
		if ok1 && ok2 && o.GetResourceVersion() == n.GetResourceVersion() {
			return
		}
		f(old, cur)
	}
}

// enqueueOwner enqueues the Rollout that controls obj (a ReplicaSet, an AnalysisRun or
// an object a traffic router wrote, e.g. a canary Ingress).
func (c *Controller) enqueueOwner(obj any) {
	if t, ok := obj.(cache.DeletedFinalStateUnknown); ok {
		obj = t.Obj
	}
	m, ok := obj.(metav1.Object)
	if !ok {
		return
	}
	ref := metav1.GetControllerOfNoCopy(m)
	if ref == nil || ref.Kind != "Rollout" || !isSerinGroup(ref.APIVersion) {
		return
	}
	ro, err := c.rollouts.Rollouts(m.GetNamespace()).Get(ref.Name)
	if err != nil || ro.UID != ref.UID {
		return
	}
	c.queue.Add(cache.ObjectName{Namespace: ro.Namespace, Name: ro.Name})
}

func isSerinGroup(apiVersion string) bool {
	return apiVersion == v1alpha1.SchemeGroupVersion.String()
}

func (c *Controller) replicaSetUpdated(old, cur any) {
	oldRS, cur1 := old.(*appsv1.ReplicaSet), cur.(*appsv1.ReplicaSet)
	if a, b := metav1.GetControllerOfNoCopy(oldRS), metav1.GetControllerOfNoCopy(cur1); a != nil && (b == nil || a.UID != b.UID) {
		c.enqueueOwner(oldRS)
	}
	c.enqueueOwner(cur1)
}

// A pod that turns Ready or stops being Ready, or starts terminating, changes what its
// ReplicaSet can carry: its Rollout plans again at once (plan.Input.ReadyPods), whether
// or not the ReplicaSet's status has caught up. Other changes matter only while a
// restartAt is being carried out, role metadata is kept on pods, or their revision is not
// fully available (they may say why: pkg/diagnosis).
func (c *Controller) podUpdated(old, cur any) {
	o, n := old.(*corev1.Pod), cur.(*corev1.Pod)
	if servingChanged(o, n) {
		c.enqueueForPod(n, true)
		return
	}
	if maps.Equal(o.Labels, n.Labels) && maps.Equal(o.Annotations, n.Annotations) && sameProblem(o, n) {
		return
	}
	c.enqueueForPod(n, false)
}

// servingChanged: the pod became able to serve, or stopped.
func servingChanged(o, n *corev1.Pod) bool {
	return (o.DeletionTimestamp == nil) != (n.DeletionTimestamp == nil) || replicaset.PodReady(o) != replicaset.PodReady(n)
}

// serving: the pod is Ready and not being deleted.
func serving(pod *corev1.Pod) bool {
	return pod.DeletionTimestamp == nil && replicaset.PodReady(pod)
}

// sameProblem: the two versions of a pod show the same problem, or none.
func sameProblem(o, n *corev1.Pod) bool {
	a, okA := diagnosis.Pod(o)
	b, okB := diagnosis.Pod(n)
	return okA == okB && a.Reason == b.Reason && a.Detail == b.Detail && a.Restarts == b.Restarts && a.Since.Equal(b.Since)
}

func (c *Controller) podAdded(obj any) {
	pod := obj.(*corev1.Pod)
	c.enqueueForPod(pod, serving(pod))
}

func (c *Controller) podDeleted(obj any) {
	if t, ok := obj.(cache.DeletedFinalStateUnknown); ok {
		obj = t.Obj
	}
	if pod, ok := obj.(*corev1.Pod); ok {
		c.enqueueForPod(pod, serving(pod))
	}
}

// enqueueForPod enqueues the Rollout of pod (through its ReplicaSet) when the change
// changed what the pod can serve, or when that Rollout plans with its pods
// (plan.NeedsPods).
func (c *Controller) enqueueForPod(pod *corev1.Pod, servingChanged bool) {
	ref := metav1.GetControllerOfNoCopy(pod)
	if ref == nil || ref.Kind != "ReplicaSet" {
		return
	}
	rs, err := c.replicaSets.ReplicaSets(pod.Namespace).Get(ref.Name)
	if err != nil {
		return
	}
	owner := metav1.GetControllerOfNoCopy(rs)
	if owner == nil || owner.Kind != "Rollout" {
		return
	}
	ro, err := c.rollouts.Rollouts(pod.Namespace).Get(owner.Name)
	if err != nil || ro.UID != owner.UID || !servingChanged && !plan.NeedsPods(ro, []*appsv1.ReplicaSet{rs}) {
		return
	}
	c.queue.Add(cache.ObjectName{Namespace: ro.Namespace, Name: ro.Name})
}

// A Service matters for its existence and its selector only.
func (c *Controller) serviceUpdated(old, cur any) {
	o, n := old.(*corev1.Service), cur.(*corev1.Service)
	if maps.Equal(o.Spec.Selector, n.Spec.Selector) {
		return
	}
	c.serviceChanged(cur)
}

func (c *Controller) serviceChanged(obj any) {
	c.enqueueIndexed(indexRolloutByService, obj)
}

// routerObjectChanged is the handler of a kind the traffic routers watch: it enqueues
// the Rollout controlling the object (e.g. a canary Ingress) and the Rollouts whose
// router reads or writes an object of that name (e.g. a stable Ingress, or a foreign
// Ingress in the way of a canary Ingress).
func (c *Controller) routerObjectChanged(kind string) func(obj any) {
	return func(obj any) {
		c.enqueueOwner(obj)
		c.enqueueIndexed(indexRolloutByRouter+kind, obj)
	}
}

// enqueueIndexed enqueues the Rollouts the index lists for obj's "namespace/name".
func (c *Controller) enqueueIndexed(index string, obj any) {
	if t, ok := obj.(cache.DeletedFinalStateUnknown); ok {
		obj = t.Obj
	}
	m, ok := obj.(metav1.Object)
	if !ok {
		return
	}
	ros, err := c.rolloutIndex.ByIndex(index, m.GetNamespace()+"/"+m.GetName())
	if err != nil {
		return
	}
	for _, o := range ros {
		c.enqueue(o)
	}
}

func templateHandler(c *Controller) cache.ResourceEventHandlerFuncs {
	return cache.ResourceEventHandlerFuncs{
		AddFunc:    c.templateChanged,
		UpdateFunc: changed(func(_, cur any) { c.templateChanged(cur) }),
		DeleteFunc: c.templateChanged,
	}
}
