package rollout

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/tools/cache"

	"github.com/serin-dev/serin/pkg/apis/rollouts/v1alpha1"
	"github.com/serin-dev/serin/pkg/plan"
	"github.com/serin-dev/serin/pkg/trafficrouting"
)

// errCollision is returned when the ReplicaSet to create exists and belongs to someone
// else although the cache did not show it. The sync fails and is retried; once the cache
// shows that ReplicaSet, gather reports it and the plan takes the next hash.
var errCollision = errors.New("a ReplicaSet of that name exists and is not the Rollout's")

// applyActions applies the plan's actions in order and stops at the first that fails:
// the order is the safety order. An action the caches show in effect already is
// skipped, so applying the same plan twice writes nothing the second time.
func (c *Controller) applyActions(ctx context.Context, ro *v1alpha1.Rollout, actions []plan.Action, router trafficrouting.Router) error {
	for i, a := range actions {
		if err := c.applyAction(ctx, ro, a, router); err != nil {
			return &actionError{index: i, total: len(actions), action: a, err: err}
		}
	}
	return nil
}

// actionError is the failure of one action of a plan.
type actionError struct {
	index, total int
	action       plan.Action
	err          error
}

func (e *actionError) Error() string {
	return fmt.Sprintf("action %d/%d (%s): %v", e.index+1, e.total, e.action.Describe(), e.err)
}

func (e *actionError) Unwrap() error { return e.err }

func (c *Controller) applyAction(ctx context.Context, ro *v1alpha1.Rollout, a plan.Action, router trafficrouting.Router) error {
	switch {
	case a.CreateReplicaSet != nil:
		return c.createReplicaSet(ctx, ro, a.CreateReplicaSet)
	case a.ScaleReplicaSet != nil:
		return c.scaleReplicaSet(ctx, ro, a.ScaleReplicaSet)
	case a.AnnotateRS != nil:
		return c.annotateReplicaSet(ctx, ro, a.AnnotateRS)
	case a.DeleteReplicaSet != nil:
		return c.deleteReplicaSet(ctx, ro, *a.DeleteReplicaSet)
	case a.SetSelector != nil:
		return c.setSelector(ctx, ro, a.SetSelector.Service, a.SetSelector.Hash)
	case a.SetTraffic != nil:
		return c.setTraffic(ctx, ro, router, *a.SetTraffic)
	case a.EvictPod != nil:
		return c.evictPod(ctx, ro, *a.EvictPod)
	case a.AdoptReplicaSet != nil:
		return c.adoptReplicaSet(ctx, ro, *a.AdoptReplicaSet)
	case a.SetPodMetadata != nil:
		return c.setPodMetadata(ctx, ro, a.SetPodMetadata)
	case a.CreateAnalysisRun != nil:
		return c.createAnalysisRun(ctx, ro, a.CreateAnalysisRun)
	case a.TerminateAnalysisRun != nil:
		return c.terminateAnalysisRun(ctx, ro, *a.TerminateAnalysisRun)
	case a.DeleteAnalysisRun != nil:
		return c.deleteAnalysisRun(ctx, ro, *a.DeleteAnalysisRun)
	case a.AddFinalizer != nil:
		return c.addFinalizer(ctx, ro, *a.AddFinalizer)
	case a.RemoveFinalizer != nil:
		return c.removeFinalizer(ctx, ro, *a.RemoveFinalizer)
	}
	return errors.New("empty action")
}

// adoptReplicaSet makes ro the controller of an orphaned ReplicaSet. The patch carries
// the ReplicaSet's UID, so it fails rather than adopt a different object of that name.
func (c *Controller) adoptReplicaSet(ctx context.Context, ro *v1alpha1.Rollout, name string) error {
	cur, err := c.replicaSets.ReplicaSets(ro.Namespace).Get(name)
	if err != nil {
		return err
	}
	if ownedBy(cur, ro) {
		return nil
	}
	if metav1.GetControllerOfNoCopy(cur) != nil {
		return fmt.Errorf("adopt %s: it has another controller", name)
	}
	ref := metav1.NewControllerRef(ro, v1alpha1.SchemeGroupVersion.WithKind("Rollout"))
	patch := map[string]any{"metadata": map[string]any{
		"uid":             cur.UID,
		"ownerReferences": append(cur.OwnerReferences, *ref),
	}}
	return c.patchReplicaSet(ctx, ro, name, cur, patch)
}

func (c *Controller) createReplicaSet(ctx context.Context, ro *v1alpha1.Rollout, rs *appsv1.ReplicaSet) error {
	if cur, err := c.replicaSets.ReplicaSets(ro.Namespace).Get(rs.Name); err == nil && ownedBy(cur, ro) {
		return nil
	}
	_, err := c.kube.AppsV1().ReplicaSets(ro.Namespace).Create(ctx, rs, metav1.CreateOptions{})
	if apierrors.IsAlreadyExists(err) {
		// The cache may be behind; ask the API whose it is.
		cur, getErr := c.kube.AppsV1().ReplicaSets(ro.Namespace).Get(ctx, rs.Name, metav1.GetOptions{})
		if getErr != nil {
			return fmt.Errorf("create %s: %w; get: %w", rs.Name, err, getErr)
		}
		if ownedBy(cur, ro) {
			return nil
		}
		return fmt.Errorf("create %s: %w", rs.Name, errCollision)
	}
	if err != nil {
		return err
	}
	c.expect.created(keyOf(ro), objectRef{kindReplicaSet, rs.Name}, c.clock.Now())
	return nil
}

func (c *Controller) scaleReplicaSet(ctx context.Context, ro *v1alpha1.Rollout, s *plan.ScaleReplicaSet) error {
	cur, err := c.replicaSets.ReplicaSets(ro.Namespace).Get(s.Name)
	if err == nil && cur.Spec.Replicas != nil && *cur.Spec.Replicas == s.Replicas {
		return nil
	}
	// The scale carries the cached resourceVersion: decided from a stale cache, it conflicts.
	patch := map[string]any{"spec": map[string]any{"replicas": s.Replicas}}
	return c.patchReplicaSet(ctx, ro, s.Name, cur, withResourceVersion(patch, cur))
}

func (c *Controller) annotateReplicaSet(ctx context.Context, ro *v1alpha1.Rollout, a *plan.AnnotateReplicaSet) error {
	cur, err := c.replicaSets.ReplicaSets(ro.Namespace).Get(a.Name)
	if err == nil && annotationsInEffect(cur.Annotations, a.Annotations) {
		return nil
	}
	// A nil value is JSON null: a merge patch removes the key.
	patch := map[string]any{"metadata": map[string]any{"annotations": a.Annotations}}
	return c.patchReplicaSet(ctx, ro, a.Name, cur, patch)
}

// patchReplicaSet merge-patches a ReplicaSet and expects the cache to show the change.
// cur is the cached ReplicaSet, nil when not in the cache.
func (c *Controller) patchReplicaSet(ctx context.Context, ro *v1alpha1.Rollout, name string, cur *appsv1.ReplicaSet, patch map[string]any) error {
	data, err := json.Marshal(patch)
	if err != nil {
		return err
	}
	out, err := c.kube.AppsV1().ReplicaSets(ro.Namespace).Patch(ctx, name, types.MergePatchType, data, metav1.PatchOptions{})
	if err != nil {
		return err
	}
	if cur != nil {
		c.expect.wrote(keyOf(ro), objectRef{kindReplicaSet, name}, cur.ResourceVersion, out.ResourceVersion, c.clock.Now())
	}
	return nil
}

func (c *Controller) deleteReplicaSet(ctx context.Context, ro *v1alpha1.Rollout, name string) error {
	cur, err := c.replicaSets.ReplicaSets(ro.Namespace).Get(name)
	if apierrors.IsNotFound(err) {
		return nil
	}
	if err != nil {
		return err
	}
	if !ownedBy(cur, ro) {
		return fmt.Errorf("delete %s: not owned by the rollout", name)
	}
	policy := metav1.DeletePropagationBackground
	err = c.kube.AppsV1().ReplicaSets(ro.Namespace).Delete(ctx, name, metav1.DeleteOptions{
		Preconditions:     &metav1.Preconditions{UID: &cur.UID},
		PropagationPolicy: &policy,
	})
	if apierrors.IsNotFound(err) {
		return nil
	}
	if err != nil {
		return err
	}
	c.expect.wrote(keyOf(ro), objectRef{kindReplicaSet, name}, cur.ResourceVersion, "", c.clock.Now())
	return nil
}

// setSelector sets rollouts-pod-template-hash=hash in a Service's selector ("" removes
// it), leaving the rest of the selector as the user wrote it. Removing the hash from a
// Service that is gone is no error: there is nothing to restore. The patch carries the
// cached resourceVersion: decided from a stale cache, it conflicts.
func (c *Controller) setSelector(ctx context.Context, ro *v1alpha1.Rollout, service, hash string) error {
	cur, err := c.services.Services(ro.Namespace).Get(service)
	if err == nil {
		got, ok := cur.Spec.Selector[v1alpha1.DefaultRolloutUniqueLabelKey]
		if got == hash && (ok || hash == "") {
			return nil
		}
	}
	var value any = hash
	if hash == "" {
		value = nil
	}
	patch, err := json.Marshal(withResourceVersion(map[string]any{"spec": map[string]any{"selector": map[string]any{
		v1alpha1.DefaultRolloutUniqueLabelKey: value,
	}}}, cur))
	if err != nil {
		return err
	}
	out, err := c.kube.CoreV1().Services(ro.Namespace).Patch(ctx, service, types.MergePatchType, patch, metav1.PatchOptions{})
	if hash == "" && apierrors.IsNotFound(err) {
		return nil
	}
	if err != nil {
		return err
	}
	if cur != nil {
		c.expect.wrote(keyOf(ro), objectRef{kindService, service}, cur.ResourceVersion, out.ResourceVersion, c.clock.Now())
	}
	return nil
}

// setTraffic has the router apply t; the plan asks only when the router's Observe shows
// something else, and the router writes only what differs.
func (c *Controller) setTraffic(ctx context.Context, ro *v1alpha1.Rollout, router trafficrouting.Router, t plan.SetTraffic) error {
	if router == nil {
		return errors.New("no traffic router for this rollout")
	}
	if err := router.SetTraffic(ctx, ro, t); err != nil {
		return err
	}
	c.expect.observed(keyOf(ro), objectRef{Kind: kindTraffic}, func() bool {
		got := router.Observe(ro)
		return got != nil && !got.OutOfSync && got.CanaryWeight == t.CanaryWeight &&
			len(got.HeaderRoutes) == len(t.HeaderRoutes) &&
			(len(t.HeaderRoutes) == 0 || equality.Semantic.DeepEqual(got.HeaderRoutes, t.HeaderRoutes))
	}, c.clock.Now())
	return nil
}

// evictPod evicts one pod through the Eviction API, so PodDisruptionBudgets hold.
func (c *Controller) evictPod(ctx context.Context, ro *v1alpha1.Rollout, name string) error {
	cur, err := c.pods.Pods(ro.Namespace).Get(name)
	if apierrors.IsNotFound(err) || err == nil && cur.DeletionTimestamp != nil {
		return nil
	}
	if err != nil {
		return err
	}
	err = c.kube.CoreV1().Pods(ro.Namespace).EvictV1(ctx, &policyv1.Eviction{
		ObjectMeta:    metav1.ObjectMeta{Name: name, Namespace: ro.Namespace},
		DeleteOptions: &metav1.DeleteOptions{Preconditions: &metav1.Preconditions{UID: &cur.UID}},
	})
	if apierrors.IsNotFound(err) {
		return nil
	}
	if err != nil {
		return err
	}
	c.expect.wrote(keyOf(ro), objectRef{kindPod, name}, cur.ResourceVersion, "", c.clock.Now())
	return nil
}

// setPodMetadata merge-patches role metadata onto a ReplicaSet's pod template or a pod.
func (c *Controller) setPodMetadata(ctx context.Context, ro *v1alpha1.Rollout, m *plan.PodMetadataPatch) error {
	if m.ReplicaSet != "" {
		cur, err := c.replicaSets.ReplicaSets(ro.Namespace).Get(m.ReplicaSet)
		if err == nil && plan.PodShows(&corev1.Pod{ObjectMeta: cur.Spec.Template.ObjectMeta}, m) {
			return nil
		}
		return c.patchReplicaSet(ctx, ro, m.ReplicaSet, cur, plan.PodPatchFor(m))
	}
	cur, err := c.pods.Pods(ro.Namespace).Get(m.Pod)
	if apierrors.IsNotFound(err) || err == nil && (cur.DeletionTimestamp != nil || plan.PodShows(cur, m)) {
		return nil
	}
	if err != nil {
		return err
	}
	data, err := json.Marshal(plan.PodPatchFor(m))
	if err != nil {
		return err
	}
	out, err := c.kube.CoreV1().Pods(ro.Namespace).Patch(ctx, m.Pod, types.MergePatchType, data, metav1.PatchOptions{})
	if apierrors.IsNotFound(err) {
		return nil // gone meanwhile: nothing to label
	}
	if err != nil {
		return err
	}
	c.expect.wrote(keyOf(ro), objectRef{kindPod, m.Pod}, cur.ResourceVersion, out.ResourceVersion, c.clock.Now())
	return nil
}

// withResourceVersion adds cur's resourceVersion to a merge patch, which the API server
// then takes as a precondition: the patch fails with a Conflict when the object changed
// since the cache saw it, and the Rollout is planned again from fresher caches (the
// Runner retries conflicts). Traffic writes carry it, so that a replica acting on a stale
// cache (one that slept past its Lease, whatever the write fence let through) cannot
// undo what the current leader did. Nothing is added when the cache does not show the
// object (cur nil, or a nil pointer of a concrete type) or shows no resourceVersion.
func withResourceVersion[T interface {
	comparable
	GetResourceVersion() string
}](patch map[string]any, cur T) map[string]any {
	var none T
	if cur == none || cur.GetResourceVersion() == "" {
		return patch
	}
	patch["metadata"] = map[string]any{"resourceVersion": cur.GetResourceVersion()}
	return patch
}

// annotationsInEffect reports whether have already has every value of want (and none
// of the keys want removes).
func annotationsInEffect(have map[string]string, want map[string]*string) bool {
	for k, v := range want {
		got, ok := have[k]
		if v == nil && ok || v != nil && (!ok || got != *v) {
			return false
		}
	}
	return true
}

func ownedBy(obj metav1.Object, ro *v1alpha1.Rollout) bool {
	ref := metav1.GetControllerOfNoCopy(obj)
	return ref != nil && ref.UID == ro.UID
}

func keyOf(ro *v1alpha1.Rollout) cache.ObjectName {
	return cache.ObjectName{Namespace: ro.Namespace, Name: ro.Name}
}
