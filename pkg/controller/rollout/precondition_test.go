package rollout

import (
	"context"
	"strconv"
	"testing"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"

	"github.com/serin-dev/serin/pkg/plan"
	"github.com/serin-dev/serin/test/fakeapi"
)

// The Service selector and the ReplicaSet scale carry the cached resourceVersion: a
// replica whose cache missed another writer's change (a thawed ex-leader) gets a
// Conflict and writes nothing; once its cache shows the change, the same write goes
// through. One write request per attempt, as without the precondition.
func TestTrafficWritesConflictOnAStaleCache(t *testing.T) {
	ro := testRollout("web", withNginx())
	svc := testService("web-canary", map[string]string{"app": "web", hashLabel: "old"})
	svc.ResourceVersion = "7"
	rs := testRS(ro, "web-new", "new", 1, nil)
	rs.ResourceVersion = "7"
	tests := map[string]struct {
		// leader is the write another replica makes meanwhile, which the cache misses.
		leader func(ctx context.Context, f *fixture) error
		action plan.Action
		// shows reports what the cluster shows: the leader's write, or the action's.
		shows func(f *fixture) string
		leads string
		wants string
	}{
		"Service selector": {
			leader: func(ctx context.Context, f *fixture) error {
				_, err := f.kube.CoreV1().Services(ns).Patch(ctx, "web-canary", types.MergePatchType,
					[]byte(`{"spec":{"selector":{"`+hashLabel+`":"stable"}}}`), metav1.PatchOptions{})
				return err
			},
			action: plan.Action{SetSelector: &plan.SetServiceSelector{Service: "web-canary", Hash: "new"}},
			shows:  func(f *fixture) string { return f.service("web-canary").Spec.Selector[hashLabel] },
			leads:  "stable",
			wants:  "new",
		},
		"ReplicaSet scale": {
			leader: func(ctx context.Context, f *fixture) error {
				_, err := f.kube.AppsV1().ReplicaSets(ns).Patch(ctx, "web-new", types.MergePatchType,
					[]byte(`{"spec":{"replicas":0}}`), metav1.PatchOptions{})
				return err
			},
			action: plan.Action{ScaleReplicaSet: &plan.ScaleReplicaSet{Name: "web-new", Replicas: 3}},
			shows:  func(f *fixture) string { return strconv.Itoa(int(*f.replicaSet("web-new").Spec.Replicas)) },
			leads:  "0",
			wants:  "3",
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			f := newFixture(t, []runtime.Object{ro.DeepCopy(), svc.DeepCopy(), rs.DeepCopy()})
			fakeapi.EnforceResourceVersions(f.kube, "services", "replicasets")
			must(t, tc.leader(context.Background(), f))
			f.clearActions()

			err := f.apply(ro, tc.action)
			if !apierrors.IsConflict(err) {
				t.Fatalf("apply from a stale cache = %v, want a conflict", err)
			}
			if got := tc.shows(f); got != tc.leads {
				t.Errorf("after the conflict the cluster shows %s, want the leader's %s", got, tc.leads)
			}
			if w := f.writes(); len(w) != 1 {
				t.Errorf("writes = %v, want one refused patch", w)
			}

			f.refresh()
			must(t, f.apply(ro, tc.action))
			if got := tc.shows(f); got != tc.wants {
				t.Errorf("from a fresh cache the cluster shows %s, want %s", got, tc.wants)
			}
			if w := f.writes(); len(w) != 1 {
				t.Errorf("writes = %v, want one patch", w)
			}
		})
	}
}

// A sync planned from a stale cache fails with a Conflict, which the Runner retries at
// once; the next sync, planned from the fresh cache, sees the write in effect and
// writes nothing.
func TestStaleSyncConflictsAndReplans(t *testing.T) {
	objs := basicObjects(testRollout("web", withServices(), withSteps(setWeight(20), pause())))
	for _, o := range objs[1:] {
		o.(*corev1.Service).ResourceVersion = "7"
	}
	before := objs[2].(*corev1.Service).DeepCopy() // web-canary, selecting no revision yet
	f := newFixture(t, objs)
	fakeapi.EnforceResourceVersions(f.kube, "services", "replicasets")
	f.settle("web")
	if f.service("web-canary").Spec.Selector[hashLabel] == "" {
		t.Fatal("the settled rollout's canary Service selects no revision")
	}

	// This replica's cache still shows web-canary as it was before the leader wrote it.
	must(t, f.indexerFor(before).Update(before))
	err := f.sync("web")
	if !apierrors.IsConflict(err) {
		t.Fatalf("sync from a stale cache = %v, want a conflict", err)
	}
	if w := f.writes(); len(w) != 1 || w[0] != "patch services" {
		t.Errorf("writes = %v, want the one refused Service patch and no status", w)
	}
	f.refresh()
	f.mustSync("web")
	if w := f.writes(); len(w) != 0 {
		t.Errorf("sync from the fresh cache wrote %v, want nothing", w)
	}
}
