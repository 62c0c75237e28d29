package actions

import (
	"context"
	"fmt"

	"k8s.io/apimachinery/pkg/types"

	"github.com/serin-dev/serin/pkg/apis/rollouts/v1alpha1"
)

// Promote moves a rollout on, as `kubectl argo rollouts promote` does:
//   - full: sets status.promoteFull (and clears any pause): every remaining step is
//     skipped and the new revision scales to every replica, then becomes stable;
//   - paused (a pause step's condition, or spec.paused): removes the pause conditions
//     and sets spec.paused to false; the controller, which still has controllerPause,
//     sees the pause ended and goes on to the next step;
//   - otherwise: skips the current step (status.currentStepIndex+1), on condition that
//     the rollout is still at the step read.
func Promote(ctx context.Context, c Clients, ns, name string, full bool) (Result, error) {
	ro, err := get(ctx, c, ns, name)
	if err != nil {
		return Result{}, err
	}
	if !updating(ro) && !ro.Spec.Paused && len(ro.Status.PauseConditions) == 0 {
		return Result{}, nothing("rollout %q runs its stable revision: no update to promote", name)
	}
	if full {
		return promoteFull(ctx, c, ro)
	}
	if ro.Spec.Paused || len(ro.Status.PauseConditions) > 0 {
		return unpause(ctx, c, ro)
	}
	if ro.Spec.Strategy.BlueGreen != nil {
		return Result{}, blueGreenNoSkip(ro)
	}
	return skipStep(ctx, c, ro)
}

func promoteFull(ctx context.Context, c Clients, ro *v1alpha1.Rollout) (Result, error) {
	if err := patchStatus(ctx, c, ro, map[string]any{"promoteFull": true, "pauseConditions": nil}); err != nil {
		return Result{}, err
	}
	if ro.Spec.Paused {
		if err := patchSpec(ctx, c, ro, map[string]any{"paused": false}); err != nil {
			return Result{}, err
		}
	}
	return Result{
		Did:  fmt.Sprintf("rollout %q fully promoted: every remaining step skipped", ro.Name),
		Next: fmt.Sprintf("the controller scales the new revision to all %d replicas and makes it stable once they are available", replicas(ro)),
	}, nil
}

func unpause(ctx context.Context, c Clients, ro *v1alpha1.Rollout) (Result, error) {
	var cleared []string
	if len(ro.Status.PauseConditions) > 0 {
		if err := patchStatus(ctx, c, ro, map[string]any{"pauseConditions": nil}); err != nil {
			return Result{}, err
		}
		for _, pc := range ro.Status.PauseConditions {
			cleared = append(cleared, string(pc.Reason))
		}
	}
	if ro.Spec.Paused {
		if err := patchSpec(ctx, c, ro, map[string]any{"paused": false}); err != nil {
			return Result{}, err
		}
		cleared = append(cleared, "spec.paused")
	}
	if ro.Spec.Strategy.BlueGreen != nil {
		return Result{Did: fmt.Sprintf("rollout %q promoted: pause cleared (%s)", ro.Name, join(cleared)), Next: blueGreenNext(ro)}, nil
	}
	idx := stepIndex(ro)
	steps := canarySteps(ro)
	next := afterStep(ro, idx)
	if int(idx) < len(steps) && steps[idx].Pause != nil && len(ro.Status.PauseConditions) > 0 {
		next = afterStep(ro, idx+1)
	}
	return Result{
		Did:  fmt.Sprintf("rollout %q promoted: pause cleared at %s (%s)", ro.Name, StepAt(steps, idx), join(cleared)),
		Next: next,
	}, nil
}

func skipStep(ctx context.Context, c Clients, ro *v1alpha1.Rollout) (Result, error) {
	steps := canarySteps(ro)
	if ro.Status.CurrentStepIndex == nil {
		return Result{}, fmt.Errorf("rollout %q has no status.currentStepIndex yet: is the controller running? (wait for it, or use --full)", ro.Name)
	}
	idx := *ro.Status.CurrentStepIndex
	if int(idx) >= len(steps) {
		return Result{}, nothing("rollout %q has run every step and is waiting for the new revision to be available; nothing left to skip", ro.Name)
	}
	ops := []jsonPatch{
		{Op: "test", Path: "/status/currentStepIndex", Value: idx},
		{Op: "replace", Path: "/status/currentStepIndex", Value: idx + 1},
	}
	if err := patch(ctx, c, ro, types.JSONPatchType, ops, "status"); err != nil {
		return Result{}, fmt.Errorf("%w (if the rollout moved on meanwhile, look at it and promote again)", err)
	}
	return Result{
		Did:  fmt.Sprintf("rollout %q promoted: skipped %s", ro.Name, StepAt(steps, idx)),
		Next: afterStep(ro, idx+1),
	}, nil
}

func join(parts []string) string {
	out := ""
	for i, p := range parts {
		if i > 0 {
			out += ", "
		}
		out += p
	}
	return out
}
