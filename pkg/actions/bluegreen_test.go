package actions

import (
	"context"
	"errors"
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/serin-dev/serin/pkg/apis/rollouts/v1alpha1"
)

// bgManual makes the fixture a blue-green rollout (manual promotion) updating from
// "stable1" to "canary2", with no step index (the blue-green plan sets none).
func bgManual(ro *v1alpha1.Rollout) {
	ro.Spec.Strategy = v1alpha1.RolloutStrategy{BlueGreen: &v1alpha1.BlueGreenStrategy{
		ActiveService: "web-active", PreviewService: "web-preview", AutoPromotionEnabled: new(bool)}}
	ro.Status.CurrentStepIndex = nil
}

func bgPausedManual(ro *v1alpha1.Rollout) {
	ro.Status.PauseConditions = []v1alpha1.PauseCondition{{Reason: v1alpha1.PauseReasonBlueGreenPause, StartTime: metav1.Now()}}
	ro.Status.ControllerPause = true
}

func TestBlueGreenActions(t *testing.T) {
	ctx := context.Background()
	tests := map[string]struct {
		ro        *v1alpha1.Rollout
		action    func(c Clients) (Result, error)
		check     func(ro *v1alpha1.Rollout) bool
		did, next string
	}{
		"promote removes the BlueGreenPause condition": {
			ro:     rollout(0, bgManual, bgPausedManual),
			action: func(c Clients) (Result, error) { return Promote(ctx, c, ns, "web", false) },
			check: func(ro *v1alpha1.Rollout) bool {
				return len(ro.Status.PauseConditions) == 0 && ro.Status.ControllerPause && !ro.Status.PromoteFull
			},
			did: "pause cleared (BlueGreenPause)", next: "switches the active Service web-active to it",
		},
		"promote full sets promoteFull": {
			ro:     rollout(0, bgManual),
			action: func(c Clients) (Result, error) { return Promote(ctx, c, ns, "web", true) },
			check:  func(ro *v1alpha1.Rollout) bool { return ro.Status.PromoteFull },
			did:    "fully promoted",
		},
		"abort sets status.abort": {
			ro:     rollout(0, bgManual, bgPausedManual),
			action: func(c Clients) (Result, error) { return Abort(ctx, c, ns, "web") },
			check:  func(ro *v1alpha1.Rollout) bool { return ro.Status.Abort },
			did:    "aborted", next: "points the active Service web-active (and the preview) at the stable revision and scales the new revision down after 30s",
		},
		"retry clears status.abort": {
			ro:     rollout(0, bgManual, aborted),
			action: func(c Clients) (Result, error) { return Retry(ctx, c, ns, "web") },
			check:  func(ro *v1alpha1.Rollout) bool { return !ro.Status.Abort },
			did:    "abort cleared", next: "up on the preview Service again",
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			c := clients(tc.ro)
			res, err := tc.action(c)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(res.Did, tc.did) || !strings.Contains(res.Next, tc.next) {
				t.Errorf("result %q: want Did with %q and Next with %q", res, tc.did, tc.next)
			}
			if got := readBack(t, c); !tc.check(got) {
				t.Errorf("rollout after the action: %+v", got.Status)
			}
		})
	}
}

// Blue-green has no step to skip: promote without a pause refuses and changes nothing.
func TestBlueGreenPromoteWithoutPauseRefuses(t *testing.T) {
	ro := rollout(0, bgManual)
	c := clients(ro)
	_, err := Promote(context.Background(), c, ns, "web", false)
	if !errors.Is(err, ErrNothingToDo) || !strings.Contains(err.Error(), "--full") {
		t.Fatalf("want ErrNothingToDo naming --full, got %v", err)
	}
	if got := readBack(t, c); got.Status.CurrentStepIndex != nil || got.Status.PromoteFull {
		t.Errorf("a refused promote changed the status: %+v", got.Status)
	}
}
