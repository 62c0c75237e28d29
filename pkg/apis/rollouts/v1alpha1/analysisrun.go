package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// AnalysisRun is one execution of an analysis: its metrics, resolved arguments, and every
// measurement taken with the verdict it led to.
//
// +genclient
// +k8s:deepcopy-gen:interfaces=k8s.io/apimachinery/pkg/runtime.Object
// +kubebuilder:resource:path=analysisruns,shortName=ar,categories=serin
// +kubebuilder:subresource:status
// +kubebuilder:printcolumn:name="Status",type=string,JSONPath=".status.phase",description="Phase of the run"
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=".metadata.creationTimestamp"
type AnalysisRun struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	Spec AnalysisRunSpec `json:"spec"`
	// +optional
	Status AnalysisRunStatus `json:"status,omitzero"`
}

// AnalysisRunSpec is the metrics to run and their arguments.
type AnalysisRunSpec struct {
	// Metrics to measure.
	// +kubebuilder:validation:MinItems=1
	// +kubebuilder:validation:MaxItems=64
	// +listType=map
	// +listMapKey=name
	Metrics []Metric `json:"metrics"`
	// Args are the resolved arguments.
	// +optional
	// +listType=map
	// +listMapKey=name
	Args []Argument `json:"args,omitempty"`
	// Terminate stops the run early; it ends Successful unless a metric already failed.
	// +optional
	Terminate bool `json:"terminate,omitempty"`
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
}

// AnalysisRunStatus is the run's progress and verdict.
type AnalysisRunStatus struct {
	// Phase is Pending, Running, Successful, Failed, Error or Inconclusive.
	// +optional
	Phase AnalysisPhase `json:"phase,omitempty"`
	// Message says why the run is in its phase: which metric, which value, which condition.
	// +optional
	Message string `json:"message,omitempty"`
	// MetricResults holds each metric's measurements and counters.
	// +optional
	MetricResults []MetricResult `json:"metricResults,omitempty"`
	// StartedAt is when the run started.
	// +optional
	StartedAt *metav1.Time `json:"startedAt,omitempty"`
	// CompletedAt is when the run reached a final phase.
	// +optional
	CompletedAt *metav1.Time `json:"completedAt,omitempty"`
	// RunSummary counts the metrics by phase.
	// +optional
	RunSummary RunSummary `json:"runSummary,omitzero"`
	// DryRunSummary counts the dry-run metrics by phase.
	// +optional
	DryRunSummary *RunSummary `json:"dryRunSummary,omitempty"`
}

// RunSummary counts metrics by phase.
type RunSummary struct {
	// +optional
	Count int32 `json:"count,omitempty"`
	// +optional
	Successful int32 `json:"successful,omitempty"`
	// +optional
	Failed int32 `json:"failed,omitempty"`
	// +optional
	Inconclusive int32 `json:"inconclusive,omitempty"`
	// +optional
	Error int32 `json:"error,omitempty"`
}

// MetricResult is one metric's latest measurements and counters.
type MetricResult struct {
	Name  string        `json:"name"`
	Phase AnalysisPhase `json:"phase"`
	// +optional
	Measurements []Measurement `json:"measurements,omitempty"`
	// +optional
	Message string `json:"message,omitempty"`
	// Count is the number of measurements that did not error.
	// +optional
	Count int32 `json:"count,omitempty"`
	// +optional
	Successful int32 `json:"successful,omitempty"`
	// +optional
	Failed int32 `json:"failed,omitempty"`
	// +optional
	Inconclusive int32 `json:"inconclusive,omitempty"`
	// +optional
	Error int32 `json:"error,omitempty"`
	// ConsecutiveError is the number of errors in a row; reset by a measurement that works.
	// +optional
	ConsecutiveError int32 `json:"consecutiveError,omitempty"`
	// DryRun is true when the metric ran in dry-run mode.
	// +optional
	DryRun bool `json:"dryRun,omitempty"`
	// Metadata is provider detail about the metric (e.g. the resolved query).
	// +optional
	Metadata map[string]string `json:"metadata,omitempty"`
}

// Measurement is one observation of a metric and its verdict.
type Measurement struct {
	Phase AnalysisPhase `json:"phase"`
	// Message is the error text when the provider failed.
	// +optional
	Message string `json:"message,omitempty"`
	// +optional
	StartedAt *metav1.Time `json:"startedAt,omitempty"`
	// +optional
	FinishedAt *metav1.Time `json:"finishedAt,omitempty"`
	// Value is the raw value the provider returned.
	// +optional
	Value string `json:"value,omitempty"`
	// Query is (Serin) the resolved query or URL this measurement ran.
	// +optional
	Query string `json:"query,omitempty"`
	// Condition is (Serin) the condition evaluated against Value and what it gave.
	// +optional
	Condition string `json:"condition,omitempty"`
	// Metadata is provider detail (e.g. the Job name).
	// +optional
	Metadata map[string]string `json:"metadata,omitempty"`
	// ResumeAt is when the next attempt of a measurement that is still running is due.
	// +optional
	ResumeAt *metav1.Time `json:"resumeAt,omitempty"`
}

// AnalysisRunList is a list of AnalysisRuns.
//
// +k8s:deepcopy-gen:interfaces=k8s.io/apimachinery/pkg/runtime.Object
type AnalysisRunList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata"`
	Items           []AnalysisRun `json:"items"`
}
