package rollout

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	k8stesting "k8s.io/client-go/testing"
	"k8s.io/client-go/tools/cache"

	"github.com/serin-dev/serin/pkg/apis/rollouts/v1alpha1"
	"github.com/serin-dev/serin/pkg/plan"
	"github.com/serin-dev/serin/pkg/replicaset"
)

// settle syncs, lets the ReplicaSets come up and the caches catch up, until a sync
// writes nothing; it returns the writes of every sync before that one.
func (f *fixture) settle(name string) [][]string {
	f.t.Helper()
	var all [][]string
	for range 20 {
		f.mustSync(name)
		w := f.writes()
		f.replicaSetsUp()
		if len(w) == 0 {
			return all
		}
		all = append(all, w)
	}
	f.t.Fatalf("%s did not settle in 20 syncs; last writes %v", name, all[len(all)-1])
	return nil
}

func basicObjects(ro *v1alpha1.Rollout) []runtime.Object {
	return []runtime.Object{
		ro,
		testService("web-stable", map[string]string{"app": "web"}),
		testService("web-canary", map[string]string{"app": "web"}),
	}
}

// A first rollout goes straight to Healthy; once there, a sync writes nothing at all.
func TestSyncFirstRolloutSettlesAndThenWritesNothing(t *testing.T) {
	f := newFixture(t, basicObjects(testRollout("web", withServices(), withSteps(setWeight(20), pause()))))
	writes := f.settle("web")
	if len(writes) == 0 {
		t.Fatal("nothing was written")
	}

	ro := f.rollout("web")
	if ro.Status.Phase != v1alpha1.RolloutPhaseHealthy {
		t.Errorf("phase = %q (%s), want Healthy", ro.Status.Phase, ro.Status.Message)
	}
	if !slices.Contains(ro.Finalizers, plan.Finalizer) {
		t.Errorf("finalizers = %v, want %s", ro.Finalizers, plan.Finalizer)
	}
	hash := ro.Status.StableRS
	rs := f.replicaSet("web-" + hash)
	if *rs.Spec.Replicas != 4 || !ownedBy(rs, ro) {
		t.Errorf("ReplicaSet %s: replicas %d, owners %v", rs.Name, *rs.Spec.Replicas, rs.OwnerReferences)
	}
	for _, svc := range []string{"web-stable", "web-canary"} {
		if sel := f.service(svc).Spec.Selector; sel[hashLabel] != hash || sel["app"] != "web" {
			t.Errorf("%s selector = %v, want app=web and %s=%s", svc, sel, hashLabel, hash)
		}
	}
	if !slices.ContainsFunc(f.events(), func(e string) bool { return strings.Contains(e, v1alpha1.ReasonNewReplicaSetCreated) }) {
		t.Error("no NewReplicaSetCreated event")
	}

	// Applying the same (settled) state again writes nothing, several times over.
	for range 3 {
		f.mustSync("web")
		if w := f.writes(); len(w) != 0 {
			t.Fatalf("settled sync wrote %v", w)
		}
	}
}

// The status is written only when it changed, once per change.
func TestSyncWritesStatusOnlyWhenChanged(t *testing.T) {
	f := newFixture(t, basicObjects(testRollout("web", withServices())))
	f.settle("web")

	// A pod of the stable ReplicaSet becomes unavailable: the counts in status change.
	ro := f.rollout("web")
	rs := f.replicaSet("web-" + ro.Status.StableRS)
	rs.Status.AvailableReplicas, rs.Status.ReadyReplicas = 3, 3
	_, err := f.kube.AppsV1().ReplicaSets(ns).UpdateStatus(context.Background(), rs, metav1.UpdateOptions{})
	must(t, err)
	f.refresh()

	f.mustSync("web")
	if w := f.writes(); !slices.Equal(w, []string{"update rollouts/status"}) {
		t.Errorf("writes = %v, want one status update", w)
	}
	if got := f.rollout("web").Status.AvailableReplicas; got != 3 {
		t.Errorf("availableReplicas = %d, want 3", got)
	}
	f.refresh()
	f.mustSync("web")
	if w := f.writes(); len(w) != 0 {
		t.Errorf("second sync wrote %v, want nothing", w)
	}
}

// A status write on a Rollout changed since it was cached is a Conflict, returned as
// the sync's error; its events are not recorded (the retry records them).
func TestSyncStatusConflictIsAnError(t *testing.T) {
	f := newFixture(t, basicObjects(testRollout("web", withServices(), withFinalizer())))
	f.serin.PrependReactor("update", "rollouts", func(a k8stesting.Action) (bool, runtime.Object, error) {
		if a.GetSubresource() != "status" {
			return false, nil, nil
		}
		return true, nil, apierrors.NewConflict(rolloutsResource.GroupResource(), "web", fmt.Errorf("the object has been modified"))
	})
	err := f.sync("web")
	if !apierrors.IsConflict(err) {
		t.Fatalf("sync = %v, want a Conflict", err)
	}
	if e := f.events(); len(e) != 0 {
		t.Errorf("events = %v, want none before the status is stored", e)
	}
	if f.rollout("web").Status.Phase != "" {
		t.Error("status was written despite the conflict")
	}
}

// A ReplicaSet named like the new one that belongs to someone else moves the Rollout
// to the next collision count.
func TestSyncHashCollision(t *testing.T) {
	ro := testRollout("web", withServices(), withFinalizer())
	hash := replicaset.PodTemplateHash(&ro.Spec.Template, nil)
	f := newFixture(t, append(basicObjects(ro), testRS(nil, "web-"+hash, hash, 1, nil)))
	f.mustSync("web")
	got := f.rollout("web").Status.CollisionCount
	if got == nil || *got != 1 {
		t.Fatalf("collisionCount = %v, want 1", got)
	}
	if !slices.ContainsFunc(f.events(), func(e string) bool { return strings.Contains(e, v1alpha1.ReasonHashCollision) }) {
		t.Error("no ReplicaSetHashCollision event")
	}
	f.refresh()
	f.mustSync("web")
	next := f.rollout("web").Status.CurrentPodHash
	if next == hash || next == "" {
		t.Fatalf("hash after the collision = %q, want a new one", next)
	}
	if rs := f.replicaSet("web-" + next); !ownedBy(rs, ro) {
		t.Errorf("ReplicaSet of the next hash is not the Rollout's: %v", rs.OwnerReferences)
	}
	if stranger := f.replicaSet("web-" + hash); ownedBy(stranger, ro) {
		t.Error("the stranger's ReplicaSet was taken over")
	}
}

// A Rollout being deleted gets the hash out of its Services' selectors, then loses
// its finalizer.
func TestSyncDeletionRestoresSelectors(t *testing.T) {
	ro := testRollout("web", withServices(), withFinalizer())
	ro.Finalizers = append(ro.Finalizers, "someone.else/keep")
	now := metav1.Now()
	ro.DeletionTimestamp = &now
	f := newFixture(t, []runtime.Object{
		ro,
		testService("web-stable", map[string]string{"app": "web", hashLabel: "abc"}),
		testService("web-canary", map[string]string{"app": "web", hashLabel: "def"}),
	})
	f.mustSync("web")
	for _, svc := range []string{"web-stable", "web-canary"} {
		sel := f.service(svc).Spec.Selector
		if _, ok := sel[hashLabel]; ok || sel["app"] != "web" {
			t.Errorf("%s selector = %v, want app=web only", svc, sel)
		}
	}
	if got := f.rollout("web").Finalizers; !slices.Equal(got, []string{"someone.else/keep"}) {
		t.Errorf("finalizers = %v, want only someone.else/keep", got)
	}
	// Once restored, a second pass writes nothing but the finalizer (already gone here).
	f.refresh()
	f.mustSync("web")
	if w := f.writes(); len(w) != 0 {
		t.Errorf("second sync wrote %v", w)
	}
}

// A traffic write the router fails is a TrafficRoutingError Warning with the router's
// error (the plan says so), the sync's error, and no status write.
func TestSyncTrafficFailureEvent(t *testing.T) {
	ro := testRollout("web", withNginx(), withFinalizer(), withSteps(setWeight(20), pause()))
	f := newFixture(t, basicObjects(ro))
	f.settle("web")
	f.setImage("web", "img:v2")
	f.events()
	f.router.err = fmt.Errorf("ingress trouble")

	var syncErr error
	for range 5 {
		if syncErr = f.sync("web"); syncErr != nil {
			break
		}
		f.replicaSetsUp()
	}
	if syncErr == nil || !strings.Contains(syncErr.Error(), "ingress trouble") {
		t.Fatalf("sync = %v, want the router's error", syncErr)
	}
	want := "Warning " + v1alpha1.ReasonTrafficRoutingError + " ingress trouble"
	if e := f.events(); !slices.Contains(e, want) {
		t.Errorf("events = %q, want %q", e, want)
	}
}

// The finalizer is added through metadata only: the spec is never written.
func TestSyncAddsFinalizerWithoutTouchingSpec(t *testing.T) {
	ro := testRollout("web", withServices())
	f := newFixture(t, basicObjects(ro))
	f.mustSync("web")
	got := f.rollout("web")
	if !slices.Contains(got.Finalizers, plan.Finalizer) {
		t.Errorf("finalizers = %v", got.Finalizers)
	}
	for _, a := range f.serin.Actions() {
		if a.GetVerb() == "update" && a.GetSubresource() == "" {
			t.Errorf("the Rollout itself was updated: %v", a)
		}
	}
}

// A sync whose caches do not show the controller's own last writes waits for them
// instead of planning from the past.
func TestSyncWaitsForCachesBehindItsWrites(t *testing.T) {
	ro := testRollout("web", withServices(), withFinalizer())
	ro.ResourceVersion = "1"
	f := newFixture(t, basicObjects(ro))
	bumpResourceVersions(f)

	f.mustSync("web") // creates the ReplicaSet, writes status
	if w := f.writes(); !slices.Contains(w, "update rollouts/status") {
		t.Fatalf("first sync wrote %v", w)
	}
	f.clearActions()
	// The caches have not seen the writes: the next sync does nothing.
	f.mustSync("web")
	if w := f.writes(); len(w) != 0 {
		t.Errorf("sync on stale caches wrote %v", w)
	}
	if f.c.queue.Len() != 0 {
		t.Errorf("queue has %d items; the retry is delayed, not immediate", f.c.queue.Len())
	}
	// Once they have, it goes on.
	f.refresh()
	f.mustSync("web")
	if w := f.writes(); len(w) == 0 {
		t.Error("sync on fresh caches wrote nothing")
	}
}

// bumpResourceVersions makes the fakes behave like the API server: each write gives the
// object a new resourceVersion.
func bumpResourceVersions(f *fixture) {
	n := 100
	bump := func(a k8stesting.Action) (bool, runtime.Object, error) {
		n++
		var obj runtime.Object
		// Create and update actions both carry the object written.
		withObject, ok := a.(interface{ GetObject() runtime.Object })
		if !ok {
			return false, nil, nil
		}
		obj = withObject.GetObject()
		if m, ok := obj.(metav1.Object); ok {
			m.SetResourceVersion(strconv.Itoa(n))
		}
		return false, nil, nil
	}
	f.kube.PrependReactor("*", "*", bump)
	f.serin.PrependReactor("*", "*", bump)
}

// A deleted Rollout's metrics and expectations go.
func TestSyncNotFoundForgets(t *testing.T) {
	f := newFixture(t, basicObjects(testRollout("web", withServices())))
	f.settle("web")
	must(t, f.serin.SerinV1alpha1().Rollouts(ns).Delete(context.Background(), "web", metav1.DeleteOptions{}))
	f.refresh()
	f.mustSync("web")
	if n := seriesCount(t, f, "serin_rollout_phase"); n != 0 {
		t.Errorf("serin_rollout_phase series after deletion = %d, want 0", n)
	}
	if _, ok := f.c.expect.byKey[cache.ObjectName{Namespace: ns, Name: "web"}]; ok {
		t.Error("expectations kept for a deleted rollout")
	}
}

// seriesCount is the number of series of the metric family name.
func seriesCount(t *testing.T, f *fixture, name string) int {
	t.Helper()
	families, err := f.c.metrics.Registry.Gather()
	must(t, err)
	for _, mf := range families {
		if mf.GetName() == name {
			return len(mf.GetMetric())
		}
	}
	return 0
}

// The canary-nginx example on the fake clientsets with the real nginx router: a new
// image goes to a canary at weight 20 and pauses; removing the pause condition
// (promote) takes it on to the next pause at 50.
func TestSyncCanaryWithNginxToFirstPause(t *testing.T) {
	ro := testRollout("web", withNginx(), withSteps(setWeight(20), pause(), setWeight(50), pause()))
	f := newFixture(t, append(basicObjects(ro), testIngress("web", "web-stable")), withRealRouter())
	f.settle("web")
	stable := f.rollout("web").Status.StableRS

	// A new image.
	f.setImage("web", "img:v2")
	writes := f.settle("web")
	total := 0
	for i, w := range writes {
		t.Logf("sync %d wrote %v", i+1, w)
		total += len(w)
	}
	t.Logf("%d writes in %d syncs to reach the first pause", total, len(writes))

	got := f.rollout("web")
	canary := got.Status.CurrentPodHash
	if got.Status.Phase != v1alpha1.RolloutPhasePaused || *got.Status.CurrentStepIndex != 1 {
		t.Fatalf("phase %q step %d (%s), want Paused at step 1", got.Status.Phase, *got.Status.CurrentStepIndex, got.Status.Message)
	}
	if w := got.Status.Canary.Weights; w == nil || w.Canary.Weight != 20 {
		t.Errorf("status weights = %+v, want canary 20", w)
	}
	ing, err := f.kube.NetworkingV1().Ingresses(ns).Get(context.Background(), "web-web-canary", metav1.GetOptions{})
	must(t, err)
	if ing.Annotations["nginx.ingress.kubernetes.io/canary-weight"] != "20" {
		t.Errorf("canary Ingress annotations = %v, want canary-weight 20", ing.Annotations)
	}
	if *f.replicaSet("web-" + canary).Spec.Replicas != 1 || *f.replicaSet("web-" + stable).Spec.Replicas != 4 {
		t.Error("want 1 canary and 4 stable replicas")
	}
	if f.service("web-canary").Spec.Selector[hashLabel] != canary || f.service("web-stable").Spec.Selector[hashLabel] != stable {
		t.Error("want the canary Service on the canary, the stable on the stable")
	}

	// Promote: the user removes the pause condition.
	got.Status.PauseConditions = nil
	_, err = f.serin.SerinV1alpha1().Rollouts(ns).UpdateStatus(context.Background(), got, metav1.UpdateOptions{})
	must(t, err)
	f.refresh()
	f.settle("web")
	got = f.rollout("web")
	if got.Status.Phase != v1alpha1.RolloutPhasePaused || *got.Status.CurrentStepIndex != 3 || got.Status.Canary.Weights.Canary.Weight != 50 {
		t.Errorf("after promote: phase %q step %d weight %d, want Paused at step 3 with 50",
			got.Status.Phase, *got.Status.CurrentStepIndex, got.Status.Canary.Weights.Canary.Weight)
	}
}

// restartAt evicts within maxUnavailable (1 of 4 here), and a sync whose pod cache does
// not show the eviction yet evicts nothing more.
func TestSyncRestartEvictsOneAtATime(t *testing.T) {
	f := newFixture(t, basicObjects(testRollout("web", withServices())))
	f.settle("web")
	bumpResourceVersions(f)
	ro := f.rollout("web")
	rs := f.replicaSet("web-" + ro.Status.StableRS)
	// Its pods again, at a resourceVersion the expectations can compare.
	pods, err := f.kube.CoreV1().Pods(ns).List(context.Background(), metav1.ListOptions{})
	must(t, err)
	for _, pod := range pods.Items {
		must(t, f.kube.CoreV1().Pods(ns).Delete(context.Background(), pod.Name, metav1.DeleteOptions{}))
	}
	for i := range 4 {
		pod := testPod(rs, fmt.Sprintf("web-%d", i), f0())
		pod.ResourceVersion = "5"
		f.seed(pod)
	}
	ro.Spec.RestartAt = &metav1.Time{Time: f.clock.Now()}
	ro.Generation++
	_, err = f.serin.SerinV1alpha1().Rollouts(ns).Update(context.Background(), ro, metav1.UpdateOptions{})
	must(t, err)
	f.refresh()

	f.mustSync("web")
	if w := f.writes(); !slices.Equal(evictions(w), []string{"create pods/eviction"}) {
		t.Fatalf("writes = %v, want one eviction", w)
	}
	f.clearActions()
	f.mustSync("web") // the pod cache still shows the evicted pod ready
	if w := evictions(f.writes()); len(w) != 0 {
		t.Errorf("sync on a stale pod cache evicted again: %v", w)
	}
	f.refresh()
	f.mustSync("web") // one pod short: no budget until its replacement is ready
	if w := evictions(f.writes()); len(w) != 0 {
		t.Errorf("evicted %v with one pod already unavailable", w)
	}
}

func evictions(writes []string) []string {
	var out []string
	for _, w := range writes {
		if strings.HasSuffix(w, "/eviction") {
			out = append(out, w)
		}
	}
	return out
}
