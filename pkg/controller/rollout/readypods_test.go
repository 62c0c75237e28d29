package rollout

import (
	"slices"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/tools/cache"
)

// A pod of a revision whose status says it is fully available still enqueues its Rollout
// when it turns Ready or stops being Ready, or starts terminating: the plan counts no more
// available pods than the pods show (plan.Input.ReadyPods), so it must hear of them.
// Other changes of such a pod do not.
func TestPodServingChangesEnqueue(t *testing.T) {
	ro := testRollout("web")
	rs := testRS(ro, "web-a", "a", 2, nil)
	f := newFixture(t, []runtime.Object{ro, rs})
	pod := func(rv string, ready corev1.ConditionStatus, deleting bool, labels ...string) *corev1.Pod {
		p := testPod(rs, "web-a-1", f0())
		p.ResourceVersion = rv
		p.Status.Conditions[0].Status = ready
		if deleting {
			p.DeletionTimestamp = &metav1.Time{Time: f0()}
		}
		for i := 0; i+1 < len(labels); i += 2 {
			p.Labels[labels[i]] = labels[i+1]
		}
		return p
	}
	ready, notReady := corev1.ConditionTrue, corev1.ConditionFalse
	updates := map[string]struct {
		old, cur *corev1.Pod
		want     []string
	}{
		"turned Ready":         {pod("1", notReady, false), pod("2", ready, false), []string{"web"}},
		"stopped being Ready":  {pod("1", ready, false), pod("2", notReady, false), []string{"web"}},
		"started terminating":  {pod("1", ready, false), pod("2", ready, true), []string{"web"}},
		"a label, still Ready": {pod("1", ready, false), pod("2", ready, false, "team", "a"), nil},
		"nothing it serves":    {pod("1", ready, false), pod("2", ready, false), nil},
	}
	for name, tc := range updates {
		t.Run(name, func(t *testing.T) {
			f.queued()
			changed(f.c.podUpdated)(tc.old, tc.cur)
			if got := f.queued(); !slices.Equal(got, tc.want) {
				t.Errorf("enqueued %v, want %v", got, tc.want)
			}
		})
	}
	others := map[string]struct {
		handler func(any)
		pod     any
		want    []string
	}{
		"a Ready pod added":                 {f.c.podAdded, pod("1", ready, false), []string{"web"}},
		"a pod not Ready added":             {f.c.podAdded, pod("1", notReady, false), nil},
		"a Ready pod deleted":               {f.c.podDeleted, pod("1", ready, false), []string{"web"}},
		"a Ready pod deleted, unseen":       {f.c.podDeleted, cacheDeleted(pod("1", ready, false)), []string{"web"}},
		"a terminating pod finally gone":    {f.c.podDeleted, pod("1", ready, true), nil},
		"a pod not Ready deleted":           {f.c.podDeleted, pod("1", notReady, false), nil},
		"a Ready pod of no Rollout's RS":    {f.c.podAdded, orphanPod(pod("1", ready, false)), nil},
		"a Ready pod of another ReplicaSet": {f.c.podAdded, foreignPod(pod("1", ready, false)), nil},
	}
	for name, tc := range others {
		t.Run(name, func(t *testing.T) {
			f.queued()
			tc.handler(tc.pod)
			if got := f.queued(); !slices.Equal(got, tc.want) {
				t.Errorf("enqueued %v, want %v", got, tc.want)
			}
		})
	}
}

func orphanPod(p *corev1.Pod) *corev1.Pod  { p.OwnerReferences = nil; return p }
func foreignPod(p *corev1.Pod) *corev1.Pod { p.OwnerReferences[0].Name = "missing"; return p }

// The gatherer reports, for each of the Rollout's ReplicaSets, its pods that are Ready
// and not terminating, whatever its status says: a ReplicaSet whose status still counts
// 3 available while its pods terminate shows none.
func TestGatherReportsReadyPods(t *testing.T) {
	ro := testRollout("web")
	stale := testRS(ro, "web-a", "a", 2, nil)
	stale.Status.Replicas, stale.Status.AvailableReplicas = 3, 3
	up := testRS(ro, "web-b", "b", 2, nil)
	objs := []runtime.Object{ro, stale, up}
	for i, name := range []string{"web-a-1", "web-a-2", "web-a-3"} {
		p := testPod(stale, name, f0())
		p.DeletionTimestamp = &metav1.Time{Time: f0()}
		p.ResourceVersion = string(rune('1' + i))
		objs = append(objs, p)
	}
	readySince := metav1.NewTime(f0())
	b1, b2 := testPod(up, "web-b-1", f0()), testPod(up, "web-b-2", f0())
	b1.Status.Conditions[0].LastTransitionTime = readySince
	b2.Status.Conditions[0].Status = corev1.ConditionFalse
	// A pod of the same hash that another ReplicaSet (another Rollout's) controls.
	stranger := testPod(up, "other-b-1", f0())
	stranger.OwnerReferences[0].UID = types.UID("uid-other")
	objs = append(objs, b1, b2, stranger)
	f := newFixture(t, objs)

	in, _, err := f.c.gather(f.rollout("web"))
	must(t, err)
	if got := len(in.ReadyPods["web-a"].Since); got != 0 || in.ReadyPods["web-a"].Since == nil {
		t.Errorf("web-a ready pods = %v, want a known none", in.ReadyPods["web-a"].Since)
	}
	if got := in.ReadyPods["web-b"].Since; len(got) != 1 || !got[0].Equal(f0()) {
		t.Errorf("web-b ready pods = %v, want one Ready since %v", got, f0())
	}
}

func cacheDeleted(p *corev1.Pod) any {
	return cache.DeletedFinalStateUnknown{Key: p.Namespace + "/" + p.Name, Obj: p}
}
