package rollout

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/serin-dev/serin/pkg/apis/rollouts/v1alpha1"
)

// Finalizer keeps a deleted Rollout until the controller has taken the pod template
// hash out of its Services' selectors, so that they go on selecting the application's
// pods (those of whatever replaces the Rollout) instead of none.
const Finalizer = "serin.dev/restore-selectors"

// ensureFinalizer adds the Finalizer to a Rollout that names a Service. It patches
// metadata only, with ro's resourceVersion as a precondition, and updates ro's
// resourceVersion and finalizers so a status write in the same sync does not conflict.
func (c *Controller) ensureFinalizer(ctx context.Context, ro *v1alpha1.Rollout) error {
	if slices.Contains(ro.Finalizers, Finalizer) || len(serviceNames(ro)) == 0 {
		return nil
	}
	out, err := c.patchFinalizers(ctx, ro, append(slices.Clone(ro.Finalizers), Finalizer))
	if err != nil {
		return fmt.Errorf("add finalizer: %w", err)
	}
	ro.ResourceVersion, ro.Finalizers = out.ResourceVersion, out.Finalizers
	return nil
}

// finalize runs for a Rollout being deleted: the hash label goes out of every Service
// selector it set, then the Finalizer goes.
func (c *Controller) finalize(ctx context.Context, ro *v1alpha1.Rollout) error {
	if !slices.Contains(ro.Finalizers, Finalizer) {
		return nil
	}
	for _, name := range serviceNames(ro) {
		if _, err := c.services.Services(ro.Namespace).Get(name); apierrors.IsNotFound(err) {
			continue
		}
		err := c.setSelector(ctx, ro, name, "")
		if err != nil && !apierrors.IsNotFound(err) {
			return fmt.Errorf("restore the selector of Service %s: %w", name, err)
		}
	}
	rest := slices.DeleteFunc(slices.Clone(ro.Finalizers), func(f string) bool { return f == Finalizer })
	if _, err := c.patchFinalizers(ctx, ro, rest); err != nil && !apierrors.IsNotFound(err) {
		return fmt.Errorf("remove finalizer: %w", err)
	}
	return nil
}

// patchFinalizers sets ro's finalizers with a merge patch that fails with a Conflict
// when the Rollout changed since it was cached (a merge patch replaces the whole list).
func (c *Controller) patchFinalizers(ctx context.Context, ro *v1alpha1.Rollout, finalizers []string) (*v1alpha1.Rollout, error) {
	if finalizers == nil {
		finalizers = []string{}
	}
	patch, err := json.Marshal(map[string]any{"metadata": map[string]any{
		"finalizers":      finalizers,
		"resourceVersion": ro.ResourceVersion,
	}})
	if err != nil {
		return nil, err
	}
	out, err := c.serin.SerinV1alpha1().Rollouts(ro.Namespace).Patch(ctx, ro.Name, types.MergePatchType, patch, metav1.PatchOptions{})
	if err != nil {
		return nil, err
	}
	c.expect.wrote(keyOf(ro), objectRef{kindRollout, ro.Name}, ro.ResourceVersion, out.ResourceVersion, c.clock.Now())
	return out, nil
}
