package rolloutview

import (
	"fmt"
	"strings"
	"time"

	"github.com/serin-dev/serin/pkg/apis/rollouts/v1alpha1"
)

// Revision roles of a blue-green rollout: a revision can hold several at once (the stable
// revision is usually active and preview too).
const (
	RoleStable  = "stable"
	RoleActive  = "active"
	RolePreview = "preview"
	// RoleNew marks a blue-green rollout's new revision before any Service selects it.
	RoleNew = "new"
)

// BlueGreen is what a blue-green rollout shows instead of steps and weights: the revision
// each Service selects, the pause and how far the promotion has come.
type BlueGreen struct {
	Active ServiceTarget `json:"active"`
	// Preview is nil when the rollout has no preview Service.
	Preview *ServiceTarget `json:"preview,omitempty"`
	// Pauses are status.pauseConditions (BlueGreenPause while waiting for promotion).
	Pauses []Pause `json:"pauses,omitempty"`
	// Promotion is where the promotion stands, in words: "stable", "preview up, paused
	// until promote", "switched: post-promotion analysis running", ...
	Promotion string `json:"promotion"`

	newHash string
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

// Pause is one pause condition and when it began.
type Pause struct {
	Reason string    `json:"reason"`
	Since  time.Time `json:"since"`
}

// blueGreenHeader fills v.BlueGreen from the rollout's status; v.Revisions must be built.
func blueGreenHeader(v *View, ro *v1alpha1.Rollout) {
	bg, st := ro.Spec.Strategy.BlueGreen, &ro.Status
	out := &BlueGreen{Active: target(v, bg.ActiveService, st.BlueGreen.ActiveSelector),
		newHash: st.CurrentPodHash}
	if bg.PreviewService != "" {
		p := target(v, bg.PreviewService, st.BlueGreen.PreviewSelector)
		out.Preview = &p
	}
	for _, c := range st.PauseConditions {
		out.Pauses = append(out.Pauses, Pause{Reason: string(c.Reason), Since: c.StartTime.Time})
	}
	out.Promotion = promotion(v, ro)
	v.BlueGreen = out
}

func target(v *View, svc, hash string) ServiceTarget {
	t := ServiceTarget{Service: svc, Selector: hash}
	if r := v.revisionByHash(hash); r != nil {
		t.Revision = r.Number
	}
	return t
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
	newRev := v.revisionByHash(newHash)
	counts := ""
	if newRev != nil {
		rs := newRev.ReplicaSet
		counts = fmt.Sprintf(" (%d of %d available)", rs.Available, v.Replicas.Desired)
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
		if bg.AutoPromotionEnabled != nil && !*bg.AutoPromotionEnabled {
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

// blueGreenRoles are the roles of a blue-green rollout's revision: stable, and the
// Services that select it; "new" for the rollout's new revision while no Service does.
func blueGreenRoles(ro *v1alpha1.Rollout, hash string) []string {
	if hash == "" {
		return nil
	}
	st := &ro.Status
	var roles []string
	if hash == st.StableRS {
		roles = append(roles, RoleStable)
	}
	if hash == st.BlueGreen.ActiveSelector {
		roles = append(roles, RoleActive)
	}
	if ro.Spec.Strategy.BlueGreen.PreviewService != "" && hash == st.BlueGreen.PreviewSelector {
		roles = append(roles, RolePreview)
	}
	if len(roles) == 0 && hash == st.CurrentPodHash {
		roles = append(roles, RoleNew)
	}
	return roles
}

// renderBlueGreen writes the blue-green lines of the header.
func renderBlueGreen(field func(name, value string), bg *BlueGreen, now time.Time) {
	field("  Active", targetText(bg.Active))
	if bg.Preview != nil {
		field("  Preview", targetText(*bg.Preview))
	}
	for _, p := range bg.Pauses {
		text := p.Reason
		if a := age(p.Since, now); a != "" {
			text += " (for " + a + ")"
		}
		field("  Paused", text)
	}
	field("  Promotion", bg.Promotion)
}

func targetText(t ServiceTarget) string {
	switch {
	case t.Selector == "":
		return t.Service + " → (selector not set yet)"
	case t.Revision == 0:
		return fmt.Sprintf("%s → %s (no ReplicaSet of this rollout)", t.Service, t.Selector)
	}
	return fmt.Sprintf("%s → revision %d (%s)", t.Service, t.Revision, t.Selector)
}

// newImageRole labels the new revision's images with its roles ("preview", "active,
// preview", or "new" while no Service selects it).
func (bg *BlueGreen) newImageRole(revs []Revision) string {
	for _, r := range revs {
		if r.Hash != "" && r.Hash == bg.newHash && len(r.Roles) > 0 {
			return strings.Join(r.Roles, ", ")
		}
	}
	return RoleNew
}
