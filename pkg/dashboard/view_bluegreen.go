package dashboard

import (
	"slices"
	"strconv"

	"github.com/serin-dev/serin/pkg/apis/rollouts/v1alpha1"
	"github.com/serin-dev/serin/pkg/plan"
)

// BlueGreenView is what a blue-green rollout shows instead of canary steps and weights:
// which revision each Service selects and how far the promotion has come.
type BlueGreenView struct {
	ActiveService  string `json:"activeService"`
	PreviewService string `json:"previewService,omitempty"`
	// ActiveRevision and PreviewRevision are the revisions whose pod template hash the
	// Services select (status.blueGreen.activeSelector / previewSelector); "" when the
	// selector is unset or no ReplicaSet has that hash.
	ActiveRevision  string `json:"activeRevision"`
	PreviewRevision string `json:"previewRevision"`
	ActiveSelector  string `json:"activeSelector,omitempty"`
	PreviewSelector string `json:"previewSelector,omitempty"`
	// Stage is where the rollout is: "stable" (nothing in flight), "aborted", or the name
	// of the current stage of Stages.
	Stage  string      `json:"stage"`
	Stages []StageView `json:"stages"`
	// PrePromotion and PostPromotion are status.blueGreen's AnalysisRun references.
	PrePromotion  *RunRef `json:"prePromotion,omitempty"`
	PostPromotion *RunRef `json:"postPromotion,omitempty"`
}

// StageView is one stage of a blue-green promotion.
type StageView struct {
	Name  string `json:"name"`  // preview, prePromotionAnalysis, paused, scaleUp, switched, postPromotionAnalysis, stable
	Text  string `json:"text"`  // e.g. "new revision up on preview web-preview"
	State string `json:"state"` // done, current, pending
}

// RunRef names an AnalysisRun the rollout status refers to, with its phase.
type RunRef struct {
	Name    string `json:"name"`
	Phase   string `json:"phase"`
	Message string `json:"message,omitempty"`
}

// Blue-green stage names.
const (
	StagePreview       = "preview"
	StagePreAnalysis   = "prePromotionAnalysis"
	StagePaused        = "paused"
	StageScaleUp       = "scaleUp"
	StageSwitched      = "switched"
	StagePostAnalysis  = "postPromotionAnalysis"
	StageStable        = "stable"
	StageAborted       = "aborted"
	revisionRoleNew    = "new"
	serviceRoleActive  = "active"
	serviceRolePreview = "preview"
)

// blueGreenView renders a blue-green rollout's promotion; nil for other strategies.
// revs are the rollout's revisions (ReplicaSets), used to name the selected revisions.
func blueGreenView(ro *v1alpha1.Rollout, revs []RevisionView) *BlueGreenView {
	bg := ro.Spec.Strategy.BlueGreen
	if bg == nil {
		return nil
	}
	st := ro.Status
	v := &BlueGreenView{ActiveService: bg.ActiveService, PreviewService: bg.PreviewService,
		ActiveSelector: st.BlueGreen.ActiveSelector, PreviewSelector: st.BlueGreen.PreviewSelector,
		PrePromotion: runRef(st.BlueGreen.PrePromotionAnalysisRunStatus), PostPromotion: runRef(st.BlueGreen.PostPromotionAnalysisRunStatus)}
	for _, r := range revs {
		if r.Hash == "" {
			continue
		}
		if r.Hash == v.ActiveSelector {
			v.ActiveRevision = r.Revision
		}
		if r.Hash == v.PreviewSelector {
			v.PreviewRevision = r.Revision
		}
	}
	v.Stages = stages(ro)
	switch {
	case st.Abort:
		v.Stage = StageAborted
	case st.StableRS != "" && st.StableRS == st.CurrentPodHash:
		v.Stage = StageStable
	default:
		for _, s := range v.Stages {
			if s.State == "current" {
				v.Stage = s.Name
			}
		}
	}
	return v
}

func runRef(s *v1alpha1.RolloutAnalysisRunStatus) *RunRef {
	if s == nil {
		return nil
	}
	return &RunRef{Name: s.Name, Phase: string(s.Status), Message: s.Message}
}

// stages lists the promotion's stages that apply to this rollout, each done, current or
// pending. Nothing is current when nothing is in flight or the rollout is aborted; every
// stage is done once the new revision is stable.
func stages(ro *v1alpha1.Rollout) []StageView {
	bg, st := ro.Spec.Strategy.BlueGreen, ro.Status
	newHash := st.CurrentPodHash
	stable := st.StableRS != "" && st.StableRS == newHash
	switched := stable || newHash != "" && st.BlueGreen.ActiveSelector == newHash
	scaledUp := switched || st.BlueGreen.ScaleUpPreviewCheckPoint
	preOK := scaledUp || runPhase(st.BlueGreen.PrePromotionAnalysisRunStatus) == v1alpha1.AnalysisPhaseSuccessful
	manual := bg.AutoPromotionEnabled != nil && !*bg.AutoPromotionEnabled
	preview := "new revision up"
	if bg.PreviewService != "" {
		preview += " on preview " + bg.PreviewService
	}
	type stage struct {
		name, text string
		applies    bool
		done       bool
	}
	all := []stage{
		{StagePreview, preview, true, stable || newHash != "" && (st.BlueGreen.PreviewSelector == newHash || switched) ||
			st.BlueGreen.PrePromotionAnalysisRunStatus != nil || slices.ContainsFunc(st.PauseConditions, isBlueGreenPause)},
		{StagePreAnalysis, "pre-promotion analysis", bg.PrePromotionAnalysis != nil, preOK},
		{StagePaused, pauseText(manual, bg.AutoPromotionSeconds), manual || bg.AutoPromotionSeconds > 0, scaledUp},
		{StageScaleUp, "scaled to all replicas", bg.PreviewReplicaCount != nil, switched},
		{StageSwitched, "active " + bg.ActiveService + " switched", true, switched},
		{StagePostAnalysis, "post-promotion analysis", bg.PostPromotionAnalysis != nil,
			stable || runPhase(st.BlueGreen.PostPromotionAnalysisRunStatus) == v1alpha1.AnalysisPhaseSuccessful},
		{StageStable, "stable", true, stable},
	}
	out := []StageView{}
	current := !stable && !st.Abort && newHash != ""
	for _, s := range all {
		if !s.applies {
			continue
		}
		v := StageView{Name: s.name, Text: s.text, State: "pending"}
		switch {
		case s.done:
			v.State = "done"
		case current:
			v.State, current = "current", false
		}
		out = append(out, v)
	}
	return out
}

func pauseText(manual bool, seconds int32) string {
	if manual {
		return "paused until promoted"
	}
	return "paused " + strconv.Itoa(int(seconds)) + "s before promotion"
}

func isBlueGreenPause(c v1alpha1.PauseCondition) bool {
	return c.Reason == v1alpha1.PauseReasonBlueGreenPause
}

func runPhase(s *v1alpha1.RolloutAnalysisRunStatus) v1alpha1.AnalysisPhase {
	if s == nil {
		return ""
	}
	return s.Status
}

// markServices sets the role of a blue-green rollout's new ReplicaSet to "new" and lists
// on each revision the Services (active, preview) that select it.
func markServices(ro *v1alpha1.Rollout, revs []RevisionView) {
	if ro.Spec.Strategy.BlueGreen == nil {
		return
	}
	bgs := ro.Status.BlueGreen
	for i := range revs {
		r := &revs[i]
		if r.Role == "canary" {
			r.Role = revisionRoleNew
		}
		if r.Hash == "" {
			continue
		}
		if r.Hash == bgs.ActiveSelector {
			r.Services = append(r.Services, serviceRoleActive)
		}
		if r.Hash == bgs.PreviewSelector && ro.Spec.Strategy.BlueGreen.PreviewService != "" {
			r.Services = append(r.Services, serviceRolePreview)
		}
	}
}

// runType is an AnalysisRun's rollout-type label (PrePromotion, PostPromotion, or the
// canary's run types); "" without it.
func runType(labels map[string]string) string {
	return labels[plan.LabelRunType]
}
