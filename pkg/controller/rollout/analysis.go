package rollout

import (
	"context"
	"fmt"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/tools/cache"

	"github.com/serin-dev/serin/pkg/apis/rollouts/v1alpha1"
	"github.com/serin-dev/serin/pkg/plan"
	"github.com/serin-dev/serin/pkg/refs"
)

// The Rollout's side of analysis: gathering its runs and the templates it refers to,
// creating, terminating and deleting runs, and requeueing the Rollout when a run's
// verdict or a template changes. Running the runs is the AnalysisRun controller's job (pkg/controller/analysisrun).

// rolloutTemplates is the indexRolloutByTemplate index function.
func rolloutTemplates(obj any) ([]string, error) {
	ro, ok := obj.(*v1alpha1.Rollout)
	if !ok {
		return nil, nil
	}
	seen := map[string]bool{}
	var keys []string
	for _, ref := range refs.Of(ro).Templates {
		k := templateKey(ro.Namespace, ref.TemplateName, ref.ClusterScope)
		if !seen[k] {
			seen[k] = true
			keys = append(keys, k)
		}
	}
	return keys, nil
}

func templateKey(namespace, name string, cluster bool) string {
	if cluster {
		return "cluster/" + name
	}
	return namespace + "/" + name
}

// gatherAnalysis adds ro's AnalysisRuns and the templates it names to in.
func (c *Controller) gatherAnalysis(ro *v1alpha1.Rollout, in *plan.Input) error {
	objs, err := c.runIndex.ByIndex(indexByControllerUID, string(ro.UID))
	if err != nil {
		return fmt.Errorf("analysisruns of %s: %w", ro.Name, err)
	}
	for _, o := range objs {
		if run, ok := o.(*v1alpha1.AnalysisRun); ok {
			in.AnalysisRuns = append(in.AnalysisRuns, run)
		}
	}
	for _, ref := range refs.Of(ro).Templates {
		if ref.ClusterScope {
			if c.clusterTemplates == nil {
				continue // a namespaced controller sees none: "not found"
			}
			if t, err := c.clusterTemplates.Get(ref.TemplateName); err == nil {
				if in.ClusterAnalysisTemplates == nil {
					in.ClusterAnalysisTemplates = map[string]*v1alpha1.ClusterAnalysisTemplate{}
				}
				in.ClusterAnalysisTemplates[ref.TemplateName] = t
			}
			continue
		}
		if t, err := c.templates.AnalysisTemplates(ro.Namespace).Get(ref.TemplateName); err == nil {
			if in.AnalysisTemplates == nil {
				in.AnalysisTemplates = map[string]*v1alpha1.AnalysisTemplate{}
			}
			in.AnalysisTemplates[ref.TemplateName] = t
		}
	}
	return nil
}

func (c *Controller) createAnalysisRun(ctx context.Context, ro *v1alpha1.Rollout, run *v1alpha1.AnalysisRun) error {
	if cur, err := c.runs.AnalysisRuns(ro.Namespace).Get(run.Name); err == nil && ownedBy(cur, ro) {
		return nil
	}
	_, err := c.serin.SerinV1alpha1().AnalysisRuns(ro.Namespace).Create(ctx, run, metav1.CreateOptions{})
	if apierrors.IsAlreadyExists(err) {
		cur, getErr := c.serin.SerinV1alpha1().AnalysisRuns(ro.Namespace).Get(ctx, run.Name, metav1.GetOptions{})
		if getErr == nil && ownedBy(cur, ro) {
			return nil
		}
		return fmt.Errorf("create AnalysisRun %s: %w (and it is not the Rollout's)", run.Name, err)
	}
	if err != nil {
		return err
	}
	c.expect.created(keyOf(ro), objectRef{kindAnalysisRun, run.Name}, c.clock.Now())
	return nil
}

func (c *Controller) terminateAnalysisRun(ctx context.Context, ro *v1alpha1.Rollout, name string) error {
	cur, err := c.runs.AnalysisRuns(ro.Namespace).Get(name)
	if apierrors.IsNotFound(err) || err == nil && cur.Spec.Terminate {
		return nil
	}
	if err != nil {
		return err
	}
	if !ownedBy(cur, ro) {
		return fmt.Errorf("terminate AnalysisRun %s: not owned by the rollout", name)
	}
	out, err := c.serin.SerinV1alpha1().AnalysisRuns(ro.Namespace).Patch(ctx, name, types.MergePatchType,
		[]byte(`{"spec":{"terminate":true}}`), metav1.PatchOptions{})
	if apierrors.IsNotFound(err) {
		return nil
	}
	if err != nil {
		return err
	}
	c.expect.wrote(keyOf(ro), objectRef{kindAnalysisRun, name}, cur.ResourceVersion, out.ResourceVersion, c.clock.Now())
	return nil
}

func (c *Controller) deleteAnalysisRun(ctx context.Context, ro *v1alpha1.Rollout, name string) error {
	cur, err := c.runs.AnalysisRuns(ro.Namespace).Get(name)
	if apierrors.IsNotFound(err) {
		return nil
	}
	if err != nil {
		return err
	}
	if !ownedBy(cur, ro) {
		return fmt.Errorf("delete AnalysisRun %s: not owned by the rollout", name)
	}
	err = c.serin.SerinV1alpha1().AnalysisRuns(ro.Namespace).Delete(ctx, name, metav1.DeleteOptions{
		Preconditions: &metav1.Preconditions{UID: &cur.UID}})
	if apierrors.IsNotFound(err) {
		return nil
	}
	if err != nil {
		return err
	}
	c.expect.wrote(keyOf(ro), objectRef{kindAnalysisRun, name}, cur.ResourceVersion, "", c.clock.Now())
	return nil
}

// analysisRunUpdated requeues the owning Rollout when what it reads of a run changed:
// the phase, the message or spec.terminate. New measurements alone do not.
func (c *Controller) analysisRunUpdated(old, cur any) {
	o, n := old.(*v1alpha1.AnalysisRun), cur.(*v1alpha1.AnalysisRun)
	if o.Status.Phase == n.Status.Phase && o.Status.Message == n.Status.Message && o.Spec.Terminate == n.Spec.Terminate {
		return
	}
	c.enqueueOwner(n)
}

// templateChanged requeues the Rollouts using a template (e.g. blocked until it exists).
func (c *Controller) templateChanged(obj any) {
	if t, ok := obj.(cache.DeletedFinalStateUnknown); ok {
		obj = t.Obj
	}
	var key string
	switch t := obj.(type) {
	case *v1alpha1.AnalysisTemplate:
		key = templateKey(t.Namespace, t.Name, false)
	case *v1alpha1.ClusterAnalysisTemplate:
		key = templateKey("", t.Name, true)
	default:
		return
	}
	ros, err := c.rolloutIndex.ByIndex(indexRolloutByTemplate, key)
	if err != nil {
		return
	}
	for _, o := range ros {
		c.enqueue(o)
	}
}
