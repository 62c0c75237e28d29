package v1alpha1

import (
	"k8s.io/apimachinery/pkg/util/intstr"
)

// BlueGreenStrategy brings the new version up complete beside the old one, reachable on
// the preview Service, and switches the active Service to it at once when promoted.
//
// +kubebuilder:validation:XValidation:rule="!has(self.previewService) || size(self.previewService) == 0 || self.previewService != self.activeService",message="spec.strategy.blueGreen.previewService must differ from activeService"
type BlueGreenStrategy struct {
	// ActiveService is the Service that sends production traffic to the active ReplicaSet.
	// +kubebuilder:validation:MinLength=1
	ActiveService string `json:"activeService"`
	// PreviewService is the Service that reaches the new ReplicaSet before promotion.
	// +optional
	PreviewService string `json:"previewService,omitempty"`
	// PreviewReplicaCount runs the new ReplicaSet this small until promotion; it is scaled
	// to full before the active Service switches.
	// +optional
	// +kubebuilder:validation:Minimum=0
	PreviewReplicaCount *int32 `json:"previewReplicaCount,omitempty"`
	// AutoPromotionEnabled promotes as soon as the new ReplicaSet is available. When false
	// the rollout pauses (reason BlueGreenPause) until promoted. Defaults to true.
	// +optional
	AutoPromotionEnabled *bool `json:"autoPromotionEnabled,omitempty"`
	// AutoPromotionSeconds delays auto-promotion by this many seconds after the new
	// ReplicaSet became available. Defaults to 0.
	// +optional
	// +kubebuilder:validation:Minimum=0
	AutoPromotionSeconds int32 `json:"autoPromotionSeconds,omitempty"`
	// MaxUnavailable is how many pods may be unavailable during a restart: a number or a
	// percentage. Defaults to 25%.
	// +optional
	// +kubebuilder:validation:XIntOrString
	// +kubebuilder:validation:XValidation:rule="type(self) == int ? self >= 0 : self.matches('^[0-9]+%$')",message="spec.strategy.blueGreen.maxUnavailable must be a non-negative number or a percentage such as 25%"
	MaxUnavailable *intstr.IntOrString `json:"maxUnavailable,omitempty"`
	// ScaleDownDelaySeconds is how long the previous ReplicaSet stays up after the switch.
	// Defaults to 30.
	// +optional
	// +kubebuilder:validation:Minimum=0
	ScaleDownDelaySeconds *int32 `json:"scaleDownDelaySeconds,omitempty"`
	// ScaleDownDelayRevisionLimit is how many old ReplicaSets may wait out their delay at
	// once; older ones go down at once.
	// +optional
	// +kubebuilder:validation:Minimum=0
	ScaleDownDelayRevisionLimit *int32 `json:"scaleDownDelayRevisionLimit,omitempty"`
	// PrePromotionAnalysis must pass before the active Service switches.
	// +optional
	PrePromotionAnalysis *RolloutAnalysis `json:"prePromotionAnalysis,omitempty"`
	// AntiAffinity schedules new pods away from the active ones.
	// +optional
	AntiAffinity *AntiAffinity `json:"antiAffinity,omitempty"`
	// PostPromotionAnalysis runs after the switch; failure switches active back.
	// +optional
	PostPromotionAnalysis *RolloutAnalysis `json:"postPromotionAnalysis,omitempty"`
	// PreviewMetadata is put on pods while the preview Service selects them.
	// +optional
	PreviewMetadata *PodTemplateMetadata `json:"previewMetadata,omitempty"`
	// ActiveMetadata is put on pods while the active Service selects them.
	// +optional
	ActiveMetadata *PodTemplateMetadata `json:"activeMetadata,omitempty"`
	// AbortScaleDownDelaySeconds is how long the preview ReplicaSet stays up after an
	// abort. 0 keeps it up. Defaults to 30.
	// +optional
	// +kubebuilder:validation:Minimum=0
	AbortScaleDownDelaySeconds *int32 `json:"abortScaleDownDelaySeconds,omitempty"`
}
