package analysisrun

import (
	"context"
	"fmt"

	"github.com/sirupsen/logrus"
	apiequality "k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/cache"

	"github.com/serin-dev/serin/pkg/analysis"
	"github.com/serin-dev/serin/pkg/analysis/provider"
	"github.com/serin-dev/serin/pkg/apis/rollouts/v1alpha1"
	"github.com/serin-dev/serin/pkg/logging"
)

// sync is one reconcile of a run: gather, analysis.Plan, measure, analysis.Assess, write the status when it
// changed, record an Event when the run completed, and requeue at the next due time.
func (c *Controller) sync(ctx context.Context, key cache.ObjectName) error {
	cached, err := c.runs.AnalysisRuns(key.Namespace).Get(key.Name)
	if apierrors.IsNotFound(err) {
		return nil
	}
	if err != nil {
		return err
	}
	if cached.Status.Phase.Completed() {
		return nil
	}
	run := cached.DeepCopy()
	// The runner's logger carries the run's keys; the providers log with it too.
	log := logging.From(ctx).WithFields(logrus.Fields{"analysisrun": run.Name, "namespace": run.Namespace})
	ctx = logging.Into(ctx, log)

	in := c.gather(ctx, run)
	tasks := analysis.Plan(in)
	outcomes := c.measure(ctx, in, tasks)
	a := analysis.Assess(in, outcomes)
	for _, o := range outcomes {
		errText := ""
		if o.Result.Err != nil {
			errText = analysis.Mask(o.Result.Err.Error(), in.Secrets)
		}
		log.WithFields(logrus.Fields{"metric": in.Metrics[o.Metric].Name, "index": o.Index,
			"terminate": o.Terminate, "value": analysis.Mask(o.Result.Value, in.Secrets), "error": errText}).Debug("measured")
	}
	if !apiequality.Semantic.DeepEqual(cached.Status, a.Status) {
		run.Status = a.Status
		if _, err := c.serin.SerinV1alpha1().AnalysisRuns(run.Namespace).UpdateStatus(ctx, run, metav1.UpdateOptions{}); err != nil {
			return fmt.Errorf("update status: %w", err)
		}
		if cached.Status.Phase != a.Status.Phase {
			log.WithFields(logrus.Fields{"phase": a.Status.Phase, "message": a.Status.Message}).Info("analysis run phase")
		}
	}
	if a.Completed {
		eventType, reason := eventFor(a.Status.Phase)
		msg := a.Status.Message
		if msg == "" {
			msg = fmt.Sprintf("analysis run %s", a.Status.Phase)
		}
		c.recorder.Event(run, eventType, reason, msg)
	}
	if a.RequeueAfter > 0 {
		c.queue.AddAfter(key, a.RequeueAfter)
	}
	return nil
}

// gather resolves the run's arguments (reading Secrets in its namespace) and substitutes
// them into its metrics. A failure is recorded in Input.ArgsError: the run is then Error.
func (c *Controller) gather(ctx context.Context, run *v1alpha1.AnalysisRun) analysis.Input {
	in := analysis.Input{Run: run, Metrics: run.Spec.Metrics, Now: c.clock.Now()}
	if run.Status.Phase.Completed() {
		return in
	}
	values, secrets, err := analysis.ResolveArgs(ctx, run.Namespace, run.Spec.Args, c.secretValue)
	in.Secrets = secrets
	if err != nil {
		in.ArgsError = err
		return in
	}
	metrics, err := analysis.Substitute(run.Spec.Metrics, values)
	if err != nil {
		in.ArgsError = err
		return in
	}
	in.Metrics = metrics
	return in
}

// secretValue reads one key of a Secret with a GET (Secrets are not cached: the
// controller reads only those named by a run, in the run's namespace).
func (c *Controller) secretValue(ctx context.Context, namespace, name, key string) (string, error) {
	s, err := c.kube.CoreV1().Secrets(namespace).Get(ctx, name, metav1.GetOptions{})
	if err != nil {
		return "", err
	}
	v, ok := s.Data[key]
	if !ok {
		return "", fmt.Errorf("secret %s/%s has no key %q", namespace, name, key)
	}
	return string(v), nil
}

// measure runs each task's provider, one after the other.
func (c *Controller) measure(ctx context.Context, in analysis.Input, tasks []analysis.Task) []analysis.Outcome {
	outcomes := make([]analysis.Outcome, 0, len(tasks))
	for _, t := range tasks {
		m := &in.Metrics[t.Metric]
		o := analysis.Outcome{Task: t}
		p, err := c.providers.For(m)
		if err != nil {
			o.Result = provider.Result{Err: err}
			outcomes = append(outcomes, o)
			continue
		}
		req := provider.Request{Run: in.Run, Metric: m, Running: t.Running, Index: t.Index, Now: in.Now}
		if t.Terminate {
			o.Result.Err = p.Terminate(ctx, req)
		} else {
			o.Result = p.Measure(ctx, req)
		}
		outcomes = append(outcomes, o)
	}
	return outcomes
}
