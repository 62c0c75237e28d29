package actions

import (
	"context"
	"fmt"
	"sort"
	"strconv"

	appsv1 "k8s.io/api/apps/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/serin-dev/serin/pkg/apis/rollouts/v1alpha1"
	"github.com/serin-dev/serin/pkg/plan"
	"github.com/serin-dev/serin/pkg/replicaset"
)

// Undo puts the pod template of an earlier revision back into spec.template: revision
// toRevision, or with 0 the revision before the current one. Going back to the stable
// revision skips the steps (the controller rolls back at once); any other revision is
// rolled out through the steps. The patch applies only if the template is still the one
// read.
func Undo(ctx context.Context, c Clients, ns, name string, toRevision int64) (Result, error) {
	ro, err := get(ctx, c, ns, name)
	if err != nil {
		return Result{}, err
	}
	rss, err := OwnedReplicaSets(ctx, c, ro)
	if err != nil {
		return Result{}, err
	}
	target, err := pickRevision(ro, rss, toRevision)
	if err != nil {
		return Result{}, err
	}
	tpl, exact := RestoreTemplate(target)
	ops := []jsonPatch{
		{Op: "test", Path: "/metadata/resourceVersion", Value: ro.ResourceVersion},
		{Op: "replace", Path: "/spec/template", Value: tpl},
	}
	if err := patch(ctx, c, ro, types.JSONPatchType, ops); err != nil {
		return Result{}, fmt.Errorf("%w (if the rollout changed meanwhile, look at it and undo again)", err)
	}
	rev := revisionOf(target)
	res := Result{Did: fmt.Sprintf("rollout %q: template of revision %d (ReplicaSet %s) restored", name, rev, target.Name)}
	hash := target.Labels[v1alpha1.DefaultRolloutUniqueLabelKey]
	switch {
	case !exact:
		res.Next = "its ReplicaSet's template carries defaults that could not be told apart from what the Rollout said, so the controller rolls it out as a new revision through the steps"
	case hash == ro.Status.StableRS:
		res.Next = "it is the stable revision: the controller goes back to it at once, skipping the steps, and scales the rest down"
	default:
		res.Next = "the controller rolls it out again through the steps, from " + StepAt(canarySteps(ro), 0)
	}
	return res, nil
}

// OwnedReplicaSets are the ReplicaSets ro controls, newest revision first.
func OwnedReplicaSets(ctx context.Context, c Clients, ro *v1alpha1.Rollout) ([]*appsv1.ReplicaSet, error) {
	list, err := c.Kube.AppsV1().ReplicaSets(ro.Namespace).List(ctx, metav1.ListOptions{})
	if err != nil {
		return nil, fmt.Errorf("list the replicasets of rollout %q in namespace %q: %w", ro.Name, ro.Namespace, err)
	}
	var out []*appsv1.ReplicaSet
	for i := range list.Items {
		rs := &list.Items[i]
		if ref := metav1.GetControllerOf(rs); ref != nil && ref.UID == ro.UID {
			out = append(out, rs)
		}
	}
	sort.Slice(out, func(i, j int) bool { return revisionOf(out[i]) > revisionOf(out[j]) })
	return out, nil
}

func pickRevision(ro *v1alpha1.Rollout, rss []*appsv1.ReplicaSet, to int64) (*appsv1.ReplicaSet, error) {
	current := replicaset.PodTemplateHash(&ro.Spec.Template, ro.Status.CollisionCount)
	var revs []string
	for _, rs := range rss {
		revs = append(revs, strconv.FormatInt(revisionOf(rs), 10))
	}
	if to > 0 {
		for _, rs := range rss {
			if revisionOf(rs) == to {
				if rs.Labels[v1alpha1.DefaultRolloutUniqueLabelKey] == current {
					return nil, nothing("rollout %q already runs the template of revision %d", ro.Name, to)
				}
				return rs, nil
			}
		}
		return nil, fmt.Errorf("rollout %q has no revision %d (revisions kept: %v; see revisionHistoryLimit)", ro.Name, to, revs)
	}
	// The previous revision: the newest one that is not the current template.
	for _, rs := range rss {
		if rs.Labels[v1alpha1.DefaultRolloutUniqueLabelKey] != current {
			return rs, nil
		}
	}
	return nil, nothing("rollout %q has no earlier revision to go back to (revisions kept: %v)", ro.Name, revs)
}

func revisionOf(rs *appsv1.ReplicaSet) int64 {
	n, _ := strconv.ParseInt(rs.Annotations[plan.AnnotationRevision], 10, 64)
	return n
}
