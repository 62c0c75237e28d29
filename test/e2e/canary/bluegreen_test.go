//go:build e2e

package canary

import (
	"cmp"
	"slices"
	"strconv"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/watch"

	"github.com/serin-dev/serin/pkg/apis/rollouts/v1alpha1"
	"github.com/serin-dev/serin/test/e2e/framework"
)

func blueGreenApp(image, strategy string) string { return framework.BlueGreenApp(image, 2, strategy) }

// waitSelects waits until the Service selects the revision running image.
func waitSelects(e *framework.Env, svc, image string) {
	e.T.Helper()
	hash := hashOf(e, image)
	e.Then().Object(framework.Services, svc, "selects "+image, func(o *unstructured.Unstructured) (bool, error) {
		sel, _, err := unstructured.NestedStringMap(o.Object, "spec", "selector")
		return sel[hashLabel] == hash, err
	})
}

// Scenario 6: previewReplicaCount 1, 2 replicas, manual promotion: paused with the preview
// at 1 pod and active on revision 1; promote scales the new revision to full before active
// switches; Healthy with 2 new pods, the old ones gone after scaleDownDelaySeconds.
func TestBlueGreenPreviewReplicaCount(t *testing.T) {
	t.Parallel()
	e := framework.NewEnv(t)
	w := watchActive(e)
	e.Given().Apply(blueGreenApp("web:1", "      autoPromotionEnabled: false\n      previewReplicaCount: 1\n      scaleDownDelaySeconds: 2\n"))
	healthy(e)
	waitReplicas(e, map[string]int32{"web:1": 2})
	waitSelects(e, "web-active", "web:1")

	setImage(e, "web:2")
	ro := waitRollout(e, "Paused (BlueGreenPause)", func(ro *v1alpha1.Rollout) bool {
		return ro.Status.Phase == v1alpha1.RolloutPhasePaused && len(ro.Status.PauseConditions) == 1 &&
			ro.Status.PauseConditions[0].Reason == v1alpha1.PauseReasonBlueGreenPause
	})
	waitReplicas(e, map[string]int32{"web:1": 2, "web:2": 1})
	waitSelects(e, "web-preview", "web:2")
	if got := selectorHash(e, "web-active"); got != hashOf(e, "web:1") || ro.Status.BlueGreen.ActiveSelector != got {
		t.Errorf("active selects %s (status %s) while paused, want revision 1", got, ro.Status.BlueGreen.ActiveSelector)
	}

	promote(e)
	waitSelects(e, "web-active", "web:2")
	healthy(e)
	waitReplicas(e, map[string]int32{"web:1": 0, "web:2": 2})
	w.check(t, hashOf(e, "web:2"), 2)
}

// autoPromotionSeconds: the rollout waits that long with the new revision on preview,
// then switches active by itself (a delayed requeue, no polling).
func TestBlueGreenAutoPromotionSeconds(t *testing.T) {
	t.Parallel()
	e := framework.NewEnv(t)
	e.Given().Apply(blueGreenApp("web:1", "      autoPromotionSeconds: 3\n"))
	healthy(e)
	setImage(e, "web:2")
	ro := waitRollout(e, "Paused before auto-promotion", func(ro *v1alpha1.Rollout) bool {
		return ro.Status.Phase == v1alpha1.RolloutPhasePaused
	})
	paused := time.Now()
	waitSelects(e, "web-preview", "web:2")
	if got := selectorHash(e, "web-active"); got != hashOf(e, "web:1") {
		t.Errorf("active switched before autoPromotionSeconds")
	}
	waitSelects(e, "web-active", "web:2")
	if waited := time.Since(paused); waited < 2*time.Second {
		t.Errorf("switched %s after the pause began (%s), want about 3s", waited, ro.Status.PauseConditions)
	}
	healthy(e)
}

// Abort before promotion: active never leaves revision 1, the preview returns to it;
// retry and promote full finish the rollout.
func TestBlueGreenAbortRetry(t *testing.T) {
	t.Parallel()
	e := framework.NewEnv(t)
	e.Given().Apply(blueGreenApp("web:1", "      autoPromotionEnabled: false\n      abortScaleDownDelaySeconds: 1\n"))
	healthy(e)
	setImage(e, "web:2")
	waitRollout(e, "Paused", func(ro *v1alpha1.Rollout) bool { return ro.Status.Phase == v1alpha1.RolloutPhasePaused })
	statusPatch(e, `{"status":{"abort":true}}`)
	waitRollout(e, "Degraded", func(ro *v1alpha1.Rollout) bool { return ro.Status.Phase == v1alpha1.RolloutPhaseDegraded })
	waitSelects(e, "web-preview", "web:1")
	waitSelects(e, "web-active", "web:1")
	waitReplicas(e, map[string]int32{"web:1": 2, "web:2": 0})

	statusPatch(e, `{"status":{"abort":false}}`)
	waitRollout(e, "Paused again", func(ro *v1alpha1.Rollout) bool { return ro.Status.Phase == v1alpha1.RolloutPhasePaused })
	statusPatch(e, `{"status":{"promoteFull":true}}`)
	waitSelects(e, "web-active", "web:2")
	healthy(e)
}

// activeWatch records the active Service and the pods from the start of a test, to check
// invariant 4 on what the cluster really did: every time the active selector moved, the
// revision it moved to had every pod Ready (pod by pod, in etcd's order).
type activeWatch struct{ services, pods *recorder }

func watchActive(e *framework.Env) *activeWatch {
	e.T.Helper()
	return &activeWatch{
		services: record(e, framework.Services, "", "metadata.name=web-active"),
		pods:     record(e, framework.Pods, "app=web", ""),
	}
}

// check stops the watches, replays them, and fails the test on a switch to a revision
// with fewer than replicas Ready pods, or when active does not end on final.
func (w *activeWatch) check(t *testing.T, final string, replicas int) {
	t.Helper()
	w.services.stop(t)
	w.pods.stop(t)
	type change struct {
		rv  int64
		obj *unstructured.Unstructured
		del bool
	}
	var all []change
	for _, r := range []*recorder{w.pods, w.services} {
		r.mu.Lock()
		for i := range r.initial {
			all = append(all, change{obj: &r.initial[i]})
		}
		for _, ev := range r.events {
			if o, ok := ev.Object.(*unstructured.Unstructured); ok {
				rv, _ := strconv.ParseInt(o.GetResourceVersion(), 10, 64)
				all = append(all, change{rv: rv, obj: o, del: ev.Type == watch.Deleted})
			}
		}
		r.mu.Unlock()
	}
	slices.SortStableFunc(all, func(a, b change) int { return cmp.Compare(a.rv, b.rv) })
	ready := map[string]map[string]bool{} // hash → pod → Ready and not being deleted
	selected, switches := "", 0
	for _, c := range all {
		switch c.obj.GetKind() {
		case "Pod":
			var p corev1.Pod
			if err := runtime.DefaultUnstructuredConverter.FromUnstructured(c.obj.Object, &p); err != nil {
				t.Fatal(err)
			}
			h := p.Labels[hashLabel]
			if ready[h] == nil {
				ready[h] = map[string]bool{}
			}
			ready[h][p.Name] = !c.del && p.DeletionTimestamp == nil && framework.IsReady(&p)
		case "Service":
			h, _, _ := unstructured.NestedString(c.obj.Object, "spec", "selector", hashLabel)
			if h == selected || h == "" {
				continue
			}
			n := 0
			for _, ok := range ready[h] {
				if ok {
					n++
				}
			}
			if selected != "" && n < replicas {
				t.Errorf("active switched from %s to %s (resourceVersion %d) with %d of %d pods Ready", selected, h, c.rv, n, replicas)
			}
			selected = h
			switches++
		}
	}
	if selected != final {
		t.Errorf("active ended on %q, want %q", selected, final)
	}
	t.Logf("active watch: %d changes replayed, %d selector changes", len(all), switches)
}
