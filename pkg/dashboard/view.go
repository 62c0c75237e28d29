package dashboard

import (
	"strconv"
	"time"

	"github.com/serin-dev/serin/pkg/rolloutview"
)

// RolloutView is everything the page shows about one Rollout, in the JSON shape the front
// end in ui/ reads (ui/src/types.ts). BuildView renders it from the one view model of a
// Rollout (pkg/rolloutview), which also feeds the plugin: nothing here decides anything
// about the rollout, it only lays the model out. It carries no Secret and no credential.
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

// Replicas are the Rollout's replica counts, as the view model has them.
type Replicas = rolloutview.Replicas

// StepView is one canary step as the timeline shows it.
type StepView struct {
	Index int    `json:"index"`
	Kind  string `json:"kind"`  // setWeight, pause, analysis, setCanaryScale, setHeaderRoute
	Text  string `json:"text"`  // e.g. "setWeight 20%", "pause 30s", "pause until promoted"
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
	Services  []string `json:"services"`
	Images    []string `json:"images"`
	Desired   int32    `json:"desired"`
	Ready     int32    `json:"ready"`
	Available int32    `json:"available"`
	// ScaleDownAt is when the controller takes this old revision to 0 (RFC 3339), while
	// it waits out its scale-down delay; the page counts down to it ("scales down in 25s").
	ScaleDownAt string    `json:"scaleDownAt,omitempty"`
	Pods        []PodView `json:"pods"`
	// Problems say why its pods do not become available, one per cause, each "Reason:
	// pods affected, e.g. pod: what the kubelet or the scheduler said" (pkg/diagnosis).
	Problems []string `json:"problems"`
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

// BuildView renders a Rollout and what belongs to it as the page shows it. It is pure.
func BuildView(s *rolloutview.Snapshot) RolloutView {
	return render(rolloutview.New(s))
}

func render(m rolloutview.View) RolloutView {
	v := RolloutView{
		Key:          m.Namespace + "/" + m.Name,
		Namespace:    m.Namespace,
		Name:         m.Name,
		Created:      timeText(m.Created),
		Phase:        m.Phase,
		Message:      m.Message,
		Strategy:     strategyOf(m),
		Images:       orEmpty(m.Images),
		Replicas:     m.Replicas,
		Paused:       m.Paused,
		Aborted:      m.Aborted,
		PromoteFull:  m.PromoteFull,
		PauseReasons: []string{},
		SetWeight:    m.SetWeight,
		ActualWeight: m.ActualWeight,
		Revisions:    []RevisionView{},
		AnalysisRuns: analysisViews(m),
		Events:       []EventView{},
		Conditions:   []ConditionView{},
	}
	for _, p := range m.Pauses {
		v.PauseReasons = append(v.PauseReasons, p.Reason)
	}
	v.Steps, v.HeaderRoutes = steps(m.Canary)
	if m.Canary != nil {
		v.Step = m.Canary.StepIndex
	}
	for _, r := range m.Revisions {
		v.Revisions = append(v.Revisions, revisionView(r))
	}
	v.BlueGreen = blueGreenView(m.BlueGreen)
	for _, e := range m.Events {
		v.Events = append(v.Events, EventView{Type: e.Type, Reason: e.Reason, Message: e.Message, Count: e.Count, Time: timeText(e.Time)})
	}
	for _, c := range m.Conditions {
		v.Conditions = append(v.Conditions, ConditionView(c))
	}
	return v
}

func revisionView(r rolloutview.Revision) RevisionView {
	out := RevisionView{Revision: revisionText(r.Number), ReplicaSet: r.ReplicaSet.Name, Hash: r.Hash, Role: r.Role,
		Services: orEmpty(r.Services), Images: orEmpty(r.Images), Desired: r.ReplicaSet.Desired,
		Ready: r.ReplicaSet.Ready, Available: r.ReplicaSet.Available, Pods: []PodView{}, Problems: orEmpty(r.Problems)}
	if at := r.ReplicaSet.ScaleDownAt; at != nil {
		out.ScaleDownAt = timeText(*at)
	}
	for _, p := range r.Pods {
		if p.Status == rolloutview.PodTerminating {
			continue // on its way out: the page shows the pods that serve
		}
		out.Pods = append(out.Pods, PodView{Name: p.Name, Phase: p.Phase, Ready: p.Status == rolloutview.PodReady})
	}
	return out
}

// revisionText is a revision number as the page shows it; "" when the ReplicaSet has none.
func revisionText(n int64) string {
	if n == 0 {
		return ""
	}
	return strconv.FormatInt(n, 10)
}

// timeText is t in RFC 3339, UTC; "" for the zero time.
func timeText(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

// orEmpty makes a nil list an empty one: the front end reads lists, never null.
func orEmpty[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}
