package rollout

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"

	"github.com/serin-dev/serin/pkg/apis/rollouts/v1alpha1"
	"github.com/serin-dev/serin/pkg/plan"
)

const hashLabel = v1alpha1.DefaultRolloutUniqueLabelKey

func (f *fixture) apply(ro *v1alpha1.Rollout, actions ...plan.Action) error {
	return f.c.applyActions(context.Background(), ro, actions, f.router)
}

// Each action writes what it says; the result is read back from the fake clientsets.
func TestApplyEachAction(t *testing.T) {
	ro := testRollout("web", withNginx())
	tests := map[string]struct {
		objs   []runtime.Object
		action plan.Action
		check  func(t *testing.T, f *fixture)
	}{
		"create ReplicaSet": {
			action: plan.Action{CreateReplicaSet: testRS(ro, "web-abc", "abc", 0, nil)},
			check: func(t *testing.T, f *fixture) {
				rs := f.replicaSet("web-abc")
				if !ownedBy(rs, ro) || rs.Labels[hashLabel] != "abc" {
					t.Errorf("created ReplicaSet = %+v", rs.ObjectMeta)
				}
			},
		},
		"scale ReplicaSet": {
			objs:   []runtime.Object{testRS(ro, "web-abc", "abc", 1, nil)},
			action: plan.Action{ScaleReplicaSet: &plan.ScaleReplicaSet{Name: "web-abc", Replicas: 3}},
			check: func(t *testing.T, f *fixture) {
				if got := *f.replicaSet("web-abc").Spec.Replicas; got != 3 {
					t.Errorf("replicas = %d, want 3", got)
				}
			},
		},
		"annotate ReplicaSet: set one, remove another, keep the rest": {
			objs: []runtime.Object{testRS(ro, "web-abc", "abc", 1, map[string]string{
				plan.AnnotationRevision: "1", plan.AnnotationScaleDownDeadline: "2026-05-01T12:00:30Z"})},
			action: plan.Action{AnnotateRS: &plan.AnnotateReplicaSet{Name: "web-abc", Annotations: map[string]*string{
				plan.AnnotationScaleDownDeadline: nil, "extra": ptr("yes")}}},
			check: func(t *testing.T, f *fixture) {
				a := f.replicaSet("web-abc").Annotations
				if _, ok := a[plan.AnnotationScaleDownDeadline]; ok || a["extra"] != "yes" || a[plan.AnnotationRevision] != "1" {
					t.Errorf("annotations = %v", a)
				}
			},
		},
		"delete ReplicaSet": {
			objs:   []runtime.Object{testRS(ro, "web-old", "old", 0, nil)},
			action: plan.Action{DeleteReplicaSet: ptr("web-old")},
			check: func(t *testing.T, f *fixture) {
				_, err := f.kube.AppsV1().ReplicaSets(ns).Get(context.Background(), "web-old", metav1.GetOptions{})
				if !apierrors.IsNotFound(err) {
					t.Errorf("get after delete: %v, want NotFound", err)
				}
			},
		},
		"point a Service at a hash, keeping the user's selector": {
			objs:   []runtime.Object{testService("web-canary", map[string]string{"app": "web"})},
			action: plan.Action{SetSelector: &plan.SetServiceSelector{Service: "web-canary", Hash: "abc"}},
			check: func(t *testing.T, f *fixture) {
				sel := f.service("web-canary").Spec.Selector
				if sel["app"] != "web" || sel[hashLabel] != "abc" || len(sel) != 2 {
					t.Errorf("selector = %v", sel)
				}
			},
		},
		"remove the hash from a Service": {
			objs:   []runtime.Object{testService("web-canary", map[string]string{"app": "web", hashLabel: "abc"})},
			action: plan.Action{SetSelector: &plan.SetServiceSelector{Service: "web-canary"}},
			check: func(t *testing.T, f *fixture) {
				sel := f.service("web-canary").Spec.Selector
				if _, ok := sel[hashLabel]; ok || sel["app"] != "web" {
					t.Errorf("selector = %v", sel)
				}
			},
		},
		"set traffic": {
			action: plan.Action{SetTraffic: &plan.SetTraffic{CanaryWeight: 20}},
			check: func(t *testing.T, f *fixture) {
				if f.router.state == nil || f.router.state.CanaryWeight != 20 {
					t.Errorf("router state = %+v, want weight 20", f.router.state)
				}
			},
		},
		"evict pod": {
			objs:   []runtime.Object{testPod(testRS(ro, "web-abc", "abc", 1, nil), "web-abc-1", time.Time{})},
			action: plan.Action{EvictPod: ptr("web-abc-1")},
			check: func(t *testing.T, f *fixture) {
				_, err := f.kube.CoreV1().Pods(ns).Get(context.Background(), "web-abc-1", metav1.GetOptions{})
				if !apierrors.IsNotFound(err) {
					t.Errorf("get after eviction: %v, want NotFound", err)
				}
			},
		},
		"role metadata on a pod template: set one label, remove another": {
			objs: []runtime.Object{func() runtime.Object {
				rs := testRS(ro, "web-abc", "abc", 1, nil)
				rs.Spec.Template.Labels["role"] = "canary"
				return rs
			}()},
			action: plan.Action{SetPodMetadata: &plan.PodMetadataPatch{ReplicaSet: "web-abc",
				Labels: map[string]*string{"role": nil, "tier": ptr("stable")}}},
			check: func(t *testing.T, f *fixture) {
				l := f.replicaSet("web-abc").Spec.Template.Labels
				if _, ok := l["role"]; ok || l["tier"] != "stable" || l[hashLabel] != "abc" {
					t.Errorf("template labels = %v", l)
				}
			},
		},
		"role metadata on a pod": {
			objs: []runtime.Object{testPod(testRS(ro, "web-abc", "abc", 1, nil), "web-abc-1", time.Time{})},
			action: plan.Action{SetPodMetadata: &plan.PodMetadataPatch{Pod: "web-abc-1",
				Labels: map[string]*string{"role": ptr("stable")}, Annotations: map[string]*string{"note": ptr("x")}}},
			check: func(t *testing.T, f *fixture) {
				pod, err := f.kube.CoreV1().Pods(ns).Get(context.Background(), "web-abc-1", metav1.GetOptions{})
				if err != nil {
					t.Fatal(err)
				}
				if pod.Labels["role"] != "stable" || pod.Annotations["note"] != "x" || pod.Labels[hashLabel] != "abc" {
					t.Errorf("pod metadata = %v %v", pod.Labels, pod.Annotations)
				}
			},
		},
		"create AnalysisRun": {
			action: plan.Action{CreateAnalysisRun: testRun(ro, "web-abc-2-1", false)},
			check: func(t *testing.T, f *fixture) {
				run := f.analysisRun("web-abc-2-1")
				if run == nil || !ownedBy(run, ro) {
					t.Errorf("created run = %+v", run)
				}
			},
		},
		"terminate AnalysisRun": {
			objs:   []runtime.Object{testRun(ro, "web-abc-2-1", false)},
			action: plan.Action{TerminateAnalysisRun: ptr("web-abc-2-1")},
			check: func(t *testing.T, f *fixture) {
				if run := f.analysisRun("web-abc-2-1"); run == nil || !run.Spec.Terminate {
					t.Errorf("run after terminate = %+v", run)
				}
			},
		},
		"delete AnalysisRun": {
			objs:   []runtime.Object{testRun(ro, "web-abc-2-1", true)},
			action: plan.Action{DeleteAnalysisRun: ptr("web-abc-2-1")},
			check: func(t *testing.T, f *fixture) {
				if run := f.analysisRun("web-abc-2-1"); run != nil {
					t.Errorf("run still there: %+v", run.ObjectMeta)
				}
			},
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			f := newFixture(t, append([]runtime.Object{ro.DeepCopy()}, tc.objs...))
			if err := f.apply(ro, tc.action); err != nil {
				t.Fatalf("apply: %v", err)
			}
			if len(f.writes()) == 0 && tc.action.SetTraffic == nil {
				t.Errorf("no write")
			}
			tc.check(t, f)
		})
	}
}

// An action the caches show in effect already writes nothing.
func TestApplyWritesNothingWhenInEffect(t *testing.T) {
	ro := testRollout("web", withNginx())
	f := newFixture(t, []runtime.Object{
		ro.DeepCopy(),
		testRS(ro, "web-abc", "abc", 3, map[string]string{plan.AnnotationRevision: "2"}),
		testRS(ro, "web-old", "old", 0, nil),
		testService("web-stable", map[string]string{"app": "web", hashLabel: "old"}),
		testService("web-canary", map[string]string{"app": "web"}),
		testRun(ro, "web-abc-2-1", true),
	})
	err := f.apply(ro,
		plan.Action{CreateReplicaSet: testRS(ro, "web-abc", "abc", 3, nil)},
		plan.Action{ScaleReplicaSet: &plan.ScaleReplicaSet{Name: "web-abc", Replicas: 3}},
		plan.Action{AnnotateRS: &plan.AnnotateReplicaSet{Name: "web-abc", Annotations: map[string]*string{
			plan.AnnotationRevision: ptr("2"), plan.AnnotationScaleDownDeadline: nil}}},
		plan.Action{DeleteReplicaSet: ptr("web-gone")},
		plan.Action{SetSelector: &plan.SetServiceSelector{Service: "web-stable", Hash: "old"}},
		plan.Action{SetSelector: &plan.SetServiceSelector{Service: "web-canary", Hash: ""}},
		plan.Action{EvictPod: ptr("web-abc-gone")},
		plan.Action{SetPodMetadata: &plan.PodMetadataPatch{ReplicaSet: "web-abc", Labels: map[string]*string{"role": nil}}},
		plan.Action{SetPodMetadata: &plan.PodMetadataPatch{Pod: "web-abc-gone", Labels: map[string]*string{"role": ptr("x")}}},
		plan.Action{CreateAnalysisRun: testRun(ro, "web-abc-2-1", true)},
		plan.Action{TerminateAnalysisRun: ptr("web-abc-2-1")},
		plan.Action{TerminateAnalysisRun: ptr("web-gone-run")},
		plan.Action{DeleteAnalysisRun: ptr("web-gone-run")},
	)
	if err != nil {
		t.Fatal(err)
	}
	if w := f.writes(); len(w) != 0 {
		t.Errorf("writes = %v, want none", w)
	}
}

// The create of a ReplicaSet the cache does not show yet, but that exists and is the
// Rollout's, is no error.
func TestApplyCreateAlreadyOwned(t *testing.T) {
	ro := testRollout("web")
	f := newFixture(t, []runtime.Object{ro.DeepCopy()})
	must(t, f.kube.Tracker().Add(testRS(ro, "web-abc", "abc", 1, nil))) // not in the cache
	if err := f.apply(ro, plan.Action{CreateReplicaSet: testRS(ro, "web-abc", "abc", 1, nil)}); err != nil {
		t.Fatalf("apply: %v", err)
	}
}

// A ReplicaSet of the name that is not the Rollout's is a collision.
func TestApplyCreateCollision(t *testing.T) {
	ro := testRollout("web")
	f := newFixture(t, []runtime.Object{ro.DeepCopy(), testRS(nil, "web-abc", "abc", 1, nil)})
	err := f.apply(ro, plan.Action{CreateReplicaSet: testRS(ro, "web-abc", "abc", 1, nil)})
	if !errors.Is(err, errCollision) {
		t.Fatalf("apply = %v, want errCollision", err)
	}
}

// Actions run in the plan's order: the traffic change sees exactly the writes listed
// before it, none listed after; and the first failure stops the rest.
func TestApplyTrafficWhereItStands(t *testing.T) {
	ro := testRollout("web", withNginx())
	objs := func() []runtime.Object {
		return []runtime.Object{
			ro.DeepCopy(),
			testRS(ro, "web-new", "new", 1, nil),
			testService("web-canary", map[string]string{"app": "web", hashLabel: "old"}),
		}
	}
	t.Run("selector, traffic, scale", func(t *testing.T) {
		f := newFixture(t, objs())
		err := f.apply(ro,
			plan.Action{SetSelector: &plan.SetServiceSelector{Service: "web-canary", Hash: "new"}},
			plan.Action{SetTraffic: &plan.SetTraffic{CanaryWeight: 20}},
			plan.Action{ScaleReplicaSet: &plan.ScaleReplicaSet{Name: "web-new", Replicas: 2}},
		)
		must(t, err)
		call := f.router.applied[0]
		if call.canarySelects != "new" || call.replicas["web-new"] != 1 {
			t.Errorf("at SetTraffic the canary Service selected %q and web-new had %d replicas; want new and 1",
				call.canarySelects, call.replicas["web-new"])
		}
		if got := *f.replicaSet("web-new").Spec.Replicas; got != 2 {
			t.Errorf("replicas after = %d, want 2", got)
		}
	})
	t.Run("traffic to 0 before the selector moves", func(t *testing.T) {
		f := newFixture(t, objs())
		f.router.state = &plan.TrafficState{CanaryWeight: 20}
		err := f.apply(ro,
			plan.Action{SetTraffic: &plan.SetTraffic{CanaryWeight: 0}},
			plan.Action{SetSelector: &plan.SetServiceSelector{Service: "web-canary", Hash: "stable"}},
		)
		must(t, err)
		if call := f.router.applied[0]; call.canarySelects != "old" {
			t.Errorf("at SetTraffic the canary Service selected %q, want old (not moved yet)", call.canarySelects)
		}
		if got := f.service("web-canary").Spec.Selector[hashLabel]; got != "stable" {
			t.Errorf("selector after = %q, want stable", got)
		}
	})
	t.Run("a failing router stops the rest", func(t *testing.T) {
		f := newFixture(t, objs())
		f.router.err = errors.New("ingress trouble")
		err := f.apply(ro,
			plan.Action{SetTraffic: &plan.SetTraffic{CanaryWeight: 20}},
			plan.Action{ScaleReplicaSet: &plan.ScaleReplicaSet{Name: "web-new", Replicas: 2}},
		)
		if err == nil || !strings.Contains(err.Error(), "ingress trouble") {
			t.Fatalf("apply = %v, want the router's error", err)
		}
		if got := *f.replicaSet("web-new").Spec.Replicas; got != 1 {
			t.Errorf("replicas = %d, want 1: nothing after a failed action runs", got)
		}
	})
}

func TestAnnotationsInEffect(t *testing.T) {
	have := map[string]string{"a": "1", "b": "2"}
	tests := map[string]struct {
		want map[string]*string
		ok   bool
	}{
		"same value":       {map[string]*string{"a": ptr("1")}, true},
		"other value":      {map[string]*string{"a": ptr("9")}, false},
		"missing key":      {map[string]*string{"c": ptr("3")}, false},
		"removal done":     {map[string]*string{"c": nil}, true},
		"removal not done": {map[string]*string{"b": nil}, false},
	}
	for name, tc := range tests {
		if got := annotationsInEffect(have, tc.want); got != tc.ok {
			t.Errorf("%s: annotationsInEffect = %v, want %v", name, got, tc.ok)
		}
	}
}

// An orphaned ReplicaSet is adopted: the Rollout becomes its controller and the owners
// it had stay; one with another controller is never taken.
func TestApplyAdopt(t *testing.T) {
	ro := testRollout("web")
	other := testRollout("other")
	f := newFixture(t, []runtime.Object{ro.DeepCopy(), testRS(nil, "web-abc", "abc", 4, nil), testRS(other, "other-def", "def", 1, nil)})
	if err := f.apply(ro, plan.Action{AdoptReplicaSet: ptr("web-abc")}); err != nil {
		t.Fatalf("adopt: %v", err)
	}
	if rs := f.replicaSet("web-abc"); !ownedBy(rs, ro) || *rs.Spec.Replicas != 4 {
		t.Errorf("adopted ReplicaSet = %+v", rs.ObjectMeta)
	}
	if err := f.apply(ro, plan.Action{AdoptReplicaSet: ptr("other-def")}); err == nil {
		t.Errorf("adopted a ReplicaSet another Rollout controls")
	}
	if rs := f.replicaSet("other-def"); !ownedBy(rs, other) {
		t.Errorf("the other Rollout's ReplicaSet changed owner: %+v", rs.OwnerReferences)
	}
}

func testRun(owner *v1alpha1.Rollout, name string, terminated bool) *v1alpha1.AnalysisRun {
	return &v1alpha1.AnalysisRun{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns, UID: types.UID("uid-" + name),
			OwnerReferences: []metav1.OwnerReference{*metav1.NewControllerRef(owner, v1alpha1.SchemeGroupVersion.WithKind("Rollout"))}},
		Spec: v1alpha1.AnalysisRunSpec{Terminate: terminated},
	}
}

func (f *fixture) analysisRun(name string) *v1alpha1.AnalysisRun {
	run, err := f.serin.SerinV1alpha1().AnalysisRuns(ns).Get(context.Background(), name, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return nil
	}
	must(f.t, err)
	return run
}

// A run of that name that is not the Rollout's (cached under the same name) is never
// terminated or deleted.
func TestApplyLeavesForeignAnalysisRuns(t *testing.T) {
	ro := testRollout("web", withNginx())
	foreign := testRun(testRollout("other"), "web-abc-2-1", false)
	foreign.OwnerReferences[0].UID = "someone-else"
	for _, a := range []plan.Action{{TerminateAnalysisRun: ptr("web-abc-2-1")}, {DeleteAnalysisRun: ptr("web-abc-2-1")}} {
		f := newFixture(t, []runtime.Object{ro.DeepCopy(), foreign.DeepCopy()})
		if err := f.apply(ro, a); err == nil || !strings.Contains(err.Error(), "not owned") {
			t.Errorf("%s: error %v, want not owned", a.Describe(), err)
		}
		if run := f.analysisRun("web-abc-2-1"); run == nil || run.Spec.Terminate {
			t.Errorf("%s: the foreign run was changed: %+v", a.Describe(), run)
		}
	}
}

// AddFinalizer and RemoveFinalizer change the Rollout's finalizers and nothing else,
// and leave ro at the version they wrote (so the status write that follows does not
// conflict).
func TestApplyFinalizers(t *testing.T) {
	tests := map[string]struct {
		have   []string
		action plan.Action
		want   []string
	}{
		"add":                     {have: nil, action: plan.Action{AddFinalizer: ptr(plan.Finalizer)}, want: []string{plan.Finalizer}},
		"add keeps the others":    {have: []string{"a/b"}, action: plan.Action{AddFinalizer: ptr(plan.Finalizer)}, want: []string{"a/b", plan.Finalizer}},
		"remove keeps the others": {have: []string{"a/b", plan.Finalizer}, action: plan.Action{RemoveFinalizer: ptr(plan.Finalizer)}, want: []string{"a/b"}},
		"remove the last":         {have: []string{plan.Finalizer}, action: plan.Action{RemoveFinalizer: ptr(plan.Finalizer)}, want: nil},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			ro := testRollout("web", withServices())
			ro.Finalizers, ro.ResourceVersion = tc.have, "7"
			f := newFixture(t, []runtime.Object{ro.DeepCopy()})
			must(t, f.apply(ro, tc.action))
			got := f.rollout("web")
			if !slices.Equal(got.Finalizers, tc.want) || !slices.Equal(ro.Finalizers, tc.want) {
				t.Errorf("finalizers stored %v, in ro %v; want %v", got.Finalizers, ro.Finalizers, tc.want)
			}
			if ro.ResourceVersion != got.ResourceVersion {
				t.Errorf("ro at resourceVersion %s, stored %s", ro.ResourceVersion, got.ResourceVersion)
			}
			if w := f.writes(); !slices.Equal(w, []string{"patch rollouts"}) {
				t.Errorf("writes = %v, want one patch of the Rollout", w)
			}
		})
	}
	t.Run("remove from a Rollout already gone", func(t *testing.T) {
		ro := testRollout("web", withServices(), withFinalizer())
		f := newFixture(t, nil)
		if err := f.apply(ro, plan.Action{RemoveFinalizer: ptr(plan.Finalizer)}); err != nil {
			t.Errorf("apply = %v, want no error", err)
		}
	})
}
