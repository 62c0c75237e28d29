package plan

import (
	"fmt"
	"sort"
	"strconv"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/serin-dev/serin/pkg/analysis/runspec"
	"github.com/serin-dev/serin/pkg/apis/rollouts/v1alpha1"
)

// Analysis of a canary. An `analysis` step creates one AnalysisRun when the step is
// reached and waits for its verdict; a background analysis (canary.analysis) creates one
// run once the rollout reaches its startingStep and lets it run across the steps.
//
//   - Successful: the step is complete (a background run that ends Successful just ends).
//   - Failed or Error: the rollout aborts, its message naming the run and its verdict.
//   - Inconclusive: the rollout pauses (InconclusiveAnalysisRun) until promote, which
//     completes the step (step run) or starts a fresh background run; or until abort.
//
// The run in use is named in status.canary.currentStepAnalysisRunStatus /
// currentBackgroundAnalysisRunStatus. A run the status does not name yet but that exists
// unfinished for the same revision, type and step (a controller stopped between creating
// it and writing the status) is taken over rather than created again. Every other
// unfinished run is terminated: on abort, on promotion, when the template or the steps
// change. Finished runs beyond the history limits are deleted, oldest first.

// Labels and annotations on the AnalysisRuns a Rollout creates (Argo's label names, so
// that existing selectors keep working, plus the Rollout's name).
const (
	LabelRunType         = "rollout-type"
	LabelStepIndex       = "step-index"
	LabelRollout         = "rollout.serin.dev/rollout"
	RunTypeStep          = "Step"
	RunTypeBackground    = "Background"
	defaultRunHistoryLen = 5
)

// analysisRef is what one run is for: a step (Step >= 0) or the background analysis.
type analysisRef struct {
	runType  string
	step     int32 // -1 for the background run
	analysis *v1alpha1.RolloutAnalysis
}

// runFor finds the run in use for ref (named by st, else one to take over), or nil.
func (p *planner) runFor(ref analysisRef, st *v1alpha1.RolloutAnalysisRunStatus) *v1alpha1.AnalysisRun {
	var takeover *v1alpha1.AnalysisRun
	for _, run := range p.in.AnalysisRuns {
		if !p.runMatches(run, ref) {
			continue
		}
		if st != nil && run.Name == st.Name {
			return run
		}
		if st == nil && !run.Status.Phase.Completed() && !run.Spec.Terminate &&
			(takeover == nil || run.CreationTimestamp.After(takeover.CreationTimestamp.Time)) {
			takeover = run
		}
	}
	return takeover
}

func (p *planner) runMatches(run *v1alpha1.AnalysisRun, ref analysisRef) bool {
	l := run.Labels
	if l[v1alpha1.DefaultRolloutUniqueLabelKey] != p.revs.hash || l[LabelRunType] != ref.runType {
		return false
	}
	return ref.step < 0 || l[LabelStepIndex] == strconv.Itoa(int(ref.step))
}

// ensureRun returns the phase of the run for ref, creating the run when there is none.
// st is the status field that names it.
func (p *planner) ensureRun(ref analysisRef, st **v1alpha1.RolloutAnalysisRunStatus) v1alpha1.AnalysisPhase {
	if run := p.runFor(ref, *st); run != nil {
		phase := run.Status.Phase
		if phase == "" {
			phase = v1alpha1.AnalysisPhasePending
		}
		prev := *st
		*st = &v1alpha1.RolloutAnalysisRunStatus{Name: run.Name, Status: phase, Message: run.Status.Message}
		if prev != nil && prev.Status == v1alpha1.AnalysisPhaseInconclusive && prev.Name == run.Name {
			// Keep the recorded verdict: promote of an inconclusive run reads it.
			(*st).Status = v1alpha1.AnalysisPhaseInconclusive
		}
		return phase
	}
	run, err := p.buildRun(ref)
	if err != nil {
		// Next then plans the rollout as blocked (InvalidSpec) until the user fixes it.
		p.analysisErr = fmt.Sprintf("%s analysis: %v", ref.describe(), err)
		return v1alpha1.AnalysisPhasePending
	}
	p.runs = append(p.runs, run)
	*st = &v1alpha1.RolloutAnalysisRunStatus{Name: run.Name, Status: v1alpha1.AnalysisPhasePending}
	p.normal(v1alpha1.ReasonAnalysisRunCreated, fmt.Sprintf("Created %s AnalysisRun %s", ref.describe(), run.Name))
	return v1alpha1.AnalysisPhasePending
}

func (r analysisRef) describe() string {
	switch {
	case r.runType == RunTypePrePromotion:
		return "pre-promotion"
	case r.runType == RunTypePostPromotion:
		return "post-promotion"
	case r.step < 0:
		return "background"
	}
	return fmt.Sprintf("step %d", r.step+1)
}

// buildRun builds the AnalysisRun for ref from the templates in the Input.
func (p *planner) buildRun(ref analysisRef) (*v1alpha1.AnalysisRun, error) {
	a := ref.analysis
	var templates []*v1alpha1.AnalysisTemplate
	var clusterTemplates []*v1alpha1.ClusterAnalysisTemplate
	for _, t := range a.Templates {
		if t.ClusterScope {
			ct := p.in.ClusterAnalysisTemplates[t.TemplateName]
			if ct == nil {
				return nil, fmt.Errorf("ClusterAnalysisTemplate %s not found", t.TemplateName)
			}
			clusterTemplates = append(clusterTemplates, ct)
		} else {
			at := p.in.AnalysisTemplates[t.TemplateName]
			if at == nil {
				return nil, fmt.Errorf("AnalysisTemplate %s not found", t.TemplateName)
			}
			templates = append(templates, at)
		}
	}
	args, err := runspec.RolloutArgs(withStatus(p.ro, p.status), a.Args)
	if err != nil {
		return nil, err
	}
	labels := map[string]string{}
	for k, v := range a.AnalysisRunMetadata.Labels {
		labels[k] = v
	}
	labels[v1alpha1.DefaultRolloutUniqueLabelKey] = p.revs.hash
	labels[LabelRunType] = ref.runType
	labels[LabelRollout] = p.ro.Name
	base := fmt.Sprintf("%s-%s-%d", p.ro.Name, p.revs.hash, p.revs.revision)
	if ref.step >= 0 {
		labels[LabelStepIndex] = strconv.Itoa(int(ref.step))
		base = fmt.Sprintf("%s-%d", base, ref.step)
	}
	annotations := map[string]string{AnnotationRevision: strconv.FormatInt(p.revs.revision, 10)}
	for k, v := range a.AnalysisRunMetadata.Annotations {
		annotations[k] = v
	}
	return runspec.NewRun(templates, clusterTemplates, args, runspec.RunMeta{
		Name: p.freeRunName(base), Namespace: p.ro.Namespace,
		Owner:  metav1.NewControllerRef(p.ro, v1alpha1.SchemeGroupVersion.WithKind("Rollout")),
		Labels: labels, Annotations: annotations,
		DryRun: a.DryRun, MeasurementRetention: a.MeasurementRetention,
	})
}

// freeRunName is base, or base-2, base-3, ... when earlier attempts (a retry) hold it.
func (p *planner) freeRunName(base string) string {
	taken := map[string]bool{}
	for _, run := range p.in.AnalysisRuns {
		taken[run.Name] = true
	}
	name := base
	for i := 2; taken[name]; i++ {
		name = fmt.Sprintf("%s-%d", base, i)
	}
	return name
}

// backgroundActive reports whether the background analysis runs at step idx.
func (p *planner) backgroundActive(idx int32) bool {
	c := p.ro.Spec.Strategy.Canary
	return c.Analysis != nil && idx >= int32OrDefault(c.Analysis.StartingStep, 0)
}

// analysisVerdicts reads the runs in use at step idx. It reports whether one failed (the
// rollout is then aborted) and whether one is inconclusive and not yet promoted past
// (the rollout then pauses).
func (p *planner) analysisVerdicts(idx int32) (failed bool) {
	c := p.ro.Spec.Strategy.Canary
	s := &p.status
	if p.backgroundActive(idx) {
		ref := analysisRef{RunTypeBackground, -1, &c.Analysis.RolloutAnalysis}
		if p.inconclusivePromoted(s.Canary.CurrentBackgroundAnalysisRunStatus) {
			// Promoted past an inconclusive background run: a fresh one guards the rest.
			p.normal(v1alpha1.ReasonResumed, "Rollout resumed past the inconclusive background analysis")
			s.Canary.CurrentBackgroundAnalysisRunStatus = nil
		}
		if p.verdict(ref, p.ensureRun(ref, &s.Canary.CurrentBackgroundAnalysisRunStatus), s.Canary.CurrentBackgroundAnalysisRunStatus) {
			return true
		}
	}
	if int(idx) < len(c.Steps) && c.Steps[idx].Analysis != nil {
		st := s.Canary.CurrentStepAnalysisRunStatus
		if st != nil && !p.inconclusivePromoted(st) {
			ref := analysisRef{RunTypeStep, idx, c.Steps[idx].Analysis}
			if run := p.runFor(ref, st); run != nil {
				st.Message = run.Status.Message
				if p.verdict(ref, run.Status.Phase, st) {
					return true
				}
			}
		}
	}
	return false
}

// inconclusivePromoted: the status recorded an inconclusive run and the user has since
// removed the pause it caused (promote).
func (p *planner) inconclusivePromoted(st *v1alpha1.RolloutAnalysisRunStatus) bool {
	return st != nil && st.Status == v1alpha1.AnalysisPhaseInconclusive &&
		findPause(p.status.PauseConditions, v1alpha1.PauseReasonInconclusiveAnalysis) == nil
}

// verdict acts on a run's phase: abort on Failed or Error (true), pause on Inconclusive.
func (p *planner) verdict(ref analysisRef, phase v1alpha1.AnalysisPhase, st *v1alpha1.RolloutAnalysisRunStatus) bool {
	s := &p.status
	switch phase {
	case v1alpha1.AnalysisPhaseFailed, v1alpha1.AnalysisPhaseError:
		msg := fmt.Sprintf("%s AnalysisRun %s %s", ref.describe(), st.Name, phase)
		if st.Message != "" {
			msg += ": " + st.Message
		}
		p.warning(v1alpha1.ReasonAnalysisRunFailed, msg)
		s.Abort = true
		st.Status = phase
		return true
	case v1alpha1.AnalysisPhaseInconclusive:
		if st.Status != v1alpha1.AnalysisPhaseInconclusive || findPause(s.PauseConditions, v1alpha1.PauseReasonInconclusiveAnalysis) == nil {
			st.Status = v1alpha1.AnalysisPhaseInconclusive
			if findPause(s.PauseConditions, v1alpha1.PauseReasonInconclusiveAnalysis) == nil {
				s.PauseConditions = append(s.PauseConditions, v1alpha1.PauseCondition{Reason: v1alpha1.PauseReasonInconclusiveAnalysis, StartTime: p.metaNow()})
				p.warning(v1alpha1.ReasonAnalysisRunInconclusive, fmt.Sprintf("%s AnalysisRun %s is inconclusive: paused until promote or abort", ref.describe(), st.Name))
			}
		}
	}
	return false
}

// stepAnalysis is the analysis step at idx: complete once its run is Successful, or once
// the user promoted past an inconclusive run.
func (p *planner) stepAnalysis(idx int32, a *v1alpha1.RolloutAnalysis) bool {
	s := &p.status
	if p.inconclusivePromoted(s.Canary.CurrentStepAnalysisRunStatus) {
		p.normal(v1alpha1.ReasonResumed, fmt.Sprintf("Rollout resumed past the inconclusive step %d analysis", idx+1))
		return true
	}
	ref := analysisRef{RunTypeStep, idx, a}
	phase := p.ensureRun(ref, &s.Canary.CurrentStepAnalysisRunStatus)
	if phase == v1alpha1.AnalysisPhaseInconclusive {
		p.verdict(ref, phase, s.Canary.CurrentStepAnalysisRunStatus)
	}
	return phase == v1alpha1.AnalysisPhaseSuccessful
}

// syncAnalysisRuns terminates every unfinished run that is no longer in use and deletes
// finished runs beyond the history limits.
func (p *planner) syncAnalysisRuns() {
	inUse := map[string]bool{}
	for _, r := range p.runStatuses() {
		if *r.st != nil {
			inUse[(*r.st).Name] = true
		}
	}
	var ok, notOK []*v1alpha1.AnalysisRun
	for _, run := range p.in.AnalysisRuns {
		switch {
		case inUse[run.Name]:
		case !run.Status.Phase.Completed():
			if !run.Spec.Terminate {
				name := run.Name
				p.terminate = append(p.terminate, name)
			}
		case run.Status.Phase == v1alpha1.AnalysisPhaseSuccessful:
			ok = append(ok, run)
		default:
			notOK = append(notOK, run)
		}
	}
	limits := p.ro.Spec.Analysis
	var okLimit, notOKLimit *int32
	if limits != nil {
		okLimit, notOKLimit = limits.SuccessfulRunHistoryLimit, limits.UnsuccessfulRunHistoryLimit
	}
	p.deleteOldestRuns(ok, int(int32OrDefault(okLimit, defaultRunHistoryLen)))
	p.deleteOldestRuns(notOK, int(int32OrDefault(notOKLimit, defaultRunHistoryLen)))
}

func (p *planner) deleteOldestRuns(runs []*v1alpha1.AnalysisRun, keep int) {
	if len(runs) <= keep {
		return
	}
	sort.SliceStable(runs, func(i, j int) bool {
		a, b := runs[i].CreationTimestamp, runs[j].CreationTimestamp
		if a.Equal(&b) {
			return runs[i].Name < runs[j].Name
		}
		return a.Before(&b)
	})
	for _, run := range runs[:len(runs)-keep] {
		p.deleteRuns = append(p.deleteRuns, run.Name)
	}
}
