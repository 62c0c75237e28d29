package actions

import (
	"context"
	"fmt"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/serin-dev/serin/pkg/apis/rollouts/v1alpha1"
)

// SetImage sets the image of the container named container (in containers,
// or initContainers of spec.template), or of every container when
// container is "*". The patch is conditional on the container still being at the index
// read. The controller starts a new revision and runs the steps.
func SetImage(ctx context.Context, c Clients, ns, name, container, image string) (Result, error) {
	if container == "" || image == "" {
		return Result{}, fmt.Errorf("set image: want CONTAINER=IMAGE, got container %q and image %q", container, image)
	}
	ro, err := get(ctx, c, ns, name)
	if err != nil {
		return Result{}, err
	}
	var ops []jsonPatch
	var matched, changed, all []string
	spec := &ro.Spec.Template.Spec
	for _, l := range []struct {
		path       string
		containers []corev1.Container
	}{
		{"/spec/template/spec/containers", spec.Containers},
		{"/spec/template/spec/initContainers", spec.InitContainers},
	} {
		for i, ct := range l.containers {
			all = append(all, ct.Name)
			if container != "*" && ct.Name != container {
				continue
			}
			matched = append(matched, ct.Name)
			if ct.Image == image {
				continue
			}
			p := fmt.Sprintf("%s/%d", l.path, i)
			ops = append(ops,
				jsonPatch{Op: "test", Path: p + "/name", Value: ct.Name},
				jsonPatch{Op: "replace", Path: p + "/image", Value: image})
			changed = append(changed, ct.Name)
		}
	}
	if len(matched) == 0 {
		return Result{}, fmt.Errorf("rollout %q has no container %q (its containers: %s)", name, container, strings.Join(all, ", "))
	}
	if len(ops) == 0 {
		return Result{}, nothing("rollout %q already runs image %s in %s", name, image, strings.Join(matched, ", "))
	}
	if err := patch(ctx, c, ro, types.JSONPatchType, ops); err != nil {
		return Result{}, err
	}
	return Result{
		Did:  fmt.Sprintf("rollout %q: image %s set on %s", name, image, strings.Join(changed, ", ")),
		Next: nextAfterTemplateChange(ro),
	}, nil
}

func nextAfterTemplateChange(ro *v1alpha1.Rollout) string {
	if bg := ro.Spec.Strategy.BlueGreen; bg != nil {
		return "the controller brings the new revision up behind the preview Service " + bg.PreviewService + ", then switches the active Service to it (after promote unless autoPromotionEnabled)"
	}
	steps := canarySteps(ro)
	if len(steps) == 0 {
		return "the controller creates a new revision and replaces the pods within maxSurge/maxUnavailable"
	}
	return "the controller creates a new revision and runs its steps from " + StepAt(steps, 0)
}
