package rolloutview

import (
	"cmp"
	"slices"
	"time"

	corev1 "k8s.io/api/core/v1"
)

// View is a Rollout as a person is shown it. Its JSON is `kubectl serin get rollout -o
// json|yaml`; the dashboard renders it into its own JSON (pkg/dashboard).
type View struct {
	Name      string `json:"name"`
	Namespace string `json:"namespace"`
	// Status is the phase; "Unknown" until the controller observed the current generation.
	Status  string `json:"status"`
	Message string `json:"message,omitempty"`
	// Phase is status.phase as the controller last wrote it ("Unknown" before it wrote
	// one): unlike Status it does not wait for the controller to observe the spec.
	Phase    string `json:"phase"`
	Strategy string `json:"strategy"` // Canary, BlueGreen
	// Step is "n/m" (n the step running, 1-based; m the number of steps) for a canary.
	Step string `json:"step,omitempty"`
	// SetWeight is the share of traffic the steps give the revision being rolled out:
	// that of the last setWeight step reached, 0 before any and after an abort, the
	// maximum weight once every step has run. ActualWeight is the one the controller
	// reports as routed (status.canary.weights). With nothing in flight (the template's
	// revision is stable) both are the maximum weight, as Argo Rollouts shows them: that
	// revision carries all traffic, through the stable Service. Both nil for a
	// blue-green rollout; ActualWeight nil until the controller reported one.
	SetWeight    *int32 `json:"setWeight,omitempty"`
	ActualWeight *int32 `json:"actualWeight,omitempty"`
	// Images are the template's, those the rollout is heading to.
	Images       []string `json:"images,omitempty"`
	StableImages []string `json:"stableImages,omitempty"`
	// CanaryImages are those of the revision being rolled out (blue-green: the new one).
	CanaryImages []string `json:"canaryImages,omitempty"`
	Replicas     Replicas `json:"replicas"`
	Paused       bool     `json:"paused,omitempty"`      // spec.paused
	Aborted      bool     `json:"aborted,omitempty"`     // status.abort
	PromoteFull  bool     `json:"promoteFull,omitempty"` // status.promoteFull
	// Pauses are status.pauseConditions.
	Pauses []Pause `json:"pauses,omitempty"`
	// Canary is set for a canary rollout: its Services, router, steps and header routes.
	Canary *Canary `json:"canary,omitempty"`
	// BlueGreen is set for a blue-green rollout (which has no step or weights).
	BlueGreen *BlueGreen `json:"blueGreen,omitempty"`
	// Revisions are newest first, each with its AnalysisRuns.
	Revisions []Revision `json:"revisions,omitempty"`
	// AnalysisRuns are the runs of no revision in Revisions (their ReplicaSet is gone).
	AnalysisRuns []AnalysisRun `json:"analysisRuns,omitempty"`
	Conditions   []Condition   `json:"conditions,omitempty"`
	// Events are the newest MaxEvents Events about the Rollout, newest first.
	Events []Event `json:"events,omitempty"`
	// Created is the Rollout's creation time, for its age.
	Created time.Time `json:"created"`
}

// Replicas are the Rollout's replica counts.
type Replicas struct {
	Desired   int32 `json:"desired"`
	Current   int32 `json:"current"`
	Updated   int32 `json:"updated"`
	Ready     int32 `json:"ready"`
	Available int32 `json:"available"`
}

// Pause is one pause condition and when it began.
type Pause struct {
	Reason string    `json:"reason"`
	Since  time.Time `json:"since"`
}

// Condition is a status condition.
type Condition struct {
	Type    string `json:"type"`
	Status  string `json:"status"`
	Reason  string `json:"reason"`
	Message string `json:"message"`
}

// Event is a Kubernetes Event about the Rollout.
type Event struct {
	Type    string    `json:"type"`
	Reason  string    `json:"reason"`
	Message string    `json:"message"`
	Count   int32     `json:"count"`
	Time    time.Time `json:"time"`
}

// MaxEvents is how many of the most recent Events a view keeps.
const MaxEvents = 20

// Strategy names.
const (
	StrategyCanary    = "Canary"
	StrategyBlueGreen = "BlueGreen"
)

// New builds the View of a snapshot. It is pure; s may hold objects of other rollouts'
// only if the caller filtered them (Snapshot.Owned or an owner index).
func New(s *Snapshot) View {
	ro := s.Rollout
	st := &ro.Status
	v := View{
		Name: ro.Name, Namespace: ro.Namespace, Status: string(st.Phase), Message: st.Message,
		Phase: string(st.Phase), Created: ro.CreationTimestamp.Time,
		Images: images(ro.Spec.Template.Spec), Paused: ro.Spec.Paused, Aborted: st.Abort, PromoteFull: st.PromoteFull,
		Replicas: Replicas{
			Desired: desired(ro.Spec.Replicas), Current: st.Replicas, Updated: st.UpdatedReplicas,
			Ready: st.ReadyReplicas, Available: st.AvailableReplicas,
		},
	}
	if v.Phase == "" {
		v.Phase = "Unknown"
	}
	if st.ObservedGeneration != ro.Generation || v.Status == "" {
		v.Status, v.Message = "Unknown", "the controller has not observed the latest spec yet"
	}
	for _, c := range st.PauseConditions {
		v.Pauses = append(v.Pauses, Pause{Reason: string(c.Reason), Since: c.StartTime.Time})
	}
	for _, c := range st.Conditions {
		v.Conditions = append(v.Conditions, Condition{Type: string(c.Type), Status: string(c.Status), Reason: c.Reason, Message: c.Message})
	}
	v.Events = events(s.Events)
	v.Revisions, v.AnalysisRuns = revisions(s)
	if r := v.revisionByHash(st.StableRS); r != nil {
		v.StableImages = r.Images
	}
	if r := v.revisionByHash(st.CurrentPodHash); r != nil && st.CurrentPodHash != st.StableRS {
		v.CanaryImages = r.Images
	}
	switch {
	case ro.Spec.Strategy.Canary != nil:
		v.Strategy = StrategyCanary
		v.Canary = canary(ro)
		v.Step = stepOf(ro)
		v.SetWeight, v.ActualWeight = weights(ro)
	case ro.Spec.Strategy.BlueGreen != nil:
		v.Strategy = StrategyBlueGreen
		v.BlueGreen = blueGreen(&v, ro)
	}
	return v
}

func desired(p *int32) int32 {
	if p == nil {
		return 1 // the API server's default
	}
	return *p
}

func images(spec corev1.PodSpec) []string {
	var out []string
	for _, c := range spec.Containers {
		out = append(out, c.Image)
	}
	return out
}

func (v *View) revisionByHash(hash string) *Revision {
	if hash == "" {
		return nil
	}
	for i := range v.Revisions {
		if v.Revisions[i].Hash == hash {
			return &v.Revisions[i]
		}
	}
	return nil
}

// events keeps the newest MaxEvents, newest first.
func events(evs []*corev1.Event) []Event {
	sorted := slices.Clone(evs)
	slices.SortFunc(sorted, func(a, b *corev1.Event) int {
		return cmp.Or(eventTime(b).Compare(eventTime(a)), cmp.Compare(b.Name, a.Name))
	})
	var out []Event
	for _, e := range sorted[:min(len(sorted), MaxEvents)] {
		out = append(out, Event{Type: e.Type, Reason: e.Reason, Message: e.Message, Count: max(e.Count, 1), Time: eventTime(e)})
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
