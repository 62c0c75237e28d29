package actions

import (
	"fmt"

	"github.com/serin-dev/serin/pkg/apis/rollouts/v1alpha1"
	"github.com/serin-dev/serin/pkg/plan"
)

// StepAt is "step 3/6 (setWeight 50)" for index 2, or "the end of the steps" past them.
func StepAt(steps []v1alpha1.CanaryStep, idx int32) string {
	if idx < 0 || int(idx) >= len(steps) {
		return "the end of the steps"
	}
	return fmt.Sprintf("step %d/%d (%s)", idx+1, len(steps), plan.DescribeStep(&steps[idx]))
}

// stepIndex is status.currentStepIndex, 0 when unset.
func stepIndex(ro *v1alpha1.Rollout) int32 {
	if ro.Status.CurrentStepIndex == nil {
		return 0
	}
	return *ro.Status.CurrentStepIndex
}

func canarySteps(ro *v1alpha1.Rollout) []v1alpha1.CanaryStep {
	if ro.Spec.Strategy.Canary == nil {
		return nil
	}
	return ro.Spec.Strategy.Canary.Steps
}

// afterStep says what the controller does once it is at step idx.
func afterStep(ro *v1alpha1.Rollout, idx int32) string {
	steps := canarySteps(ro)
	if int(idx) >= len(steps) {
		return fmt.Sprintf("the controller scales the new revision to all %d replicas and makes it stable once they are available", replicas(ro))
	}
	return "the controller goes on to " + StepAt(steps, idx)
}

func replicas(ro *v1alpha1.Rollout) int32 {
	if ro.Spec.Replicas == nil {
		return 1
	}
	return *ro.Spec.Replicas
}
