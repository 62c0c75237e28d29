package v1alpha1

// Reasons of the Events and conditions Serin writes, in one place for both controllers,
// the plugin and the dashboard. They are part of the API: users and their alerts match
// on them, `kubectl describe` shows them, and the e2e tests wait for some of them, so a
// value never changes. Where a reason names the same thing as an event and as a
// condition reason (RolloutPaused, InvalidSpec, ...), it is one constant.

// Reasons on a Rollout's events; several are also condition reasons.
const (
	// ReasonInvalidSpec: the Rollout cannot act (an invalid spec, a missing Service).
	// Also the InvalidSpec condition's reason.
	ReasonInvalidSpec          = "InvalidSpec"
	ReasonNewReplicaSetCreated = "NewReplicaSetCreated"
	ReasonHashCollision        = "ReplicaSetHashCollision"
	ReasonStepCompleted        = "RolloutStepCompleted"
	// ReasonPaused: the rollout paused (event), or is paused (Paused condition, and the
	// Progressing condition's reason while a pause holds an update).
	ReasonPaused = "RolloutPaused"
	// ReasonResumed: the rollout resumed (event), or is not paused (Paused condition).
	ReasonResumed          = "RolloutResumed"
	ReasonPromoted         = "RolloutPromoted"
	ReasonAborted          = "RolloutAborted"
	ReasonRetried          = "RolloutRetried"
	ReasonRollbackToStable = "SkipSteps"
	ReasonStepsChanged     = "RolloutStepsChanged"
	ReasonSwitchedActive   = "SwitchedActiveService"
	// ReasonProgressDeadline: the update made no progress in progressDeadlineSeconds
	// (event, and the Progressing condition's reason).
	ReasonProgressDeadline = "ProgressDeadlineExceeded"
	ReasonRestarted        = "RolloutRestarted"
	// ReasonTrafficRoutingError: the router cannot act or a traffic write failed (event,
	// and the TrafficRoutingError condition's reason).
	ReasonTrafficRoutingError = "TrafficRoutingError"
	ReasonAnalysisRunCreated  = "AnalysisRunCreated"
)

// Reasons naming why pods of the current revision cannot become available: the reason
// of the PodsFailing condition (its first cause), of the one Warning event per cause
// when the cause appears, and of the FailedFast condition when it aborted the update.
const (
	// ReasonPodImagePullError: ErrImagePull, ImagePullBackOff, InvalidImageName and the
	// kubelet's other image errors.
	ReasonPodImagePullError = "PodImagePullError"
	// ReasonPodCrashLoop: a container keeps exiting (CrashLoopBackOff), or has restarted.
	ReasonPodCrashLoop = "PodCrashLoopBackOff"
	// ReasonPodConfigError: CreateContainerConfigError and the like (a missing Secret,
	// ConfigMap or key).
	ReasonPodConfigError = "PodConfigError"
	// ReasonPodUnschedulable: the scheduler found no node for the pod.
	ReasonPodUnschedulable = "PodUnschedulable"
	// ReasonPodReadinessFlapping: a pod became ready and lost it again without its
	// containers restarting.
	ReasonPodReadinessFlapping = "PodReadinessFlapping"
)

// Reasons of a Rollout's conditions that are never event reasons.
const (
	ReasonReplicaSetUpdated      = "ReplicaSetUpdated"
	ReasonNewReplicaSetAvailable = "NewReplicaSetAvailable"
	ReasonAvailable              = "AvailableReason"
	ReasonNotAvailable           = "NotAvailable"
	ReasonHealthy                = "RolloutHealthy"
	ReasonNotHealthy             = "RolloutNotHealthy"
	ReasonCompleted              = "RolloutCompleted"
	ReasonNotCompleted           = "RolloutNotCompleted"
)

// Reasons of the events on an AnalysisRun when it completes; the Rollout controller
// records Failed and Inconclusive on the Rollout too, naming the run.
const (
	ReasonAnalysisRunSuccessful   = "AnalysisRunSuccessful"
	ReasonAnalysisRunFailed       = "AnalysisRunFailed"
	ReasonAnalysisRunError        = "AnalysisRunError"
	ReasonAnalysisRunInconclusive = "AnalysisRunInconclusive"
)
