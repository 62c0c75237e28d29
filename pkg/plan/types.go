// Package plan is Serin's step machine: a pure function from what the cluster holds (a
// Rollout, its ReplicaSets, Services, Ingress traffic state, AnalysisRuns) and the time to
// the changes to make next. It imports no client and logs nothing; the controller gathers
// the Input from listers, calls Next, and applies the Plan's actions in order.
//
// Because every decision derives from cluster state, a controller restarted at any point
// continues the same rollout (docs/design.md invariant 5), and applying a plan whose actions
// are already in effect changes nothing (invariant 6). The one fact from the controller's
// memory, Input.ObservedPauses, only times a pause more exactly: without it a pause is
// timed from status, never shorter.
package plan

import (
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"

	"github.com/serin-dev/serin/pkg/apis/rollouts/v1alpha1"
)

// Input is everything the plan may look at. The gatherer fills it from listers only.
type Input struct {
	Rollout *v1alpha1.Rollout
	// ReplicaSets are those the Rollout owns (controller owner reference).
	ReplicaSets []*appsv1.ReplicaSet
	// Orphans are ReplicaSets with a pod template hash, no controller, and labels the
	// Rollout's selector selects (e.g. left by a Rollout deleted with --cascade=orphan):
	// the plan adopts them.
	Orphans []*appsv1.ReplicaSet
	// Services holds the Rollout's stable/canary (or active/preview) Services by name;
	// a name the Rollout refers to that is missing from the map does not exist.
	Services map[string]*corev1.Service
	// Traffic is the traffic split the router currently applies; nil without a router
	// or before the router wrote anything.
	Traffic *TrafficState
	// AnalysisRuns are those the Rollout owns.
	AnalysisRuns []*v1alpha1.AnalysisRun
	// AnalysisTemplates and ClusterAnalysisTemplates are, by name, the templates the
	// Rollout's analysis refers to; a name missing from the map does not exist.
	AnalysisTemplates        map[string]*v1alpha1.AnalysisTemplate
	ClusterAnalysisTemplates map[string]*v1alpha1.ClusterAnalysisTemplate
	// Pods are the Rollout's pods, needed only for restartAt, role metadata and the
	// diagnosis of a revision that is not fully available (see NeedsPods); may be nil
	// otherwise.
	Pods []*corev1.Pod
	// ReadyPods are, by ReplicaSet name, the pods of each of the Rollout's ReplicaSets
	// that are Ready and not being deleted (ReadyPodsOf). The plan's traffic, selector,
	// step and promotion decisions count no more available pods than these; a ReplicaSet
	// missing from the map is counted from its status alone.
	ReadyPods map[string]ReadyPods
	// NameTakenBy is a ReplicaSet that holds the name of the Rollout's new ReplicaSet
	// (NewReplicaSetName) and that the Rollout does not own; nil when there is none. The
	// plan adopts it when it is one of the Orphans of the new hash, and otherwise takes
	// the next hash (a collision).
	NameTakenBy *appsv1.ReplicaSet
	// ObservedPauses are, by reason, the exact times the controller saw the current
	// pause conditions begin (see ObservedPause); a pause missing here is timed from its
	// startTime in status. May be nil.
	ObservedPauses map[v1alpha1.PauseReason]ObservedPause
	// FailFast is the controller's default for a Rollout without spec.failFast (its
	// --fail-fast flag); nil for none.
	FailFast *v1alpha1.FailFast
	// Now is the time decisions are made at (pause ends, deadlines).
	Now time.Time
}

// TrafficState is what the router reports it applies.
type TrafficState struct {
	// CanaryWeight is the weight the canary currently receives, out of MaxWeight.
	CanaryWeight int32
	// HeaderRoutes are the header and cookie routes currently in place.
	HeaderRoutes []v1alpha1.SetHeaderRoute
	// Problem is set when the router cannot act (e.g. the stable Ingress is missing, or
	// a canary Ingress of that name exists and is not the Rollout's).
	Problem string
	// OutOfSync is set when the objects the router writes do not show one split that
	// SetTraffic would leave as it is (some missing, disagreeing, or edited by hand);
	// CanaryWeight is then the highest weight any of them applies. The plan then always
	// asks for its split again.
	OutOfSync bool
}

// Plan is what to do, in order, and the status and events to record afterwards.
type Plan struct {
	// Actions are applied in order; the apply layer stops at the first that fails, so
	// the order is the safety order (e.g. weight to 0 before the canary Service moves).
	Actions []Action
	// Status is the complete status to write; the apply layer writes it only when it
	// differs from the Rollout's current status.
	Status v1alpha1.RolloutStatus
	// Events are recorded on the Rollout after the actions succeeded.
	Events []Event
	// RequeueAfter, when non-zero, asks for another sync after this long (pause end,
	// scale-down deadline, progress deadline) with no other event needed.
	RequeueAfter time.Duration
}

// Action is one change to the cluster. Exactly one of the change fields is set;
// OnFailure may go with any of them.
type Action struct {
	CreateReplicaSet *appsv1.ReplicaSet  `json:"createReplicaSet,omitempty"`
	ScaleReplicaSet  *ScaleReplicaSet    `json:"scaleReplicaSet,omitempty"`
	AnnotateRS       *AnnotateReplicaSet `json:"annotateReplicaSet,omitempty"`
	DeleteReplicaSet *string             `json:"deleteReplicaSet,omitempty"`
	SetSelector      *SetServiceSelector `json:"setServiceSelector,omitempty"`
	SetTraffic       *SetTraffic         `json:"setTraffic,omitempty"`
	EvictPod         *string             `json:"evictPod,omitempty"`
	AdoptReplicaSet  *string             `json:"adoptReplicaSet,omitempty"`
	SetPodMetadata   *PodMetadataPatch   `json:"setPodMetadata,omitempty"`
	// CreateAnalysisRun creates an AnalysisRun owned by the Rollout.
	CreateAnalysisRun *v1alpha1.AnalysisRun `json:"createAnalysisRun,omitempty"`
	// TerminateAnalysisRun sets spec.terminate on a run no longer in use.
	TerminateAnalysisRun *string `json:"terminateAnalysisRun,omitempty"`
	// DeleteAnalysisRun deletes a finished run beyond the history limits.
	DeleteAnalysisRun *string `json:"deleteAnalysisRun,omitempty"`
	// AddFinalizer adds this finalizer to the Rollout (metadata only, never the spec).
	AddFinalizer *string `json:"addFinalizer,omitempty"`
	// RemoveFinalizer removes this finalizer from the Rollout.
	RemoveFinalizer *string `json:"removeFinalizer,omitempty"`

	// OnFailure, when set, is the event to record on the Rollout if this action fails;
	// the error goes into its message (see Event.Because).
	OnFailure *Event `json:"onFailure,omitempty"`
}

// ScaleReplicaSet sets a ReplicaSet's replicas.
type ScaleReplicaSet struct {
	Name     string `json:"name"`
	Replicas int32  `json:"replicas"`
}

// AnnotateReplicaSet sets (non-nil value) or removes (nil value) annotations.
type AnnotateReplicaSet struct {
	Name        string             `json:"name"`
	Annotations map[string]*string `json:"annotations"`
}

// SetServiceSelector points a Service at the pods of one revision: the Rollout's
// selector plus rollouts-pod-template-hash=Hash. An empty Hash removes the hash label
// (used when a Rollout is deleted, so the Service keeps selecting the app's pods).
type SetServiceSelector struct {
	Service string `json:"service"`
	Hash    string `json:"hash"`
}

// SetTraffic is the split the router must apply.
type SetTraffic struct {
	CanaryWeight int32                     `json:"canaryWeight"`
	HeaderRoutes []v1alpha1.SetHeaderRoute `json:"headerRoutes,omitempty"`
}

// Event is a Kubernetes Event to record on the Rollout.
type Event struct {
	// Type is corev1.EventTypeNormal or corev1.EventTypeWarning.
	Type    string `json:"type"`
	Reason  string `json:"reason"`
	Message string `json:"message"`
}

// Because is e with err in its message: the error alone when e has no message, else
// "message: error". It fills in an Action's OnFailure event.
func (e Event) Because(err error) Event {
	if e.Message == "" {
		e.Message = err.Error()
	} else {
		e.Message += ": " + err.Error()
	}
	return e
}
