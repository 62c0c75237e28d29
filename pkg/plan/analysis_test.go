package plan

import (
	"slices"
	"strings"
	"testing"

	"k8s.io/utils/ptr"

	"github.com/serin-dev/serin/pkg/apis/rollouts/v1alpha1"
)

func analysisStep(template string) v1alpha1.CanaryStep {
	return v1alpha1.CanaryStep{Analysis: analysisOf(template)}
}

func analysisOf(template string) *v1alpha1.RolloutAnalysis {
	return &v1alpha1.RolloutAnalysis{
		Templates: []v1alpha1.AnalysisTemplateRef{{TemplateName: template}},
		Args: []v1alpha1.AnalysisRunArgument{
			{Name: "canary-hash", ValueFrom: &v1alpha1.ArgumentValueFrom{PodTemplateHashValue: ptr.To(v1alpha1.Latest)}},
		},
	}
}

func withBackground(template string, startingStep int32) rolloutOpt {
	return withCanary(func(c *v1alpha1.CanaryStrategy) {
		c.Analysis = &v1alpha1.RolloutAnalysisBackground{RolloutAnalysis: *analysisOf(template), StartingStep: &startingStep}
	})
}

// withTemplate gives the sim an AnalysisTemplate "success-rate" taking the canary hash.
func (s *sim) withTemplate(name string) *sim {
	if s.templates == nil {
		s.templates = map[string]*v1alpha1.AnalysisTemplate{}
	}
	s.templates[name] = &v1alpha1.AnalysisTemplate{
		Spec: v1alpha1.AnalysisTemplateSpec{
			Args: []v1alpha1.Argument{{Name: "canary-hash"}},
			Metrics: []v1alpha1.Metric{{Name: "success-rate", SuccessCondition: "result[0] >= 0.95",
				Provider: v1alpha1.MetricProvider{Prometheus: &v1alpha1.PrometheusMetric{
					Address: "http://prometheus", Query: `rate{hash="{{args.canary-hash}}"}`}}}},
		},
	}
	s.templates[name].Name = name
	return s
}

// finish sets the phase of the newest run (of runType) as the AnalysisRun controller
// would.
func (s *sim) finish(runType string, phase v1alpha1.AnalysisPhase, msg string) *v1alpha1.AnalysisRun {
	s.t.Helper()
	for i := len(s.runs) - 1; i >= 0; i-- {
		if run := s.runs[i]; run.Labels[LabelRunType] == runType {
			run.Status.Phase, run.Status.Message = phase, msg
			return run
		}
	}
	s.t.Fatalf("no %s run", runType)
	return nil
}

func (s *sim) runNames() []string {
	var out []string
	for _, run := range s.runs {
		out = append(out, run.Name+"="+string(run.Status.Phase))
	}
	return out
}

// Scenario 9 (inline): an analysis step creates exactly one run, labelled with the
// rollout, type and step, its argument resolved; the step waits for it and completes
// when it is Successful.
func TestAnalysisStepSucceeds(t *testing.T) {
	s := newSim(t, rollout("web", withNginx(), withSteps(setWeight(20), analysisStep("rate"), setWeight(50), pause()))).withTemplate("rate")
	s.settle()
	s.setImage("v2")
	s.settle()
	expect(t, "step", step(s), 1)
	expect(t, "phase", s.ro.Status.Phase, v1alpha1.RolloutPhaseProgressing)
	if len(s.runs) != 1 {
		t.Fatalf("runs %v, want one", s.runNames())
	}
	run := s.runs[0]
	hash := hashOf(s.rsOfImage("v2"))
	expect(t, "run name", run.Name, "web-"+hash+"-2-1")
	expect(t, "type label", run.Labels[LabelRunType], RunTypeStep)
	expect(t, "step label", run.Labels[LabelStepIndex], "1")
	expect(t, "rollout label", run.Labels[LabelRollout], "web")
	expect(t, "hash label", run.Labels[v1alpha1.DefaultRolloutUniqueLabelKey], hash)
	expect(t, "argument", *run.Spec.Args[0].Value, hash)
	expect(t, "owner", run.OwnerReferences[0].Kind, "Rollout")
	expect(t, "status names the run", s.ro.Status.Canary.CurrentStepAnalysisRunStatus.Name, run.Name)

	s.finish(RunTypeStep, v1alpha1.AnalysisPhaseRunning, "")
	s.settle()
	expect(t, "step while running", step(s), 1)
	s.finish(RunTypeStep, v1alpha1.AnalysisPhaseSuccessful, "")
	s.settle()
	expect(t, "step after success", step(s), 3)
	expect(t, "weight", s.weight(), 50)
	expect(t, "runs", len(s.runs), 1)
	if s.ro.Status.Canary.CurrentStepAnalysisRunStatus != nil {
		t.Errorf("step run status kept after the step: %+v", s.ro.Status.Canary.CurrentStepAnalysisRunStatus)
	}
}

// A failed analysis aborts the rollout: weight 0, Degraded, the message and a Warning
// event naming the run and its verdict. Retry runs the steps again and creates a new run
// for the step (one per step reached), keeping the failed one as history.
func TestAnalysisStepFailsAbortsThenRetry(t *testing.T) {
	s := newSim(t, rollout("web", withNginx(), withSteps(setWeight(20), analysisStep("rate"), pause()))).withTemplate("rate")
	s.settle()
	s.setImage("v2")
	s.settle()
	s.finish(RunTypeStep, v1alpha1.AnalysisPhaseFailed, `metric "success-rate" assessed Failed: result [0.5] against result[0] >= 0.95`)
	p := s.settle()
	expect(t, "abort", s.ro.Status.Abort, true)
	expect(t, "phase", s.ro.Status.Phase, v1alpha1.RolloutPhaseDegraded)
	expect(t, "weight", s.weight(), 0)
	if !strings.Contains(s.ro.Status.Message, `AnalysisRun web-`) || !strings.Contains(s.ro.Status.Message, `result [0.5] against result[0] >= 0.95`) {
		t.Errorf("message %q does not name the run and its verdict", s.ro.Status.Message)
	}
	if !slices.Contains(s.events, ReasonAnalysisRunFailed) {
		t.Errorf("events %v, want %s", s.events, ReasonAnalysisRunFailed)
	}
	_ = p

	s.ro.Status.Abort = false // retry
	s.settle()
	expect(t, "step after retry", step(s), 1)
	if len(s.runs) != 2 || !strings.HasSuffix(s.runs[1].Name, "-1-2") {
		t.Fatalf("runs after retry %v, want the failed one and a new -2", s.runNames())
	}
	s.finish(RunTypeStep, v1alpha1.AnalysisPhaseSuccessful, "")
	s.settle()
	expect(t, "step", step(s), 2)
	expect(t, "phase", s.ro.Status.Phase, v1alpha1.RolloutPhasePaused)
}

// An inconclusive run pauses the rollout (InconclusiveAnalysisRun) until promote, which
// completes the step without another run.
func TestAnalysisStepInconclusivePausesUntilPromote(t *testing.T) {
	s := newSim(t, rollout("web", withNginx(), withSteps(setWeight(20), analysisStep("rate"), setWeight(60), pause()))).withTemplate("rate")
	s.settle()
	s.setImage("v2")
	s.settle()
	s.finish(RunTypeStep, v1alpha1.AnalysisPhaseInconclusive, "neither condition met")
	s.settle()
	expect(t, "phase", s.ro.Status.Phase, v1alpha1.RolloutPhasePaused)
	expect(t, "message", s.ro.Status.Message, string(v1alpha1.PauseReasonInconclusiveAnalysis))
	expect(t, "step", step(s), 1)
	s.advance(10 * 60e9)
	s.settle()
	expect(t, "still paused", s.ro.Status.Phase, v1alpha1.RolloutPhasePaused)

	s.promote()
	s.settle()
	expect(t, "step after promote", step(s), 3)
	expect(t, "weight", s.weight(), 60)
	expect(t, "runs", len(s.runs), 1)
}

// Background analysis starts at its startingStep, runs across the steps and aborts the
// rollout in the middle of them when it fails.
func TestBackgroundAnalysisAbortsMidway(t *testing.T) {
	s := newSim(t, rollout("web", withNginx(), withSteps(setWeight(20), pause(), setWeight(50), pause()), withBackground("rate", 1))).withTemplate("rate")
	s.settle()
	s.setImage("v2")
	s.settle()
	expect(t, "step", step(s), 1)
	if len(s.runs) != 1 || s.runs[0].Labels[LabelRunType] != RunTypeBackground {
		t.Fatalf("runs %v, want one background run from step 1 on", s.runNames())
	}
	s.promote()
	s.settle()
	expect(t, "step", step(s), 3)
	expect(t, "runs", len(s.runs), 1)
	s.finish(RunTypeBackground, v1alpha1.AnalysisPhaseFailed, "error rate too high")
	s.settle()
	expect(t, "abort", s.ro.Status.Abort, true)
	expect(t, "weight", s.weight(), 0)
	if !strings.Contains(s.ro.Status.Message, "error rate too high") {
		t.Errorf("message %q", s.ro.Status.Message)
	}
}

// A background run still going when the canary is promoted is terminated; promote full
// skips every analysis and creates no run.
func TestBackgroundRunTerminatedOnPromotionAndPromoteFullSkips(t *testing.T) {
	s := newSim(t, rollout("web", withNginx(), withSteps(setWeight(20), pause(), analysisStep("rate")), withBackground("rate", 0))).withTemplate("rate")
	s.settle()
	s.setImage("v2")
	s.settle()
	expect(t, "runs", len(s.runs), 1)
	s.finish(RunTypeBackground, v1alpha1.AnalysisPhaseRunning, "")
	s.ro.Status.PromoteFull = true
	s.settle()
	s.advance(60e9) // the old stable's scaleDownDelaySeconds
	s.settle()
	expect(t, "phase", s.ro.Status.Phase, v1alpha1.RolloutPhaseHealthy)
	if len(s.runs) != 1 || !s.runs[0].Spec.Terminate {
		t.Errorf("runs %v: want only the background run, terminated", s.runNames())
	}
}

// A template that does not exist blocks the rollout with InvalidSpec (nothing half
// done); once it exists the rollout goes on.
func TestAnalysisMissingTemplateBlocks(t *testing.T) {
	s := newSim(t, rollout("web", withNginx(), withSteps(setWeight(20), analysisStep("rate"), pause())))
	s.settle()
	s.setImage("v2")
	s.settle()
	expect(t, "phase", s.ro.Status.Phase, v1alpha1.RolloutPhaseDegraded)
	expect(t, "message", s.ro.Status.Message, "InvalidSpec: spec.strategy.canary: step 2 analysis: AnalysisTemplate rate not found")
	expect(t, "runs", len(s.runs), 0)
	s.withTemplate("rate")
	s.settle()
	expect(t, "step", step(s), 1)
	expect(t, "runs", len(s.runs), 1)
}

// A controller stopped after creating a run and before writing the status takes the
// run over instead of creating a second one.
func TestAnalysisRunTakenOverAfterCrash(t *testing.T) {
	s := newSim(t, rollout("web", withNginx(), withSteps(setWeight(20), analysisStep("rate"), pause()))).withTemplate("rate")
	s.settle()
	s.setImage("v2")
	for i := 0; i < 10 && len(s.runs) == 0; i++ {
		s.podsUp()
		p := s.next()
		if slices.ContainsFunc(p.Actions, func(a Action) bool { return a.CreateAnalysisRun != nil }) {
			s.applyChecked(p.Actions) // and no status write: the controller died
			break
		}
		s.sync()
	}
	if len(s.runs) != 1 {
		t.Fatalf("runs %v", s.runNames())
	}
	s.settle()
	expect(t, "runs", len(s.runs), 1)
	expect(t, "status names it", s.ro.Status.Canary.CurrentStepAnalysisRunStatus.Name, s.runs[0].Name)
}

// Finished runs beyond the history limits are deleted, oldest first.
func TestAnalysisRunHistoryLimit(t *testing.T) {
	ro := rollout("web", withNginx(), withSteps(setWeight(20), analysisStep("rate"), pause()))
	ro.Spec.Analysis = &v1alpha1.AnalysisRunStrategy{UnsuccessfulRunHistoryLimit: ptr.To[int32](1)}
	s := newSim(t, ro).withTemplate("rate")
	s.settle()
	s.setImage("v2")
	var last *v1alpha1.AnalysisRun
	for i := 0; i < 3; i++ {
		s.settle()
		last = s.finish(RunTypeStep, v1alpha1.AnalysisPhaseFailed, "bad").DeepCopy()
		s.settle()
		s.ro.Status.Abort = false
		s.advance(60e9)
	}
	s.settle() // the last retry: its failed run is no longer in use
	var failed []*v1alpha1.AnalysisRun
	for _, run := range s.runs {
		if run.Status.Phase == v1alpha1.AnalysisPhaseFailed {
			failed = append(failed, run)
		}
	}
	if len(failed) != 1 || failed[0].Name != last.Name || !failed[0].CreationTimestamp.Equal(&last.CreationTimestamp) {
		t.Errorf("failed runs kept %v, want only the newest (%s)", s.runNames(), last.Name)
	}
}

// Scenario 9 (background, inconclusive): the rollout stays Paused with reason
// InconclusiveAnalysisRun, steps included, until promote; a fresh background run then
// guards the rest of the rollout.
func TestBackgroundInconclusivePausesUntilPromote(t *testing.T) {
	s := newSim(t, rollout("web", withNginx(), withSteps(setWeight(20), setWeight(40), pause()), withBackground("rate", 0))).withTemplate("rate")
	s.settle()
	s.setImage("v2")
	s.settle()
	expect(t, "step", step(s), 2)
	s.ro.Status.PauseConditions = nil // promote past the pause step
	s.finish(RunTypeBackground, v1alpha1.AnalysisPhaseInconclusive, "no data")
	s.settle()
	expect(t, "phase", s.ro.Status.Phase, v1alpha1.RolloutPhasePaused)
	expect(t, "message", s.ro.Status.Message, string(v1alpha1.PauseReasonInconclusiveAnalysis))
	expect(t, "step held", step(s), 2)

	s.promote()
	s.settle()
	// Promoted past both pauses, the rollout completes: the fresh background run it
	// started is terminated with it.
	if len(s.runs) != 2 || s.runs[1].Labels[LabelRunType] != RunTypeBackground || !s.runs[1].Spec.Terminate {
		t.Fatalf("runs %v, want a fresh background run after promote, terminated at completion", s.runNames())
	}
	s.advance(60e9)
	s.settle()
	expect(t, "phase", s.ro.Status.Phase, v1alpha1.RolloutPhaseHealthy)
}
