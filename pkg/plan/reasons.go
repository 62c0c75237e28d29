package plan

// Reasons of the Events and conditions Serin writes on a Rollout. Each names one
// transition; `kubectl describe rollout` shows them in order.
const (
	ReasonInvalidSpec          = "InvalidSpec"
	ReasonNewReplicaSetCreated = "NewReplicaSetCreated"
	ReasonHashCollision        = "ReplicaSetHashCollision"
	ReasonStepCompleted        = "RolloutStepCompleted"
	ReasonPaused               = "RolloutPaused"
	ReasonResumed              = "RolloutResumed"
	ReasonPromoted             = "RolloutPromoted"
	ReasonAborted              = "RolloutAborted"
	ReasonRetried              = "RolloutRetried"
	ReasonRollbackToStable     = "SkipSteps"
	ReasonStepsChanged         = "RolloutStepsChanged"
	ReasonProgressDeadline     = "ProgressDeadlineExceeded"
	ReasonRestarted            = "RolloutRestarted"
	ReasonTrafficRouterError   = "TrafficRoutingError"

	// Condition reasons that are not also event reasons.
	ReasonReplicaSetUpdated  = "ReplicaSetUpdated"
	ReasonNewRSAvailable     = "NewReplicaSetAvailable"
	ReasonAvailable          = "AvailableReason"
	ReasonNotAvailable       = "NotAvailable"
	ReasonHealthy            = "RolloutHealthy"
	ReasonNotHealthy         = "RolloutNotHealthy"
	ReasonCompletedCondition = "RolloutCompleted"
	ReasonNotCompleted       = "RolloutNotCompleted"
	ReasonPausedCondition    = "RolloutPaused"
	ReasonUnpausedCondition  = "RolloutResumed"
)

// Annotations and labels the controller writes on the ReplicaSets it owns.
const (
	// AnnotationRevision is the revision number of a ReplicaSet (1, 2, ...).
	AnnotationRevision = "rollout.serin.dev/revision"
	// AnnotationTemplateDigest is replicaset.TemplateDigest of the Rollout template a
	// ReplicaSet was created from.
	AnnotationTemplateDigest = "rollout.serin.dev/template-digest"
	// AnnotationScaleDownDeadline is when an old or aborted ReplicaSet may be scaled to 0.
	AnnotationScaleDownDeadline = "rollout.serin.dev/scale-down-deadline"
)
