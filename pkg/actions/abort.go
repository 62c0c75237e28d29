package actions

import (
	"context"
	"fmt"
	"time"
)

// Abort sets status.abort: the controller takes the canary's traffic weight to 0, points
// the canary Service back at the stable pods, and scales the canary down after
// abortScaleDownDelaySeconds. The rollout stays Degraded until retried or updated.
func Abort(ctx context.Context, c Clients, ns, name string) (Result, error) {
	ro, err := get(ctx, c, ns, name)
	if err != nil {
		return Result{}, err
	}
	if !updating(ro) {
		return Result{}, nothing("rollout %q runs its stable revision: no update to abort", name)
	}
	if ro.Status.Abort {
		return Result{}, nothing("rollout %q is already aborted (retry runs the steps again)", name)
	}
	if err := patchStatus(ctx, c, ro, map[string]any{"abort": true}); err != nil {
		return Result{}, err
	}
	next := "the controller scales the canary down and runs the stable revision only"
	if ro.Spec.Strategy.BlueGreen != nil {
		next = "the controller points the active and preview Services at the stable revision and scales the new one down"
	}
	if c := ro.Spec.Strategy.Canary; c != nil && c.TrafficRouting != nil {
		delay := 30 * time.Second
		if c.AbortScaleDownDelaySeconds != nil {
			delay = time.Duration(*c.AbortScaleDownDelaySeconds) * time.Second
		}
		next = fmt.Sprintf("the controller sets the canary weight to 0, points the canary Service at the stable pods, and scales the canary down after %s", delay)
		if delay == 0 {
			next = "the controller sets the canary weight to 0 and points the canary Service at the stable pods; it keeps the canary pods (abortScaleDownDelaySeconds: 0)"
		}
	}
	if ro.Spec.Strategy.BlueGreen != nil {
		next = blueGreenAbortNext(ro)
	}
	return Result{Did: fmt.Sprintf("rollout %q aborted", name), Next: next}, nil
}

// Retry clears status.abort of an aborted rollout: the controller runs its steps again
// from the first.
func Retry(ctx context.Context, c Clients, ns, name string) (Result, error) {
	ro, err := get(ctx, c, ns, name)
	if err != nil {
		return Result{}, err
	}
	if !ro.Status.Abort {
		return Result{}, nothing("rollout %q is not aborted: nothing to retry", name)
	}
	if err := patchStatus(ctx, c, ro, map[string]any{"abort": false}); err != nil {
		return Result{}, err
	}
	next := "the controller runs the steps again from " + StepAt(canarySteps(ro), 0)
	if ro.Spec.Strategy.BlueGreen != nil {
		next = "the controller brings the new revision up on the preview Service again"
	}
	return Result{Did: fmt.Sprintf("rollout %q retried: abort cleared", name), Next: next}, nil
}
