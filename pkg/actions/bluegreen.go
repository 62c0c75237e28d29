package actions

import (
	"fmt"

	"github.com/serin-dev/serin/pkg/apis/rollouts/v1alpha1"
)

// Blue-green has no steps: promote ends the BlueGreenPause (or spec.paused), and there is
// no step to skip while the new revision comes up on the preview Service. These are the
// blue-green texts of the actions' results.

// blueGreenNext says what the controller does after a promotion of a blue-green rollout.
func blueGreenNext(ro *v1alpha1.Rollout) string {
	bg := ro.Spec.Strategy.BlueGreen
	return fmt.Sprintf("the controller scales the new revision to all %d replicas, switches the active Service %s to it once they are available, and makes it stable",
		replicas(ro), bg.ActiveService)
}

// blueGreenNoSkip refuses a promote of a blue-green rollout that is not paused.
func blueGreenNoSkip(ro *v1alpha1.Rollout) error {
	return nothing("rollout %q is blue-green and not paused: no step to skip; the controller pauses or promotes once the new revision is up on the preview Service (promote --full switches the active Service at once)", ro.Name)
}

// blueGreenAbortNext says what the controller does after an abort of a blue-green rollout.
func blueGreenAbortNext(ro *v1alpha1.Rollout) string {
	bg := ro.Spec.Strategy.BlueGreen
	delay := int32(30)
	if bg.AbortScaleDownDelaySeconds != nil {
		delay = *bg.AbortScaleDownDelaySeconds
	}
	next := fmt.Sprintf("the controller points the active Service %s (and the preview) at the stable revision", bg.ActiveService)
	if delay == 0 {
		return next + " and keeps the new revision's pods (abortScaleDownDelaySeconds: 0)"
	}
	return fmt.Sprintf("%s and scales the new revision down after %ds", next, delay)
}
