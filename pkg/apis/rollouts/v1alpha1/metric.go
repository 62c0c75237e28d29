package v1alpha1

import (
	"encoding/json"

	batchv1 "k8s.io/api/batch/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// Metric is one thing an analysis measures, how often, and what counts as a pass.
//
// +kubebuilder:validation:XValidation:rule="!has(self.count) || has(self.interval) || (type(self.count) == int ? self.count <= 1 : true)",message="metrics[].interval is required when count is greater than 1"
type Metric struct {
	// Name identifies the metric within its analysis.
	// +kubebuilder:validation:MinLength=1
	Name string `json:"name"`
	// Interval is the time between measurements (e.g. 30s, 5m). Without it, one measurement.
	// +optional
	Interval DurationString `json:"interval,omitempty"`
	// InitialDelay is how long to wait before the first measurement.
	// +optional
	InitialDelay DurationString `json:"initialDelay,omitempty"`
	// Count is how many measurements to take; without count and interval, 1; with only
	// interval, until the run is terminated. May be an argument such as "{{args.count}}".
	// +optional
	// +kubebuilder:validation:XIntOrString
	Count *intstr.IntOrString `json:"count,omitempty"`
	// SuccessCondition is an expression over result that passes a measurement,
	// e.g. "result[0] >= 0.95".
	// +optional
	SuccessCondition string `json:"successCondition,omitempty"`
	// FailureCondition is an expression over result that fails a measurement. When both
	// conditions are set and neither holds, the measurement is Inconclusive.
	// +optional
	FailureCondition string `json:"failureCondition,omitempty"`
	// FailureLimit is how many failed measurements are tolerated before the metric fails.
	// Defaults to 0; -1 disables the limit.
	// +optional
	// +kubebuilder:validation:XIntOrString
	FailureLimit *intstr.IntOrString `json:"failureLimit,omitempty"`
	// InconclusiveLimit is how many inconclusive measurements are tolerated before the
	// metric is Inconclusive. Defaults to 0.
	// +optional
	// +kubebuilder:validation:XIntOrString
	InconclusiveLimit *intstr.IntOrString `json:"inconclusiveLimit,omitempty"`
	// ConsecutiveErrorLimit is how many provider errors in a row are tolerated before the
	// metric is Error. Defaults to 4.
	// +optional
	// +kubebuilder:validation:XIntOrString
	ConsecutiveErrorLimit *intstr.IntOrString `json:"consecutiveErrorLimit,omitempty"`
	// Provider is where the measurement comes from.
	Provider MetricProvider `json:"provider"`
}

// DurationString is a duration such as 30s, 5m or 1h, or (in a template) a whole
// argument reference such as {{args.interval}}, replaced when the run starts.
// +kubebuilder:validation:Pattern=`^(([0-9]+([.][0-9]+)?(h|m|s|ms|us|ns))+|\{\{ *args\.[A-Za-z0-9_.-]+ *\}\})$`
type DurationString string

// MetricProvider is the source of a measurement: exactly one provider.
//
// +kubebuilder:validation:XValidation:rule="(has(self.prometheus) ? 1 : 0) + (has(self.web) ? 1 : 0) + (has(self.job) ? 1 : 0) == 1",message="metrics[].provider must set exactly one of prometheus, web or job"
type MetricProvider struct {
	// Prometheus runs a PromQL query.
	// +optional
	Prometheus *PrometheusMetric `json:"prometheus,omitempty"`
	// Web calls an HTTP endpoint and reads a JSON value.
	// +optional
	Web *WebMetric `json:"web,omitempty"`
	// Job runs a Kubernetes Job: success when it completes, failure when it fails.
	// +optional
	Job *JobMetric `json:"job,omitempty"`
}

// PrometheusMetric is a PromQL query against a Prometheus server.
type PrometheusMetric struct {
	// Address is the server's base URL, e.g. http://prometheus.monitoring:9090.
	// +kubebuilder:validation:MinLength=1
	Address string `json:"address"`
	// Query is the PromQL expression; {{args.NAME}} is replaced by the argument.
	// +kubebuilder:validation:MinLength=1
	Query string `json:"query"`
	// Timeout is the query timeout in seconds. Defaults to 30.
	// +optional
	// +kubebuilder:validation:Minimum=1
	Timeout *int64 `json:"timeout,omitempty"`
	// Insecure skips TLS verification.
	// +optional
	Insecure bool `json:"insecure,omitempty"`
	// Headers are sent with the query, e.g. an Authorization header from an argument.
	// +optional
	Headers []WebMetricHeader `json:"headers,omitempty"`
}

// WebMetric is an HTTP call whose JSON response gives the result.
type WebMetric struct {
	// Method is GET, POST or PUT. Defaults to GET.
	// +optional
	// +kubebuilder:validation:Enum=GET;POST;PUT
	Method WebMetricMethod `json:"method,omitempty"`
	// URL to call; {{args.NAME}} is replaced by the argument.
	// +kubebuilder:validation:MinLength=1
	URL string `json:"url"`
	// Headers are sent with the request.
	// +optional
	Headers []WebMetricHeader `json:"headers,omitempty"`
	// Body is sent with POST and PUT.
	// +optional
	Body string `json:"body,omitempty"`
	// JSONBody is a JSON body, sent as it is.
	// +optional
	// +kubebuilder:validation:Schemaless
	// +kubebuilder:pruning:PreserveUnknownFields
	// +kubebuilder:validation:Type=object
	JSONBody json.RawMessage `json:"jsonBody,omitempty"`
	// TimeoutSeconds is the request timeout. Defaults to 10.
	// +optional
	// +kubebuilder:validation:Minimum=1
	TimeoutSeconds int64 `json:"timeoutSeconds,omitempty"`
	// JSONPath selects the result from the response, e.g. "{$.data.ok}".
	// +optional
	JSONPath string `json:"jsonPath,omitempty"`
	// Insecure skips TLS verification.
	// +optional
	Insecure bool `json:"insecure,omitempty"`
}

// WebMetricMethod is an HTTP method.
type WebMetricMethod string

// WebMetricHeader is one request header.
type WebMetricHeader struct {
	// +kubebuilder:validation:MinLength=1
	Key   string `json:"key"`
	Value string `json:"value"`
}

// JobMetric is a Job whose completion is the measurement.
type JobMetric struct {
	// Metadata is labels and annotations for the Job.
	// +optional
	Metadata JobMetadata `json:"metadata,omitzero"`
	// Spec is the Job's spec.
	Spec batchv1.JobSpec `json:"spec"`
}

// JobMetadata is labels and annotations for a metric's Job.
type JobMetadata struct {
	// +optional
	Labels map[string]string `json:"labels,omitempty"`
	// +optional
	Annotations map[string]string `json:"annotations,omitempty"`
}

// Argument is a template parameter: a default value, or a value from a Secret or a field.
//
// +kubebuilder:validation:XValidation:rule="!(has(self.value) && has(self.valueFrom))",message="args[] must set only one of value or valueFrom"
type Argument struct {
	// +kubebuilder:validation:MinLength=1
	Name string `json:"name"`
	// +optional
	Value *string `json:"value,omitempty"`
	// +optional
	ValueFrom *ValueFrom `json:"valueFrom,omitempty"`
}

// ValueFrom is where an argument's value comes from: exactly one source.
//
// +kubebuilder:validation:XValidation:rule="has(self.secretKeyRef) != has(self.fieldRef)",message="args[].valueFrom must set exactly one of secretKeyRef or fieldRef"
type ValueFrom struct {
	// SecretKeyRef reads a key of a Secret in the run's namespace.
	// +optional
	SecretKeyRef *SecretKeyRef `json:"secretKeyRef,omitempty"`
	// FieldRef selects a field of the Rollout.
	// +optional
	FieldRef *FieldRef `json:"fieldRef,omitempty"`
}

// SecretKeyRef is a key of a Secret in the same namespace.
type SecretKeyRef struct {
	// +kubebuilder:validation:MinLength=1
	Name string `json:"name"`
	// +kubebuilder:validation:MinLength=1
	Key string `json:"key"`
}

// AnalysisPhase is the phase of a run, a metric or a measurement.
type AnalysisPhase string

// The phases of an analysis.
const (
	AnalysisPhasePending      AnalysisPhase = "Pending"
	AnalysisPhaseRunning      AnalysisPhase = "Running"
	AnalysisPhaseSuccessful   AnalysisPhase = "Successful"
	AnalysisPhaseFailed       AnalysisPhase = "Failed"
	AnalysisPhaseError        AnalysisPhase = "Error"
	AnalysisPhaseInconclusive AnalysisPhase = "Inconclusive"
)

// Completed reports whether the phase is final.
func (p AnalysisPhase) Completed() bool {
	switch p {
	case AnalysisPhaseSuccessful, AnalysisPhaseFailed, AnalysisPhaseError, AnalysisPhaseInconclusive:
		return true
	}
	return false
}
