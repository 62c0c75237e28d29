package v1alpha1

import (
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Rollout replaces a Deployment: it owns a pod template and ships every new version of it
// through an explicit strategy (canary steps or blue-green), managing the ReplicaSets,
// Service selectors and canary Ingress itself.
//
// +genclient
// +genclient:method=GetScale,verb=get,subresource=scale,result=k8s.io/api/autoscaling/v1.Scale
// +genclient:method=UpdateScale,verb=update,subresource=scale,input=k8s.io/api/autoscaling/v1.Scale,result=k8s.io/api/autoscaling/v1.Scale
// +k8s:deepcopy-gen:interfaces=k8s.io/apimachinery/pkg/runtime.Object
// +kubebuilder:resource:path=rollouts,shortName=ro,categories=serin
// +kubebuilder:subresource:status
// +kubebuilder:subresource:scale:specpath=.spec.replicas,statuspath=.status.replicas,selectorpath=.status.selector
// +kubebuilder:printcolumn:name="Desired",type=integer,JSONPath=".spec.replicas",description="Desired number of pods"
// +kubebuilder:printcolumn:name="Current",type=integer,JSONPath=".status.replicas",description="Pods targeted by this rollout"
// +kubebuilder:printcolumn:name="Up-to-date",type=integer,JSONPath=".status.updatedReplicas",description="Pods running the current template"
// +kubebuilder:printcolumn:name="Available",type=integer,JSONPath=".status.availableReplicas",description="Pods ready for at least minReadySeconds"
// +kubebuilder:printcolumn:name="Phase",type=string,JSONPath=".status.phase",description="Healthy, Progressing, Paused or Degraded"
// +kubebuilder:printcolumn:name="Step",type=integer,JSONPath=".status.currentStepIndex",description="Index of the current canary step"
// +kubebuilder:printcolumn:name="Weight",type=integer,JSONPath=".status.canary.weights.canary.weight",description="Traffic percentage sent to the canary"
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=".metadata.creationTimestamp"
type Rollout struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	Spec RolloutSpec `json:"spec"`
	// +optional
	Status RolloutStatus `json:"status,omitzero"`
}

// RolloutSpec is what the user asks for. (That the selector selects the template's labels
// is checked by pkg/validation: CEL cannot bound the cost of iterating the label maps of
// Kubernetes' LabelSelector.)
//
// +kubebuilder:validation:XValidation:rule="!has(self.progressDeadlineSeconds) || self.progressDeadlineSeconds > (has(self.minReadySeconds) ? self.minReadySeconds : 0)",message="spec.progressDeadlineSeconds must be greater than spec.minReadySeconds",fieldPath=".progressDeadlineSeconds"
type RolloutSpec struct {
	// Replicas is the number of desired pods. Defaults to 1.
	// +optional
	// +kubebuilder:validation:Minimum=0
	Replicas *int32 `json:"replicas,omitempty"`
	// Selector selects the pods this rollout manages. It must match the template's labels.
	Selector *metav1.LabelSelector `json:"selector"`
	// Template describes the pods that will be created.
	Template corev1.PodTemplateSpec `json:"template"`
	// MinReadySeconds is how long a new pod must be ready, without any container
	// crashing, before it counts as available. Defaults to 0.
	// +optional
	// +kubebuilder:validation:Minimum=0
	MinReadySeconds int32 `json:"minReadySeconds,omitempty"`
	// Strategy is how a new template replaces the running one: canary or blueGreen.
	Strategy RolloutStrategy `json:"strategy"`
	// RevisionHistoryLimit is the number of old ReplicaSets kept for undo. Defaults to 10.
	// +optional
	// +kubebuilder:validation:Minimum=0
	RevisionHistoryLimit *int32 `json:"revisionHistoryLimit,omitempty"`
	// Paused stops the rollout where it is until set back to false.
	// +optional
	Paused bool `json:"paused,omitempty"`
	// ProgressDeadlineSeconds is how long a rollout may go without progress before it is
	// marked Degraded with reason ProgressDeadlineExceeded. Time spent paused does not
	// count. Defaults to 600.
	// +optional
	// +kubebuilder:validation:Minimum=1
	ProgressDeadlineSeconds *int32 `json:"progressDeadlineSeconds,omitempty"`
	// ProgressDeadlineAbort aborts the update when ProgressDeadlineSeconds is exceeded.
	// Defaults to false.
	// +optional
	ProgressDeadlineAbort bool `json:"progressDeadlineAbort,omitempty"`
	// RestartAt asks for every pod created before this time to be replaced, within
	// maxUnavailable, without changing the step the rollout is at.
	// +optional
	RestartAt *metav1.Time `json:"restartAt,omitempty"`
	// Analysis sets how many finished AnalysisRuns are kept.
	// +optional
	Analysis *AnalysisRunStrategy `json:"analysis,omitempty"`
	// FailFast aborts an update as soon as a pod of the new revision shows it cannot
	// start, instead of waiting out progressDeadlineSeconds. Serin's addition; without it
	// the controller's --fail-fast default applies (none unless set), and an empty
	// failFast ({}) turns that default off for this Rollout.
	// +optional
	FailFast *FailFast `json:"failFast,omitempty"`
}

// FailFast holds the thresholds past which a pod of the new revision (canary, or the
// blue-green preview before the active Service switches) aborts the update. Each unset
// threshold is not checked. Times count from the pod's own status (when the kubelet
// started it, when the scheduler last reported it unschedulable), so a restarted
// controller keeps the same clock.
type FailFast struct {
	// ImagePullSeconds: abort once a pod has been unable to pull an image
	// (ErrImagePull, ImagePullBackOff, InvalidImageName) for this many seconds since the
	// kubelet started it. 0 aborts at the first such report.
	// +optional
	// +kubebuilder:validation:Minimum=0
	ImagePullSeconds *int32 `json:"imagePullSeconds,omitempty"`
	// ConfigErrorSeconds: abort once a container has been unable to start because of
	// its configuration (CreateContainerConfigError: e.g. a missing Secret or ConfigMap
	// key) for this many seconds since the kubelet started the pod.
	// +optional
	// +kubebuilder:validation:Minimum=0
	ConfigErrorSeconds *int32 `json:"configErrorSeconds,omitempty"`
	// Restarts: abort once a container of a pod has restarted this many times.
	// +optional
	// +kubebuilder:validation:Minimum=1
	Restarts *int32 `json:"restarts,omitempty"`
	// UnschedulableSeconds: abort once the scheduler has reported a pod Unschedulable
	// for this many seconds.
	// +optional
	// +kubebuilder:validation:Minimum=0
	UnschedulableSeconds *int32 `json:"unschedulableSeconds,omitempty"`
}

// RolloutStrategy holds exactly one strategy.
//
// +kubebuilder:validation:XValidation:rule="has(self.canary) != has(self.blueGreen)",message="spec.strategy must set exactly one of canary or blueGreen"
type RolloutStrategy struct {
	// BlueGreen brings the new version up beside the old one and switches all traffic at once.
	// +optional
	BlueGreen *BlueGreenStrategy `json:"blueGreen,omitempty"`
	// Canary shifts traffic and replicas to the new version step by step.
	// +optional
	Canary *CanaryStrategy `json:"canary,omitempty"`
}

// AnalysisRunStrategy sets how many finished AnalysisRuns are kept.
type AnalysisRunStrategy struct {
	// SuccessfulRunHistoryLimit is how many Successful runs are kept. Defaults to 5.
	// +optional
	// +kubebuilder:validation:Minimum=0
	SuccessfulRunHistoryLimit *int32 `json:"successfulRunHistoryLimit,omitempty"`
	// UnsuccessfulRunHistoryLimit is how many Failed, Error or Inconclusive runs are
	// kept. Defaults to 5.
	// +optional
	// +kubebuilder:validation:Minimum=0
	UnsuccessfulRunHistoryLimit *int32 `json:"unsuccessfulRunHistoryLimit,omitempty"`
}

// PodTemplateMetadata is extra labels and annotations put on pods while they play a role
// (canary, stable, active, preview) and removed when they stop playing it.
type PodTemplateMetadata struct {
	// +optional
	Labels map[string]string `json:"labels,omitempty"`
	// +optional
	Annotations map[string]string `json:"annotations,omitempty"`
}

// AntiAffinity asks for new pods to be scheduled away from the stable ones.
type AntiAffinity struct {
	// +optional
	PreferredDuringSchedulingIgnoredDuringExecution *PreferredDuringSchedulingIgnoredDuringExecution `json:"preferredDuringSchedulingIgnoredDuringExecution,omitempty"`
	// +optional
	RequiredDuringSchedulingIgnoredDuringExecution *RequiredDuringSchedulingIgnoredDuringExecution `json:"requiredDuringSchedulingIgnoredDuringExecution,omitempty"`
}

// PreferredDuringSchedulingIgnoredDuringExecution is a soft anti-affinity rule.
type PreferredDuringSchedulingIgnoredDuringExecution struct {
	// Weight of the rule, 1 to 100.
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=100
	Weight int32 `json:"weight"`
}

// RequiredDuringSchedulingIgnoredDuringExecution is a hard anti-affinity rule.
type RequiredDuringSchedulingIgnoredDuringExecution struct{}

// DefaultRolloutUniqueLabelKey labels every ReplicaSet, pod and Service selector the
// controller manages with the pod template hash of the revision.
const DefaultRolloutUniqueLabelKey = "rollouts-pod-template-hash"

// RolloutList is a list of Rollouts.
//
// +k8s:deepcopy-gen:interfaces=k8s.io/apimachinery/pkg/runtime.Object
type RolloutList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata"`
	Items           []Rollout `json:"items"`
}
