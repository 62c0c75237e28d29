package actions

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apiequality "k8s.io/apimachinery/pkg/api/equality"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/intstr"
	kubefake "k8s.io/client-go/kubernetes/fake"

	"github.com/serin-dev/serin/pkg/apis/rollouts/v1alpha1"
	serinfake "github.com/serin-dev/serin/pkg/client/clientset/versioned/fake"
)

const ns = "shop"

func i32(v int32) *int32 { return &v }

// rollout is web, updating from stable hash "stable1" to "canary2", at step idx of
// setWeight 20, pause {}, setWeight 50, pause 30s; opts adjust it.
func rollout(idx int32, opts ...func(*v1alpha1.Rollout)) *v1alpha1.Rollout {
	ro := &v1alpha1.Rollout{
		ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: ns, UID: "uid-web", ResourceVersion: "7"},
		Spec: v1alpha1.RolloutSpec{
			Replicas: i32(4),
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"app": "web"}},
				Spec: corev1.PodSpec{
					InitContainers: []corev1.Container{{Name: "init", Image: "busybox:1"}},
					Containers:     []corev1.Container{{Name: "web", Image: "nginx:1"}, {Name: "sidecar", Image: "envoy:1"}},
				},
			},
			Strategy: v1alpha1.RolloutStrategy{Canary: &v1alpha1.CanaryStrategy{
				Steps: []v1alpha1.CanaryStep{
					{SetWeight: i32(20)},
					{Pause: &v1alpha1.RolloutPause{}},
					{SetWeight: i32(50)},
					{Pause: &v1alpha1.RolloutPause{Duration: durationp(intstr.FromString("30s"))}},
				},
			}},
		},
		Status: v1alpha1.RolloutStatus{StableRS: "stable1", CurrentPodHash: "canary2", CurrentStepIndex: i32(idx)},
	}
	for _, o := range opts {
		o(ro)
	}
	return ro
}

func durationp(v intstr.IntOrString) *intstr.IntOrString { return &v }

func pausedAtStep(ro *v1alpha1.Rollout) {
	ro.Status.PauseConditions = []v1alpha1.PauseCondition{{Reason: v1alpha1.PauseReasonCanaryPauseStep, StartTime: metav1.Now()}}
	ro.Status.ControllerPause = true
}
func specPaused(ro *v1alpha1.Rollout) { ro.Spec.Paused = true }
func stable(ro *v1alpha1.Rollout) {
	ro.Status.CurrentPodHash = ro.Status.StableRS
	ro.Status.CurrentStepIndex = i32(int32(len(ro.Spec.Strategy.Canary.Steps)))
}
func aborted(ro *v1alpha1.Rollout) { ro.Status.Abort = true }
func blueGreen(ro *v1alpha1.Rollout) {
	ro.Spec.Strategy = v1alpha1.RolloutStrategy{BlueGreen: &v1alpha1.BlueGreenStrategy{ActiveService: "web", PreviewService: "web-preview"}}
	ro.Status.CurrentStepIndex = nil
}
func blueGreenPaused(ro *v1alpha1.Rollout) {
	blueGreen(ro)
	ro.Status.PauseConditions = []v1alpha1.PauseCondition{{Reason: v1alpha1.PauseReasonBlueGreenPause, StartTime: metav1.Now()}}
	ro.Status.ControllerPause = true
}

func clients(objs ...runtime.Object) Clients {
	var kube, serin []runtime.Object
	for _, o := range objs {
		if _, ok := o.(*v1alpha1.Rollout); ok {
			serin = append(serin, o)
		} else {
			kube = append(kube, o)
		}
	}
	return Clients{Kube: kubefake.NewClientset(kube...), Serin: serinfake.NewSimpleClientset(serin...)}
}

func readBack(t *testing.T, c Clients) *v1alpha1.Rollout {
	t.Helper()
	ro, err := c.Serin.SerinV1alpha1().Rollouts(ns).Get(context.Background(), "web", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return ro
}

type actionFunc func(ctx context.Context, c Clients) (Result, error)

func TestActions(t *testing.T) {
	promote := func(full bool) actionFunc {
		return func(ctx context.Context, c Clients) (Result, error) { return Promote(ctx, c, ns, "web", full) }
	}
	named := func(f func(context.Context, Clients, string, string) (Result, error)) actionFunc {
		return func(ctx context.Context, c Clients) (Result, error) { return f(ctx, c, ns, "web") }
	}
	tests := map[string]struct {
		ro      *v1alpha1.Rollout
		action  actionFunc
		nothing bool // the action refuses with ErrNothingToDo
		check   func(t *testing.T, ro *v1alpha1.Rollout)
		did     string // a phrase Result.Did must hold
		next    string // a phrase Result.Next must hold
	}{
		"promote at a pause step clears its condition and keeps the step": {
			ro: rollout(1, pausedAtStep), action: promote(false),
			check: func(t *testing.T, ro *v1alpha1.Rollout) {
				if len(ro.Status.PauseConditions) != 0 || !ro.Status.ControllerPause || *ro.Status.CurrentStepIndex != 1 {
					t.Errorf("want no pause condition, controllerPause kept, step 1; got %+v", ro.Status)
				}
			},
			did: "pause cleared at step 2/4 (pause)", next: "step 3/4 (setWeight 50)",
		},
		"promote of a manually paused rollout unpauses it": {
			ro: rollout(0, specPaused), action: promote(false),
			check: func(t *testing.T, ro *v1alpha1.Rollout) {
				if ro.Spec.Paused || *ro.Status.CurrentStepIndex != 0 {
					t.Errorf("want spec.paused false at step 0, got paused=%v step %d", ro.Spec.Paused, *ro.Status.CurrentStepIndex)
				}
			},
			did: "spec.paused", next: "step 1/4 (setWeight 20)",
		},
		"promote when not paused skips the current step": {
			ro: rollout(2), action: promote(false),
			check: func(t *testing.T, ro *v1alpha1.Rollout) {
				if *ro.Status.CurrentStepIndex != 3 {
					t.Errorf("want step index 3, got %d", *ro.Status.CurrentStepIndex)
				}
			},
			did: "skipped step 3/4 (setWeight 50)", next: "step 4/4 (pause 30s)",
		},
		"promote of the last step leads to promotion": {
			ro: rollout(3), action: promote(false),
			check: func(t *testing.T, ro *v1alpha1.Rollout) {
				if *ro.Status.CurrentStepIndex != 4 {
					t.Errorf("want step index 4, got %d", *ro.Status.CurrentStepIndex)
				}
			},
			next: "all 4 replicas",
		},
		"promote past every step refuses":     {ro: rollout(4), action: promote(false), nothing: true},
		"promote of a stable rollout refuses": {ro: rollout(0, stable), action: promote(false), nothing: true},
		"promote --full sets promoteFull and clears pauses": {
			ro: rollout(1, pausedAtStep, specPaused), action: promote(true),
			check: func(t *testing.T, ro *v1alpha1.Rollout) {
				if !ro.Status.PromoteFull || len(ro.Status.PauseConditions) != 0 || ro.Spec.Paused {
					t.Errorf("want promoteFull, no pause condition, not paused; got promoteFull=%v pauses=%v paused=%v",
						ro.Status.PromoteFull, ro.Status.PauseConditions, ro.Spec.Paused)
				}
			},
			did: "fully promoted",
		},
		"promote of a paused blue-green clears its pause": {
			ro: rollout(0, blueGreenPaused), action: promote(false),
			check: func(t *testing.T, ro *v1alpha1.Rollout) {
				if len(ro.Status.PauseConditions) != 0 {
					t.Errorf("pause conditions left: %v", ro.Status.PauseConditions)
				}
			},
			did: "pause cleared", next: "switches the active Service",
		},
		"promote of a blue-green that is not paused refuses": {ro: rollout(0, blueGreen), action: promote(false), nothing: true},
		"abort sets status.abort": {
			ro: rollout(1, pausedAtStep), action: named(Abort),
			check: func(t *testing.T, ro *v1alpha1.Rollout) {
				if !ro.Status.Abort {
					t.Error("want status.abort true")
				}
			},
			did: "aborted", next: "scales the canary down",
		},
		"abort of a stable rollout refuses":   {ro: rollout(0, stable), action: named(Abort), nothing: true},
		"abort of an aborted rollout refuses": {ro: rollout(0, aborted), action: named(Abort), nothing: true},
		"retry clears status.abort": {
			ro: rollout(0, aborted), action: named(Retry),
			check: func(t *testing.T, ro *v1alpha1.Rollout) {
				if ro.Status.Abort {
					t.Error("want status.abort false")
				}
			},
			next: "step 1/4 (setWeight 20)",
		},
		"retry of a rollout not aborted refuses": {ro: rollout(1), action: named(Retry), nothing: true},
		"pause sets spec.paused": {
			ro: rollout(0), action: named(Pause),
			check: func(t *testing.T, ro *v1alpha1.Rollout) {
				if !ro.Spec.Paused {
					t.Error("want spec.paused true")
				}
			},
			did: "paused",
		},
		"pause of a paused rollout refuses": {ro: rollout(0, specPaused), action: named(Pause), nothing: true},
		"resume clears spec.paused": {
			ro: rollout(2, specPaused), action: named(Resume),
			check: func(t *testing.T, ro *v1alpha1.Rollout) {
				if ro.Spec.Paused {
					t.Error("want spec.paused false")
				}
			},
			next: "step 3/4 (setWeight 50)",
		},
		"resume at a pause step says to promote": {ro: rollout(1, pausedAtStep), action: named(Resume), nothing: true},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			c := clients(tc.ro)
			res, err := tc.action(context.Background(), c)
			if tc.nothing {
				if !errors.Is(err, ErrNothingToDo) {
					t.Fatalf("want ErrNothingToDo, got %v", err)
				}
				if got := readBack(t, c); !apiequality.Semantic.DeepEqual(got, tc.ro) {
					t.Errorf("a refused action changed the rollout:\n got  %+v\n want %+v", got, tc.ro)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(res.Did, tc.did) || !strings.Contains(res.Next, tc.next) {
				t.Errorf("result %q: want Did with %q and Next with %q", res, tc.did, tc.next)
			}
			tc.check(t, readBack(t, c))
		})
	}
}

func TestPromoteSkipRefusesWhenTheStepMoved(t *testing.T) {
	c := clients(rollout(2))
	// The controller moves on between the read and the write: simulate it by reading a
	// stale rollout (step 1) and patching with it.
	stale := rollout(1)
	if _, err := skipStep(context.Background(), c, stale); err == nil {
		t.Fatal("want the conditional patch to fail")
	}
	if got := *readBack(t, c).Status.CurrentStepIndex; got != 2 {
		t.Errorf("step index changed to %d; want 2 left alone", got)
	}
}

func TestRestartSetsRestartAtToNow(t *testing.T) {
	c := clients(rollout(0, stable))
	before := time.Now().Add(-time.Second)
	if _, err := Restart(context.Background(), c, ns, "web"); err != nil {
		t.Fatal(err)
	}
	at := readBack(t, c).Spec.RestartAt
	if at == nil || at.Time.Before(before) || at.Time.After(time.Now()) {
		t.Errorf("restartAt %v: want between %v and now", at, before)
	}
}

func TestNotFoundNamesTheNamespace(t *testing.T) {
	_, err := Abort(context.Background(), clients(), ns, "api")
	if err == nil || !strings.Contains(err.Error(), `rollout "api" in namespace "shop"`) {
		t.Fatalf("want an error naming the rollout and namespace, got %v", err)
	}
}
