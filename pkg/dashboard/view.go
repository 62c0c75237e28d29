package dashboard

import (
	"cmp"
	"slices"
	"strconv"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"

	"github.com/serin-dev/serin/pkg/apis/rollouts/v1alpha1"
	"github.com/serin-dev/serin/pkg/plan"
)

// RolloutView is everything the page shows about one Rollout. It is built from the
// cluster objects by BuildView and carries no Secret and no credential.
type RolloutView struct {
	Key          string   `json:"key"` // namespace/name
	Namespace    string   `json:"namespace"`
	Name         string   `json:"name"`
	Created      string   `json:"created,omitempty"`
	Phase        string   `json:"phase"`
	Message      string   `json:"message,omitempty"`
	Strategy     Strategy `json:"strategy"`
	Images       []string `json:"images"`
	Replicas     Replicas `json:"replicas"`
	Paused       bool     `json:"paused"`  // spec.paused
	Aborted      bool     `json:"aborted"` // status.abort
	PromoteFull  bool     `json:"promoteFull"`
	PauseReasons []string `json:"pauseReasons"`
	// Step is status.currentStepIndex (nil before the controller set it); Steps the
	// number of canary steps.
	Step  *int32     `json:"step"`
	Steps []StepView `json:"steps"`
	// SetWeight is the weight the steps ask for now; ActualWeight the one the controller
	// reports as routed (status.canary.weights); nil when unknown.
	SetWeight    *int32         `json:"setWeight"`
	ActualWeight *int32         `json:"actualWeight"`
	HeaderRoutes []HeaderRoute  `json:"headerRoutes"`
	Revisions    []RevisionView `json:"revisions"`
	// BlueGreen is set for a blue-green rollout (which has no steps nor weights).
	BlueGreen    *BlueGreenView  `json:"blueGreen"`
	AnalysisRuns []AnalysisView  `json:"analysisRuns"`
	Events       []EventView     `json:"events"`
	Conditions   []ConditionView `json:"conditions"`
}

// Strategy summarises spec.strategy.
type Strategy struct {
	Kind           string `json:"kind"` // canary, blueGreen
	StableService  string `json:"stableService,omitempty"`
	CanaryService  string `json:"canaryService,omitempty"`
	ActiveService  string `json:"activeService,omitempty"`
	PreviewService string `json:"previewService,omitempty"`
	TrafficRouting string `json:"trafficRouting,omitempty"`
	MaxSurge       string `json:"maxSurge,omitempty"`
	MaxUnavailable string `json:"maxUnavailable,omitempty"`
}

// Replicas are the Rollout's replica counts.
type Replicas struct {
	Desired   int32 `json:"desired"`
	Current   int32 `json:"current"`
	Updated   int32 `json:"updated"`
	Ready     int32 `json:"ready"`
	Available int32 `json:"available"`
}

// StepView is one canary step as the timeline shows it.
type StepView struct {
	Index int    `json:"index"`
	Kind  string `json:"kind"`  // setWeight, pause, analysis, setCanaryScale, setHeaderRoute
	Text  string `json:"text"`  // e.g. "setWeight 20", "pause 30s", "pause (until promoted)"
	State string `json:"state"` // done, current, pending
}

// HeaderRoute is a setHeaderRoute step's route.
type HeaderRoute struct {
	Name    string   `json:"name"`
	Matches []string `json:"matches"`
	Active  bool     `json:"active"` // its step has run and the rollout is not done
}

// RevisionView is one revision: its ReplicaSet and pods.
type RevisionView struct {
	Revision   string `json:"revision"`
	ReplicaSet string `json:"replicaSet"`
	Hash       string `json:"hash"`
	Role       string `json:"role"` // stable, canary (blue-green: new), old
	// Services are the blue-green Services selecting this revision: active, preview.
	Services  []string  `json:"services"`
	Images    []string  `json:"images"`
	Desired   int32     `json:"desired"`
	Ready     int32     `json:"ready"`
	Available int32     `json:"available"`
	Pods      []PodView `json:"pods"`
}

// PodView is one pod of a revision.
type PodView struct {
	Name  string `json:"name"`
	Phase string `json:"phase"`
	Ready bool   `json:"ready"`
}

// EventView is a Kubernetes Event about the Rollout.
type EventView struct {
	Type    string `json:"type"`
	Reason  string `json:"reason"`
	Message string `json:"message"`
	Count   int32  `json:"count"`
	Time    string `json:"time"`
}

// ConditionView is a status condition.
type ConditionView struct {
	Type    string `json:"type"`
	Status  string `json:"status"`
	Reason  string `json:"reason"`
	Message string `json:"message"`
}

// maxEvents is how many of the most recent Events a view keeps.
const maxEvents = 20

// Objects are what belongs to one Rollout, as gathered from the caches.
type Objects struct {
	Rollout      *v1alpha1.Rollout
	ReplicaSets  []*appsv1.ReplicaSet
	Pods         []*corev1.Pod
	AnalysisRuns []*v1alpha1.AnalysisRun
	Events       []*corev1.Event
}

// BuildView turns a Rollout and its objects into what the page shows. It is pure.
func BuildView(o Objects) RolloutView {
	ro := o.Rollout
	st := ro.Status
	v := RolloutView{
		Key:          ro.Namespace + "/" + ro.Name,
		Namespace:    ro.Namespace,
		Name:         ro.Name,
		Phase:        string(st.Phase),
		Message:      st.Message,
		Strategy:     strategyOf(ro),
		Images:       images(ro.Spec.Template.Spec),
		Paused:       ro.Spec.Paused,
		Aborted:      st.Abort,
		PromoteFull:  st.PromoteFull,
		PauseReasons: []string{},
		Step:         st.CurrentStepIndex,
		Replicas: Replicas{Desired: ptrOr(ro.Spec.Replicas, 1), Current: st.Replicas,
			Updated: st.UpdatedReplicas, Ready: st.ReadyReplicas, Available: st.AvailableReplicas},
	}
	if !ro.CreationTimestamp.IsZero() {
		v.Created = ro.CreationTimestamp.UTC().Format(time.RFC3339)
	}
	if v.Phase == "" {
		v.Phase = "Unknown"
	}
	for _, pc := range st.PauseConditions {
		v.PauseReasons = append(v.PauseReasons, string(pc.Reason))
	}
	v.Steps, v.HeaderRoutes = steps(ro)
	v.SetWeight = setWeight(ro)
	if w := st.Canary.Weights; w != nil {
		v.ActualWeight = &w.Canary.Weight
	}
	v.Revisions = revisions(ro, o.ReplicaSets, o.Pods)
	markServices(ro, v.Revisions)
	v.BlueGreen = blueGreenView(ro, v.Revisions)
	v.AnalysisRuns = analysisViews(o.AnalysisRuns)
	v.Events = events(o.Events)
	v.Conditions = []ConditionView{}
	for _, c := range st.Conditions {
		v.Conditions = append(v.Conditions, ConditionView{Type: string(c.Type), Status: string(c.Status),
			Reason: c.Reason, Message: c.Message})
	}
	return v
}

func ptrOr(p *int32, def int32) int32 {
	if p == nil {
		return def
	}
	return *p
}

func images(spec corev1.PodSpec) []string {
	out := []string{}
	for _, c := range spec.Containers {
		out = append(out, c.Image)
	}
	return out
}

func revisions(ro *v1alpha1.Rollout, rss []*appsv1.ReplicaSet, pods []*corev1.Pod) []RevisionView {
	out := []RevisionView{}
	for _, rs := range rss {
		hash := rs.Labels[v1alpha1.DefaultRolloutUniqueLabelKey]
		r := RevisionView{
			Revision:   rs.Annotations[plan.AnnotationRevision],
			ReplicaSet: rs.Name,
			Hash:       hash,
			Role:       "old",
			Images:     images(rs.Spec.Template.Spec),
			Desired:    ptrOr(rs.Spec.Replicas, 1),
			Ready:      rs.Status.ReadyReplicas,
			Available:  rs.Status.AvailableReplicas,
			Pods:       []PodView{},
			Services:   []string{},
		}
		switch hash {
		case ro.Status.StableRS:
			r.Role = "stable"
		case ro.Status.CurrentPodHash:
			r.Role = "canary"
		}
		for _, p := range pods {
			if p.Labels[v1alpha1.DefaultRolloutUniqueLabelKey] != hash || p.DeletionTimestamp != nil {
				continue
			}
			r.Pods = append(r.Pods, PodView{Name: p.Name, Phase: string(p.Status.Phase), Ready: podReady(p)})
		}
		slices.SortFunc(r.Pods, func(a, b PodView) int { return cmp.Compare(a.Name, b.Name) })
		out = append(out, r)
	}
	// Newest revision first.
	slices.SortFunc(out, func(a, b RevisionView) int {
		ra, _ := strconv.Atoi(a.Revision)
		rb, _ := strconv.Atoi(b.Revision)
		return cmp.Or(cmp.Compare(rb, ra), cmp.Compare(a.ReplicaSet, b.ReplicaSet))
	})
	return out
}

func podReady(p *corev1.Pod) bool {
	for _, c := range p.Status.Conditions {
		if c.Type == corev1.PodReady {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}

func events(evs []*corev1.Event) []EventView {
	sorted := slices.Clone(evs)
	slices.SortFunc(sorted, func(a, b *corev1.Event) int {
		return cmp.Or(eventTime(b).Compare(eventTime(a)), cmp.Compare(b.Name, a.Name))
	})
	out := []EventView{}
	for _, e := range sorted {
		if len(out) == maxEvents {
			break
		}
		out = append(out, EventView{Type: e.Type, Reason: e.Reason, Message: e.Message,
			Count: max(e.Count, 1), Time: eventTime(e).UTC().Format(time.RFC3339)})
	}
	return out
}

func eventTime(e *corev1.Event) time.Time {
	switch {
	case !e.LastTimestamp.IsZero():
		return e.LastTimestamp.Time
	case !e.EventTime.IsZero():
		return e.EventTime.Time
	}
	return e.CreationTimestamp.Time
}
