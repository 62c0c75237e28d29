package v1alpha1

import (
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// RolloutStatus is what the controller observed and decided. Users change only abort,
// pauseConditions and promoteFull (through the plugin, dashboard or a status patch).
type RolloutStatus struct {
	// Abort stops the update and sends everything back to the stable revision.
	// +optional
	Abort bool `json:"abort,omitempty"`
	// PauseConditions are the reasons the controller paused the rollout; clearing them
	// resumes it.
	// +optional
	PauseConditions []PauseCondition `json:"pauseConditions,omitempty"`
	// ControllerPause is true while the controller has the rollout paused.
	// +optional
	ControllerPause bool `json:"controllerPause,omitempty"`
	// AbortedAt is when the controller acted on an abort.
	// +optional
	AbortedAt *metav1.Time `json:"abortedAt,omitempty"`
	// CurrentPodHash is the pod template hash of spec.template.
	// +optional
	CurrentPodHash string `json:"currentPodHash,omitempty"`
	// CurrentStepHash is the hash of the steps; a change restarts them.
	// +optional
	CurrentStepHash string `json:"currentStepHash,omitempty"`
	// Replicas is the number of non-terminated pods of every revision.
	// +optional
	Replicas int32 `json:"replicas,omitempty"`
	// UpdatedReplicas is the number of pods running the current template.
	// +optional
	UpdatedReplicas int32 `json:"updatedReplicas,omitempty"`
	// ReadyReplicas is the number of ready pods.
	// +optional
	ReadyReplicas int32 `json:"readyReplicas,omitempty"`
	// AvailableReplicas is the number of pods ready for at least minReadySeconds.
	// +optional
	AvailableReplicas int32 `json:"availableReplicas,omitempty"`
	// CurrentStepIndex is the canary step the rollout is at; equal to the number of steps
	// once all have run.
	// +optional
	CurrentStepIndex *int32 `json:"currentStepIndex,omitempty"`
	// CollisionCount is added to the pod template hash when a ReplicaSet name collides.
	// +optional
	CollisionCount *int32 `json:"collisionCount,omitempty"`
	// ObservedGeneration is the metadata.generation this status was computed from.
	// +optional
	ObservedGeneration int64 `json:"observedGeneration,omitempty"`
	// Conditions are Progressing, Available, Healthy, Paused, Completed, and, only while
	// there is such a problem, InvalidSpec and TrafficRoutingError.
	// +optional
	// +listType=map
	// +listMapKey=type
	Conditions []RolloutCondition `json:"conditions,omitempty"`
	// Canary is the state of a canary rollout.
	// +optional
	Canary CanaryStatus `json:"canary,omitzero"`
	// BlueGreen is the state of a blue-green rollout.
	// +optional
	BlueGreen BlueGreenStatus `json:"blueGreen,omitzero"`
	// HPAReplicas is the number of pods receiving active traffic.
	// +optional
	HPAReplicas int32 `json:"HPAReplicas,omitempty"`
	// Selector is the label selector of the rollout's pods as a string, for the scale
	// subresource.
	// +optional
	Selector string `json:"selector,omitempty"`
	// StableRS is the pod template hash of the stable ReplicaSet.
	// +optional
	StableRS string `json:"stableRS,omitempty"`
	// RestartedAt is the last restartAt the controller completed.
	// +optional
	RestartedAt *metav1.Time `json:"restartedAt,omitempty"`
	// PromoteFull skips every remaining step, pause and analysis.
	// +optional
	PromoteFull bool `json:"promoteFull,omitempty"`
	// Phase is Progressing, Paused, Healthy or Degraded. Trust it only when
	// observedGeneration equals metadata.generation.
	// +optional
	Phase RolloutPhase `json:"phase,omitempty"`
	// Message says why the rollout is in its phase.
	// +optional
	Message string `json:"message,omitempty"`
}

// RolloutPhase is the rollout's phase.
type RolloutPhase string

// The phases of a Rollout.
const (
	RolloutPhaseHealthy     RolloutPhase = "Healthy"
	RolloutPhaseDegraded    RolloutPhase = "Degraded"
	RolloutPhaseProgressing RolloutPhase = "Progressing"
	RolloutPhasePaused      RolloutPhase = "Paused"
)

// PauseReason is why the controller paused a rollout.
type PauseReason string

// The reasons a rollout pauses by itself.
const (
	PauseReasonCanaryPauseStep      PauseReason = "CanaryPauseStep"
	PauseReasonInconclusiveAnalysis PauseReason = "InconclusiveAnalysisRun"
	PauseReasonBlueGreenPause       PauseReason = "BlueGreenPause"
)

// PauseCondition is one reason for a pause and when it started.
type PauseCondition struct {
	Reason    PauseReason `json:"reason"`
	StartTime metav1.Time `json:"startTime"`
}

// CanaryStatus is the state of a canary rollout.
type CanaryStatus struct {
	// CurrentStepAnalysisRunStatus is the run of the current analysis step.
	// +optional
	CurrentStepAnalysisRunStatus *RolloutAnalysisRunStatus `json:"currentStepAnalysisRunStatus,omitempty"`
	// CurrentBackgroundAnalysisRunStatus is the background analysis run.
	// +optional
	CurrentBackgroundAnalysisRunStatus *RolloutAnalysisRunStatus `json:"currentBackgroundAnalysisRunStatus,omitempty"`
	// Weights are the weights last written to the traffic router.
	// +optional
	Weights *TrafficWeights `json:"weights,omitempty"`
}

// TrafficWeights is the split last written to the router.
type TrafficWeights struct {
	Canary WeightDestination `json:"canary"`
	Stable WeightDestination `json:"stable"`
	// Verified is whether the router confirmed the weight took effect.
	// +optional
	Verified *bool `json:"verified,omitempty"`
}

// WeightDestination is one side of the split.
type WeightDestination struct {
	// Weight is the percentage of traffic sent here.
	Weight int32 `json:"weight"`
	// +optional
	ServiceName string `json:"serviceName,omitempty"`
	// +optional
	PodTemplateHash string `json:"podTemplateHash,omitempty"`
}

// BlueGreenStatus is the state of a blue-green rollout.
type BlueGreenStatus struct {
	// PreviewSelector is the pod template hash the preview Service selects.
	// +optional
	PreviewSelector string `json:"previewSelector,omitempty"`
	// ActiveSelector is the pod template hash the active Service selects.
	// +optional
	ActiveSelector string `json:"activeSelector,omitempty"`
	// ScaleUpPreviewCheckPoint is set once the preview may be scaled to full.
	// +optional
	ScaleUpPreviewCheckPoint bool `json:"scaleUpPreviewCheckPoint,omitempty"`
	// +optional
	PrePromotionAnalysisRunStatus *RolloutAnalysisRunStatus `json:"prePromotionAnalysisRunStatus,omitempty"`
	// +optional
	PostPromotionAnalysisRunStatus *RolloutAnalysisRunStatus `json:"postPromotionAnalysisRunStatus,omitempty"`
}

// RolloutAnalysisRunStatus names an AnalysisRun and its phase.
type RolloutAnalysisRunStatus struct {
	Name   string        `json:"name"`
	Status AnalysisPhase `json:"status"`
	// +optional
	Message string `json:"message,omitempty"`
}

// RolloutConditionType is the type of a Rollout condition.
type RolloutConditionType string

// The condition types of a Rollout.
const (
	InvalidSpec           RolloutConditionType = "InvalidSpec"
	RolloutAvailable      RolloutConditionType = "Available"
	RolloutProgressing    RolloutConditionType = "Progressing"
	RolloutReplicaFailure RolloutConditionType = "ReplicaFailure"
	RolloutPaused         RolloutConditionType = "Paused"
	RolloutCompleted      RolloutConditionType = "Completed"
	RolloutHealthy        RolloutConditionType = "Healthy"
	// TrafficRoutingError is true while the traffic router cannot act: the stable
	// Ingress is missing, or a canary Ingress of the name Serin would use exists and is
	// not the Rollout's (Serin never takes it over). Serin's addition; absent otherwise.
	TrafficRoutingError RolloutConditionType = "TrafficRoutingError"
	// PodsFailing is true while pods of the current revision show why they cannot
	// become available (an image that cannot be pulled, a crash loop, a configuration
	// error, no node to run on, readiness that comes and goes): its reason names the
	// first cause, its message every cause with the pods affected. Serin's addition;
	// absent otherwise.
	PodsFailing RolloutConditionType = "PodsFailing"
	// FailedFast is true on an update that spec.failFast aborted: its message names the
	// pod, the cause and the threshold. It goes with the abort (retry or a new revision
	// removes it). Serin's addition; absent otherwise.
	FailedFast RolloutConditionType = "FailedFast"
)

// RolloutCondition is one observed aspect of the rollout.
type RolloutCondition struct {
	Type   RolloutConditionType   `json:"type"`
	Status corev1.ConditionStatus `json:"status"`
	// LastUpdateTime is when the condition was last written.
	LastUpdateTime metav1.Time `json:"lastUpdateTime"`
	// LastTransitionTime is when status last changed.
	LastTransitionTime metav1.Time `json:"lastTransitionTime"`
	// Reason is an UpperCamelCase word saying why.
	Reason string `json:"reason"`
	// Message is for people.
	Message string `json:"message"`
}
