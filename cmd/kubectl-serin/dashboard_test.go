package main

import (
	"errors"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	kubefake "k8s.io/client-go/kubernetes/fake"

	"github.com/serin-dev/serin/pkg/actions"
	"github.com/serin-dev/serin/pkg/apis/rollouts/v1alpha1"
	serinfake "github.com/serin-dev/serin/pkg/client/clientset/versioned/fake"
	"github.com/serin-dev/serin/pkg/dashboard"
)

func pausedRollout() *v1alpha1.Rollout {
	one := int32(1)
	w := int32(20)
	return &v1alpha1.Rollout{
		ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: "shop"},
		Spec: v1alpha1.RolloutSpec{Strategy: v1alpha1.RolloutStrategy{Canary: &v1alpha1.CanaryStrategy{
			Steps: []v1alpha1.CanaryStep{{SetWeight: &w}, {Pause: &v1alpha1.RolloutPause{}}, {SetWeight: &w}},
		}}},
		Status: v1alpha1.RolloutStatus{StableRS: "h1", CurrentPodHash: "h2", CurrentStepIndex: &one,
			Phase:           v1alpha1.RolloutPhasePaused,
			PauseConditions: []v1alpha1.PauseCondition{{Reason: v1alpha1.PauseReasonCanaryPauseStep}}},
	}
}

// The dashboard's actor is the plugin's verbs: each action leaves the rollout as the
// pkg/actions function does (read back from the fake clientset).
func TestDashboardActorUsesTheSharedActions(t *testing.T) {
	tests := map[string]struct {
		action dashboard.Action
		check  func(*v1alpha1.Rollout) bool
	}{
		"promote clears the pause":      {dashboard.ActionPromote, func(ro *v1alpha1.Rollout) bool { return len(ro.Status.PauseConditions) == 0 }},
		"promote-full sets promoteFull": {dashboard.ActionPromoteFull, func(ro *v1alpha1.Rollout) bool { return ro.Status.PromoteFull }},
		"abort sets abort":              {dashboard.ActionAbort, func(ro *v1alpha1.Rollout) bool { return ro.Status.Abort }},
		"pause sets spec.paused":        {dashboard.ActionPause, func(ro *v1alpha1.Rollout) bool { return ro.Spec.Paused }},
		"restart sets restartAt":        {dashboard.ActionRestart, func(ro *v1alpha1.Rollout) bool { return ro.Spec.RestartAt != nil }},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			serin := serinfake.NewSimpleClientset(pausedRollout())
			a := actor(actions.Clients{Kube: kubefake.NewSimpleClientset(), Serin: serin})
			msg, err := a.Act(t.Context(), "shop", "web", tc.action)
			if err != nil {
				t.Fatal(err)
			}
			ro, err := serin.SerinV1alpha1().Rollouts("shop").Get(t.Context(), "web", metav1.GetOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if !tc.check(ro) {
				t.Errorf("after %s (%q): status %+v, spec.paused %v", tc.action, msg, ro.Status, ro.Spec.Paused)
			}
		})
	}
}

func TestDashboardActorRefusesWhatChangesNothing(t *testing.T) {
	serin := serinfake.NewSimpleClientset(pausedRollout())
	a := actor(actions.Clients{Kube: kubefake.NewSimpleClientset(), Serin: serin})
	_, err := a.Act(t.Context(), "shop", "web", dashboard.ActionRetry) // not aborted
	if !errors.As(err, new(dashboard.Refused)) || !errors.Is(err, actions.ErrNothingToDo) {
		t.Errorf("retry of a rollout that was not aborted: %v, want a Refused wrapping ErrNothingToDo", err)
	}
	if _, err := a.Act(t.Context(), "shop", "web", "explode"); !errors.Is(err, dashboard.ErrUnknownAction) {
		t.Errorf("unknown action: %v", err)
	}
}
