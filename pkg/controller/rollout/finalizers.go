package rollout

import (
	"context"
	"encoding/json"
	"slices"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/serin-dev/serin/pkg/apis/rollouts/v1alpha1"
)

// The writes of the plan's AddFinalizer and RemoveFinalizer actions (when a Rollout
// gets plan.Finalizer, and what it is for, is the plan's business). Both patch
// metadata only, never the spec, and update ro's resourceVersion and finalizers so that
// a status write in the same sync does not conflict.

// addFinalizer adds name to ro's finalizers.
func (c *Controller) addFinalizer(ctx context.Context, ro *v1alpha1.Rollout, name string) error {
	if slices.Contains(ro.Finalizers, name) {
		return nil
	}
	out, err := c.patchFinalizers(ctx, ro, append(slices.Clone(ro.Finalizers), name))
	if err != nil {
		return err
	}
	ro.ResourceVersion, ro.Finalizers = out.ResourceVersion, out.Finalizers
	return nil
}

// removeFinalizer removes name from ro's finalizers; a Rollout already gone is no error.
func (c *Controller) removeFinalizer(ctx context.Context, ro *v1alpha1.Rollout, name string) error {
	if !slices.Contains(ro.Finalizers, name) {
		return nil
	}
	rest := slices.DeleteFunc(slices.Clone(ro.Finalizers), func(f string) bool { return f == name })
	out, err := c.patchFinalizers(ctx, ro, rest)
	if apierrors.IsNotFound(err) {
		return nil
	}
	if err != nil {
		return err
	}
	ro.ResourceVersion, ro.Finalizers = out.ResourceVersion, out.Finalizers
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
