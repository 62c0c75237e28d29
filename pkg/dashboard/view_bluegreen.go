package dashboard

import (
	"github.com/serin-dev/serin/pkg/rolloutview"
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

// StageView is one stage of a blue-green promotion (rolloutview.Stage).
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

// blueGreenView lays out a blue-green rollout's promotion; nil for other strategies.
func blueGreenView(bg *rolloutview.BlueGreen) *BlueGreenView {
	if bg == nil {
		return nil
	}
	v := &BlueGreenView{ActiveService: bg.Active.Service, ActiveSelector: bg.Active.Selector,
		ActiveRevision: revisionText(bg.Active.Revision), Stage: bg.Stage, Stages: []StageView{},
		PrePromotion: runRef(bg.PrePromotion), PostPromotion: runRef(bg.PostPromotion)}
	if p := bg.Preview; p != nil {
		v.PreviewService, v.PreviewSelector, v.PreviewRevision = p.Service, p.Selector, revisionText(p.Revision)
	}
	for _, s := range bg.Stages {
		v.Stages = append(v.Stages, StageView(s))
	}
	return v
}

func runRef(r *rolloutview.RunRef) *RunRef {
	if r == nil {
		return nil
	}
	out := RunRef(*r)
	return &out
}
