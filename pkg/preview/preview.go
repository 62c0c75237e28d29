// Package preview simulates a canary rollout offline to show what each step will do:
// it drives pkg/plan's own Next over pkg/plan's simulated cluster (plan.Cluster) in
// which every ReplicaSet's pods become available as soon as they are asked for, an
// indefinite pause is promoted, and a timed pause runs out. Each step's ReplicaSet
// sizes, traffic weights, header routes, Service selectors and router objects (nginx:
// canary Ingresses) are the controller's own decisions, the router objects rendered by
// the router's own renderer through pkg/trafficrouting's registry. `kubectl serin plan`
// prints the result. It sits above pkg/plan and pkg/trafficrouting and imports both.
package preview

import (
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/serin-dev/serin/pkg/apis/rollouts/v1alpha1"
	"github.com/serin-dev/serin/pkg/plan"
)

// Cluster is the starting point of a preview: the Rollout with the spec to roll out (its
// status is what the cluster holds, or empty offline), its ReplicaSets, its Services by
// name, the objects its traffic router reads (e.g. the stable Ingresses) and the traffic
// split in place (nil: none).
type Cluster struct {
	Rollout       *v1alpha1.Rollout
	ReplicaSets   []*appsv1.ReplicaSet
	Services      map[string]*corev1.Service
	RouterObjects []runtime.Object
	Traffic       *plan.TrafficState
	// AnalysisTemplates and ClusterAnalysisTemplates by name, for analysis steps and
	// background analysis; every run is taken to succeed.
	AnalysisTemplates        map[string]*v1alpha1.AnalysisTemplate
	ClusterAnalysisTemplates map[string]*v1alpha1.ClusterAnalysisTemplate
}

// Preview is what rolling the Rollout's spec out does, step by step.
type Preview struct {
	Rollout   string `json:"rollout"`
	Namespace string `json:"namespace"`
	// Revision is the pod template hash of the spec's template: the new ReplicaSet is
	// <rollout>-<revision>.
	Revision string `json:"revision"`
	// Stable is the pod template hash of the stable revision the preview starts from.
	Stable string `json:"stable"`
	// Steps are the canary steps; each shows the state in force once that step is done.
	Steps []Step `json:"steps"`
	// Promoted is the state once the new revision is stable and the old one scaled down.
	Promoted State `json:"promoted"`
	// Notes are what the preview could not show (e.g. a stable Ingress not given).
	Notes []string `json:"notes,omitempty"`
}

// Step is one canary step and the state in force once it is done.
type Step struct {
	// Number is 1-based, as in "step 2/6".
	Number int32  `json:"number"`
	Step   string `json:"step"`
	// Waits is what ends the step: "promote" or a duration for a pause, the templates of
	// an analysis (whose runs the preview takes to succeed).
	Waits string `json:"waits,omitempty"`
	State State  `json:"state"`
}

// State is what the cluster holds at one point of the rollout.
type State struct {
	// ReplicaSets are the non-empty ReplicaSets' sizes by name.
	ReplicaSets []ReplicaSetSize `json:"replicaSets"`
	// StableWeight and CanaryWeight are the traffic split (routed canary only).
	StableWeight *int32                    `json:"stableWeight,omitempty"`
	CanaryWeight *int32                    `json:"canaryWeight,omitempty"`
	HeaderRoutes []v1alpha1.SetHeaderRoute `json:"headerRoutes,omitempty"`
	// ServiceSelectors are the selectors of the stable and canary Services by name.
	ServiceSelectors map[string]map[string]string `json:"serviceSelectors,omitempty"`
	// RouterObjects are the objects the traffic router writes (nginx: the canary
	// Ingresses), as it writes them.
	RouterObjects []*unstructured.Unstructured `json:"routerObjects,omitempty"`
}

// ReplicaSetSize is one ReplicaSet's replicas and its role.
type ReplicaSetSize struct {
	Name     string `json:"name"`
	Role     string `json:"role"` // stable, canary or old
	Replicas int32  `json:"replicas"`
}
