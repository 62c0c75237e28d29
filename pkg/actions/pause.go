package actions

import (
	"context"
	"fmt"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/serin-dev/serin/pkg/apis/rollouts/v1alpha1"
)

// Pause sets spec.paused: the controller keeps everything as it is (replicas, weights)
// and runs no step until resumed.
func Pause(ctx context.Context, c Clients, ns, name string) (Result, error) {
	ro, err := get(ctx, c, ns, name)
	if err != nil {
		return Result{}, err
	}
	if ro.Spec.Paused {
		return Result{}, nothing("rollout %q is already paused", name)
	}
	if err := patchSpec(ctx, c, ro, map[string]any{"paused": true}); err != nil {
		return Result{}, err
	}
	return Result{
		Did:  fmt.Sprintf("rollout %q paused (spec.paused: true)", name),
		Next: "the controller keeps the current replicas and weights and runs no step until `resume` or `promote`",
	}, nil
}

// Resume sets spec.paused back to false. It does not end a pause step: that is Promote.
func Resume(ctx context.Context, c Clients, ns, name string) (Result, error) {
	ro, err := get(ctx, c, ns, name)
	if err != nil {
		return Result{}, err
	}
	if !ro.Spec.Paused {
		if hasPauseStep(ro) {
			return Result{}, nothing("rollout %q is not paused by spec.paused but at a pause step: use promote to go on", name)
		}
		return Result{}, nothing("rollout %q is not paused", name)
	}
	if err := patchSpec(ctx, c, ro, map[string]any{"paused": false}); err != nil {
		return Result{}, err
	}
	next := "the controller goes on from " + StepAt(canarySteps(ro), stepIndex(ro))
	if !updating(ro) {
		next = "the controller keeps the stable revision running"
	}
	if hasPauseStep(ro) {
		next = "the rollout is still at a pause step: promote to go on"
	}
	return Result{Did: fmt.Sprintf("rollout %q resumed (spec.paused: false)", name), Next: next}, nil
}

func hasPauseStep(ro *v1alpha1.Rollout) bool {
	for _, pc := range ro.Status.PauseConditions {
		if pc.Reason == v1alpha1.PauseReasonCanaryPauseStep {
			return true
		}
	}
	return false
}

// Restart sets spec.restartAt to now: the controller evicts every pod created before
// then, within maxUnavailable, never the stable ReplicaSet's last ready pod, and records
// status.restartedAt when done. The step the rollout is at does not change.
func Restart(ctx context.Context, c Clients, ns, name string) (Result, error) {
	ro, err := get(ctx, c, ns, name)
	if err != nil {
		return Result{}, err
	}
	at := metav1.NewTime(time.Now().UTC().Truncate(time.Second))
	if err := patchSpec(ctx, c, ro, map[string]any{"restartAt": at}); err != nil {
		return Result{}, err
	}
	return Result{
		Did:  fmt.Sprintf("rollout %q restart requested (spec.restartAt: %s)", name, at.Format(time.RFC3339)),
		Next: "the controller replaces every pod created before then, a few at a time within maxUnavailable",
	}, nil
}
