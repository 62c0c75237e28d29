package rolloutview

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/serin-dev/serin/pkg/apis/rollouts/v1alpha1"
)

// BlueGreen is what a blue-green rollout shows instead of steps and weights: the revision
// each Service selects, the pause and how far the promotion has come.
type BlueGreen struct {
	Active ServiceTarget `json:"active"`
	// Preview is nil when the rollout has no preview Service.
	Preview *ServiceTarget `json:"preview,omitempty"`
	// Pauses are status.pauseConditions (BlueGreenPause while waiting for promotion), the
	// same as View.Pauses.
	Pauses []Pause `json:"pauses,omitempty"`
	// Promotion is where the promotion stands, in words: "stable", "preview up, paused
	// until promote", "switched: post-promotion analysis running", ...
	Promotion string `json:"promotion"`
	// Stage is StageStable (nothing in flight), StageAborted, or the Name of the current
	// stage of Stages.
	Stage  string  `json:"stage"`
	Stages []Stage `json:"stages"`
	// PrePromotion and PostPromotion are status.blueGreen's AnalysisRun references.
	PrePromotion  *RunRef `json:"prePromotion,omitempty"`
	PostPromotion *RunRef `json:"postPromotion,omitempty"`
}

// ServiceTarget is a Service and the revision its selector points at.
type ServiceTarget struct {
	Service string `json:"service"`
	// Selector is the pod template hash the Service selects (status.blueGreen.
	// activeSelector / previewSelector); "" until the controller set it.
	Selector string `json:"selector,omitempty"`
	// Revision is that ReplicaSet's revision; 0 when no ReplicaSet of the rollout has it.
	Revision int64 `json:"revision,omitempty"`
}

// Stage is one stage of a blue-green promotion.
type Stage struct {
	Name  string `json:"name"`  // StagePreview, StagePreAnalysis, ...
	Text  string `json:"text"`  // e.g. "new revision up on preview web-preview"
	State string `json:"state"` // StepDone, StepCurrent, StepPending
}

// RunRef names an AnalysisRun the rollout status refers to, with its phase.
type RunRef struct {
	Name    string `json:"name"`
	Phase   string `json:"phase"`
	Message string `json:"message,omitempty"`
}

// Blue-green stage names.
const (
	StagePreview      = "preview"
	StagePreAnalysis  = "prePromotionAnalysis"
	StagePaused       = "paused"
	StageScaleUp      = "scaleUp"
	StageSwitched     = "switched"
	StagePostAnalysis = "postPromotionAnalysis"
	StageStable       = "stable"
	StageAborted      = "aborted"
)

// blueGreen builds the blue-green part of v; v.Revisions and v.Pauses must be built.
func blueGreen(v *View, ro *v1alpha1.Rollout) *BlueGreen {
	bg, st := ro.Spec.Strategy.BlueGreen, &ro.Status
	out := &BlueGreen{Active: target(v, bg.ActiveService, st.BlueGreen.ActiveSelector), Pauses: v.Pauses,
		PrePromotion: runRef(st.BlueGreen.PrePromotionAnalysisRunStatus), PostPromotion: runRef(st.BlueGreen.PostPromotionAnalysisRunStatus)}
	if bg.PreviewService != "" {
		p := target(v, bg.PreviewService, st.BlueGreen.PreviewSelector)
		out.Preview = &p
	}
	out.Promotion = promotion(v, ro)
	out.Stages = stages(ro)
	switch {
	case st.Abort:
		out.Stage = StageAborted
	case st.StableRS != "" && st.StableRS == st.CurrentPodHash:
		out.Stage = StageStable
	default:
		for _, s := range out.Stages {
			if s.State == StepCurrent {
				out.Stage = s.Name
			}
		}
	}
	return out
}

func target(v *View, svc, hash string) ServiceTarget {
	t := ServiceTarget{Service: svc, Selector: hash}
	if r := v.revisionByHash(hash); r != nil {
		t.Revision = r.Number
	}
	return t
}

func runRef(s *v1alpha1.RolloutAnalysisRunStatus) *RunRef {
	if s == nil {
		return nil
	}
	return &RunRef{Name: s.Name, Phase: string(s.Status), Message: s.Message}
}

// promotion says where a blue-green promotion stands, from the status the plan wrote.
func promotion(v *View, ro *v1alpha1.Rollout) string {
	bg, st := ro.Spec.Strategy.BlueGreen, &ro.Status
	newHash := st.CurrentPodHash
	switch {
	case newHash == "":
		return "not started: the controller has not seen this rollout yet"
	case st.Abort:
		return "aborted: active back on the stable revision"
	case st.StableRS == newHash:
		return "stable"
	}
	counts := ""
	if r := v.revisionByHash(newHash); r != nil {
		counts = fmt.Sprintf(" (%d of %d available)", r.ReplicaSet.Available, v.Replicas.Desired)
	}
	if st.BlueGreen.ActiveSelector == newHash {
		if run := st.BlueGreen.PostPromotionAnalysisRunStatus; run != nil && run.Status != v1alpha1.AnalysisPhaseSuccessful {
			return "switched: post-promotion analysis " + runWord(run.Status)
		}
		return "switched: becoming stable"
	}
	previewUp := "preview up" + counts
	if bg.PreviewService == "" {
		previewUp = "new revision up" + counts
	}
	switch {
	case bg.PreviewService != "" && st.BlueGreen.PreviewSelector != newHash:
		return "new revision coming up" + counts
	case st.BlueGreen.ScaleUpPreviewCheckPoint:
		return "promoting: new revision scaling to full" + counts + ", then active switches"
	case ro.Spec.Paused:
		return previewUp + ", paused by spec.paused until resume"
	}
	if run := st.BlueGreen.PrePromotionAnalysisRunStatus; run != nil && run.Status != v1alpha1.AnalysisPhaseSuccessful {
		return previewUp + ", pre-promotion analysis " + runWord(run.Status)
	}
	for _, c := range st.PauseConditions {
		if c.Reason != v1alpha1.PauseReasonBlueGreenPause {
			continue
		}
		if manualPromotion(bg) {
			return previewUp + ", paused until promote"
		}
		return fmt.Sprintf("%s, paused: promotes %ds after the pause began", previewUp, bg.AutoPromotionSeconds)
	}
	if st.ControllerPause {
		return previewUp + ", paused until promote"
	}
	return previewUp + ", promoting"
}

func runWord(p v1alpha1.AnalysisPhase) string {
	if p == "" {
		return "pending"
	}
	return strings.ToLower(string(p))
}

func manualPromotion(bg *v1alpha1.BlueGreenStrategy) bool {
	return bg.AutoPromotionEnabled != nil && !*bg.AutoPromotionEnabled
}

// stages lists the promotion's stages that apply to this rollout, each done, current or
// pending. Nothing is current when nothing is in flight or the rollout is aborted; every
// stage is done once the new revision is stable.
func stages(ro *v1alpha1.Rollout) []Stage {
	bg, st := ro.Spec.Strategy.BlueGreen, ro.Status
	newHash := st.CurrentPodHash
	stable := st.StableRS != "" && st.StableRS == newHash
	switched := stable || newHash != "" && st.BlueGreen.ActiveSelector == newHash
	scaledUp := switched || st.BlueGreen.ScaleUpPreviewCheckPoint
	preOK := scaledUp || runPhase(st.BlueGreen.PrePromotionAnalysisRunStatus) == v1alpha1.AnalysisPhaseSuccessful
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
		{StagePaused, pauseText(manualPromotion(bg), bg.AutoPromotionSeconds), manualPromotion(bg) || bg.AutoPromotionSeconds > 0, scaledUp},
		{StageScaleUp, "scaled to all replicas", bg.PreviewReplicaCount != nil, switched},
		{StageSwitched, "active " + bg.ActiveService + " switched", true, switched},
		{StagePostAnalysis, "post-promotion analysis", bg.PostPromotionAnalysis != nil,
			stable || runPhase(st.BlueGreen.PostPromotionAnalysisRunStatus) == v1alpha1.AnalysisPhaseSuccessful},
		{StageStable, "stable", true, stable},
	}
	out := []Stage{}
	current := !stable && !st.Abort && newHash != ""
	for _, s := range all {
		if !s.applies {
			continue
		}
		v := Stage{Name: s.name, Text: s.text, State: StepPending}
		switch {
		case s.done:
			v.State = StepDone
		case current:
			v.State, current = StepCurrent, false
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
