package v1alpha1

// RolloutAnalysis is how a Rollout asks for an AnalysisRun: the templates to merge and the
// arguments to give them.
//
// +kubebuilder:validation:XValidation:rule="has(self.templates) && size(self.templates) > 0",message="analysis.templates must name at least one template"
type RolloutAnalysis struct {
	// Templates are merged into one AnalysisRun.
	// +optional
	// +kubebuilder:validation:MaxItems=32
	Templates []AnalysisTemplateRef `json:"templates,omitempty"`
	// Args fill the templates' arguments.
	// +optional
	// +listType=map
	// +listMapKey=name
	Args []AnalysisRunArgument `json:"args,omitempty"`
	// DryRun lists metrics whose failures are recorded but never fail the run.
	// +optional
	// +listType=map
	// +listMapKey=metricName
	DryRun []DryRun `json:"dryRun,omitempty"`
	// MeasurementRetention sets how many measurements of a metric are kept.
	// +optional
	// +listType=map
	// +listMapKey=metricName
	MeasurementRetention []MeasurementRetention `json:"measurementRetention,omitempty"`
	// AnalysisRunMetadata is put on the AnalysisRuns created.
	// +optional
	AnalysisRunMetadata AnalysisRunMetadata `json:"analysisRunMetadata,omitzero"`
}

// RolloutAnalysisBackground is an analysis that runs in the background across steps.
type RolloutAnalysisBackground struct {
	RolloutAnalysis `json:",inline"`
	// StartingStep is the index of the step at which the background analysis starts.
	// Defaults to 0.
	// +optional
	// +kubebuilder:validation:Minimum=0
	StartingStep *int32 `json:"startingStep,omitempty"`
}

// AnalysisTemplateRef names an AnalysisTemplate or, with clusterScope, a
// ClusterAnalysisTemplate.
type AnalysisTemplateRef struct {
	// TemplateName is the template's name.
	// +kubebuilder:validation:MinLength=1
	TemplateName string `json:"templateName"`
	// ClusterScope looks the name up among ClusterAnalysisTemplates.
	// +optional
	ClusterScope bool `json:"clusterScope,omitempty"`
}

// AnalysisRunArgument gives a template argument a value: exactly one of value or valueFrom.
//
// +kubebuilder:validation:XValidation:rule="!(has(self.value) && has(self.valueFrom))",message="analysis.args[] must set only one of value or valueFrom"
type AnalysisRunArgument struct {
	// +kubebuilder:validation:MinLength=1
	Name string `json:"name"`
	// +optional
	Value string `json:"value,omitempty"`
	// +optional
	ValueFrom *ArgumentValueFrom `json:"valueFrom,omitempty"`
}

// ArgumentValueFrom takes an argument's value from the rollout: a ReplicaSet's pod
// template hash, or a field of the Rollout.
//
// +kubebuilder:validation:XValidation:rule="has(self.podTemplateHashValue) != has(self.fieldRef)",message="analysis.args[].valueFrom must set exactly one of podTemplateHashValue or fieldRef"
type ArgumentValueFrom struct {
	// PodTemplateHashValue is Stable or Latest.
	// +optional
	PodTemplateHashValue *ValueFromPodTemplateHash `json:"podTemplateHashValue,omitempty"`
	// FieldRef selects a field of the Rollout, e.g. metadata.labels['app'].
	// +optional
	FieldRef *FieldRef `json:"fieldRef,omitempty"`
}

// ValueFromPodTemplateHash names which ReplicaSet's hash an argument takes.
// +kubebuilder:validation:Enum=Stable;Latest
type ValueFromPodTemplateHash string

const (
	// Stable is the stable ReplicaSet's pod template hash.
	Stable ValueFromPodTemplateHash = "Stable"
	// Latest is the newest ReplicaSet's pod template hash.
	Latest ValueFromPodTemplateHash = "Latest"
)

// FieldRef is a path to a field.
type FieldRef struct {
	// +kubebuilder:validation:MinLength=1
	FieldPath string `json:"fieldPath"`
}

// DryRun names a metric to run without effect on the run's verdict.
type DryRun struct {
	// MetricName is a metric's name, or "*" for every metric.
	// +kubebuilder:validation:MinLength=1
	MetricName string `json:"metricName"`
}

// MeasurementRetention keeps the last limit measurements of a metric.
type MeasurementRetention struct {
	// MetricName is a metric's name, or "*" for every metric.
	// +kubebuilder:validation:MinLength=1
	MetricName string `json:"metricName"`
	// Limit is how many measurements are kept. Defaults to 10.
	// +kubebuilder:validation:Minimum=1
	Limit int32 `json:"limit"`
}

// AnalysisRunMetadata is labels and annotations for created AnalysisRuns.
type AnalysisRunMetadata struct {
	// +optional
	Labels map[string]string `json:"labels,omitempty"`
	// +optional
	Annotations map[string]string `json:"annotations,omitempty"`
}
