// Package job is the analysis provider that runs a Kubernetes Job
// (metrics[].provider.job): the measurement is Successful when the Job completes and
// Failed when it fails. No condition is evaluated.
//
// The Job is created in the run's namespace, named <run>-<metric>-<measurement index>
// (shortened with a hash past 63 characters), labelled serin.dev/analysis-run=<run>, and
// controlled by the AnalysisRun, so it goes away with the run. A Job still running when its
// measurement is terminated (the run is terminated or another metric failed) is deleted
// with its pods. The controller learns of a Job's progress from its watch on Jobs, never
// by polling: Measure on a running measurement only reads the informer's cache.
package job

import (
	"context"
	"fmt"
	"hash/fnv"
	"maps"
	"strings"

	"github.com/sirupsen/logrus"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	batchlisters "k8s.io/client-go/listers/batch/v1"

	"github.com/serin-dev/serin/pkg/analysis/provider"
	"github.com/serin-dev/serin/pkg/apis/rollouts/v1alpha1"
	"github.com/serin-dev/serin/pkg/logging"
)

// Labels and metadata keys the provider sets.
const (
	// RunLabel is on every Job of a run: the run's name.
	RunLabel = "serin.dev/analysis-run"
	// MetricLabel is the metric's name (truncated to a label value).
	MetricLabel = "serin.dev/analysis-metric"
	// NameKey is the measurement metadata key holding the Job's name.
	NameKey = "job-name"
)

// Provider runs Jobs through kube and reads them from jobs, the cache of the Jobs
// labelled RunLabel.
type Provider struct {
	kube kubernetes.Interface
	jobs batchlisters.JobLister
}

// New returns the job provider.
func New(kube kubernetes.Interface, jobs batchlisters.JobLister) *Provider {
	return &Provider{kube: kube, jobs: jobs}
}

// Measure creates the measurement's Job (a new measurement) or reads how it is doing.
func (p *Provider) Measure(ctx context.Context, req provider.Request) provider.Result {
	if req.Metric.Provider.Job == nil {
		return provider.Result{Err: fmt.Errorf("metric %q has no job provider", req.Metric.Name)}
	}
	if req.Running != nil {
		return p.check(ctx, req)
	}
	job := Desired(req.Run, req.Metric, req.Index)
	res := provider.Result{Query: "job " + job.Namespace + "/" + job.Name, Metadata: map[string]string{NameKey: job.Name}}
	_, err := p.kube.BatchV1().Jobs(job.Namespace).Create(ctx, job, metav1.CreateOptions{})
	if apierrors.IsAlreadyExists(err) {
		// A sync that created it and then failed to store its status: the same Job, if
		// this run controls it.
		existing, gerr := p.kube.BatchV1().Jobs(job.Namespace).Get(ctx, job.Name, metav1.GetOptions{})
		if gerr != nil {
			res.Err = fmt.Errorf("job %s: %w", job.Name, gerr)
			return res
		}
		if ref := metav1.GetControllerOf(existing); ref == nil || ref.UID != req.Run.UID {
			res.Err = fmt.Errorf("job %s exists and does not belong to analysis run %s", job.Name, req.Run.Name)
			return res
		}
		err = nil
	}
	if err != nil {
		res.Err = fmt.Errorf("create job %s: %w", job.Name, err)
		return res
	}
	logging.From(ctx).WithFields(logrus.Fields{"metric": req.Metric.Name, "job": job.Name}).Debug("measurement Job started")
	res.Phase = v1alpha1.AnalysisPhaseRunning
	return res
}

func (p *Provider) check(ctx context.Context, req provider.Request) provider.Result {
	name := req.Running.Metadata[NameKey]
	res := provider.Result{Query: req.Running.Query, Metadata: map[string]string{NameKey: name}}
	job, err := p.jobs.Jobs(req.Run.Namespace).Get(name)
	if apierrors.IsNotFound(err) {
		// Not in the cache: just created (the watch event is on its way), or deleted.
		job, err = p.kube.BatchV1().Jobs(req.Run.Namespace).Get(ctx, name, metav1.GetOptions{})
		if apierrors.IsNotFound(err) {
			res.Err = fmt.Errorf("job %s was deleted before it finished", name)
			return res
		}
	}
	if err != nil {
		res.Err = fmt.Errorf("job %s: %w", name, err)
		return res
	}
	res.Phase, res.Value = Phase(job)
	return res
}

// Phase is a Job's verdict: Successful once Complete, Failed once Failed, else Running;
// and the text recorded as the measurement's value.
func Phase(job *batchv1.Job) (v1alpha1.AnalysisPhase, string) {
	for _, c := range job.Status.Conditions {
		if c.Status != corev1.ConditionTrue {
			continue
		}
		switch c.Type {
		case batchv1.JobComplete:
			return v1alpha1.AnalysisPhaseSuccessful, fmt.Sprintf("Complete (%d succeeded)", job.Status.Succeeded)
		case batchv1.JobFailed:
			return v1alpha1.AnalysisPhaseFailed, fmt.Sprintf("Failed: %s %s", c.Reason, c.Message)
		}
	}
	return v1alpha1.AnalysisPhaseRunning, fmt.Sprintf("running (%d active, %d failed)", job.Status.Active, job.Status.Failed)
}

// Terminate deletes a running measurement's Job and its pods.
func (p *Provider) Terminate(ctx context.Context, req provider.Request) error {
	if req.Running == nil || req.Running.Metadata[NameKey] == "" {
		return nil
	}
	name := req.Running.Metadata[NameKey]
	bg := metav1.DeletePropagationBackground
	err := p.kube.BatchV1().Jobs(req.Run.Namespace).Delete(ctx, name, metav1.DeleteOptions{PropagationPolicy: &bg})
	if err != nil && !apierrors.IsNotFound(err) {
		return fmt.Errorf("delete job %s: %w", name, err)
	}
	logging.From(ctx).WithField("job", name).Debug("measurement Job terminated")
	return nil
}

// Desired is the Job of a run's metric's measurement number index.
func Desired(run *v1alpha1.AnalysisRun, m *v1alpha1.Metric, index int32) *batchv1.Job {
	jm := m.Provider.Job
	labels := maps.Clone(jm.Metadata.Labels)
	if labels == nil {
		labels = map[string]string{}
	}
	labels[RunLabel] = labelValue(run.Name)
	labels[MetricLabel] = labelValue(m.Name)
	job := &batchv1.Job{
		ObjectMeta: metav1.ObjectMeta{
			Name:        Name(run.Name, m.Name, index),
			Namespace:   run.Namespace,
			Labels:      labels,
			Annotations: maps.Clone(jm.Metadata.Annotations),
			OwnerReferences: []metav1.OwnerReference{*metav1.NewControllerRef(run,
				v1alpha1.SchemeGroupVersion.WithKind("AnalysisRun"))},
		},
		Spec: *jm.Spec.DeepCopy(),
	}
	return job
}

// Name is <run>-<metric>-<index>, lower-cased; past 63 characters (a Job's name is also a
// label value on its pods) it is cut and ends with a hash of the whole.
func Name(run, metric string, index int32) string {
	full := strings.ToLower(fmt.Sprintf("%s-%s-%d", run, metric, index))
	full = strings.Map(func(r rune) rune {
		if (r >= 'a' && r <= 'z') || (r >= '0' && r <= '9') || r == '-' {
			return r
		}
		return '-'
	}, full)
	if len(full) <= 63 {
		return full
	}
	h := fnv.New32a()
	_, _ = h.Write([]byte(full))
	suffix := fmt.Sprintf("-%08x", h.Sum32())
	return strings.TrimRight(full[:63-len(suffix)], "-") + suffix
}

func labelValue(s string) string {
	if len(s) > 63 {
		s = s[:63]
	}
	return strings.TrimRight(s, "-_.")
}
