package v1alpha1

import "testing"

// Reasons are what users, their alerts and the e2e tests match on: their values are
// pinned here, so that renaming a constant never changes what a user sees.
func TestReasonValuesArePinned(t *testing.T) {
	tests := map[string]struct{ got, want string }{
		"InvalidSpec":             {ReasonInvalidSpec, "InvalidSpec"},
		"NewReplicaSetCreated":    {ReasonNewReplicaSetCreated, "NewReplicaSetCreated"},
		"HashCollision":           {ReasonHashCollision, "ReplicaSetHashCollision"},
		"StepCompleted":           {ReasonStepCompleted, "RolloutStepCompleted"},
		"Paused":                  {ReasonPaused, "RolloutPaused"},
		"Resumed":                 {ReasonResumed, "RolloutResumed"},
		"Promoted":                {ReasonPromoted, "RolloutPromoted"},
		"Aborted":                 {ReasonAborted, "RolloutAborted"},
		"Retried":                 {ReasonRetried, "RolloutRetried"},
		"RollbackToStable":        {ReasonRollbackToStable, "SkipSteps"},
		"StepsChanged":            {ReasonStepsChanged, "RolloutStepsChanged"},
		"SwitchedActive":          {ReasonSwitchedActive, "SwitchedActiveService"},
		"ProgressDeadline":        {ReasonProgressDeadline, "ProgressDeadlineExceeded"},
		"Restarted":               {ReasonRestarted, "RolloutRestarted"},
		"TrafficRoutingError":     {ReasonTrafficRoutingError, "TrafficRoutingError"},
		"AnalysisRunCreated":      {ReasonAnalysisRunCreated, "AnalysisRunCreated"},
		"PodImagePullError":       {ReasonPodImagePullError, "PodImagePullError"},
		"PodCrashLoop":            {ReasonPodCrashLoop, "PodCrashLoopBackOff"},
		"PodConfigError":          {ReasonPodConfigError, "PodConfigError"},
		"PodUnschedulable":        {ReasonPodUnschedulable, "PodUnschedulable"},
		"PodReadinessFlapping":    {ReasonPodReadinessFlapping, "PodReadinessFlapping"},
		"ReplicaSetUpdated":       {ReasonReplicaSetUpdated, "ReplicaSetUpdated"},
		"NewReplicaSetAvailable":  {ReasonNewReplicaSetAvailable, "NewReplicaSetAvailable"},
		"Available":               {ReasonAvailable, "AvailableReason"},
		"NotAvailable":            {ReasonNotAvailable, "NotAvailable"},
		"Healthy":                 {ReasonHealthy, "RolloutHealthy"},
		"NotHealthy":              {ReasonNotHealthy, "RolloutNotHealthy"},
		"Completed":               {ReasonCompleted, "RolloutCompleted"},
		"NotCompleted":            {ReasonNotCompleted, "RolloutNotCompleted"},
		"AnalysisRunSuccessful":   {ReasonAnalysisRunSuccessful, "AnalysisRunSuccessful"},
		"AnalysisRunFailed":       {ReasonAnalysisRunFailed, "AnalysisRunFailed"},
		"AnalysisRunError":        {ReasonAnalysisRunError, "AnalysisRunError"},
		"AnalysisRunInconclusive": {ReasonAnalysisRunInconclusive, "AnalysisRunInconclusive"},
	}
	for name, tc := range tests {
		if tc.got != tc.want {
			t.Errorf("%s = %q, want %q", name, tc.got, tc.want)
		}
	}
}
