// Package analysisrun is the AnalysisRun controller: it watches AnalysisRuns and the Jobs
// of the job provider, and for each change runs one sync — resolve the run's arguments,
// let pkg/analysis plan the measurements, have the providers take them, let pkg/analysis
// assess them, write the status when it changed. The worker loop is pkg/controller's
// Runner.
package analysisrun

import (
	"context"
	"fmt"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	batchlisters "k8s.io/client-go/listers/batch/v1"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/tools/record"
	"k8s.io/utils/clock"

	"github.com/serin-dev/serin/pkg/analysis/provider"
	"github.com/serin-dev/serin/pkg/analysis/registry"
	"github.com/serin-dev/serin/pkg/apis/rollouts/v1alpha1"
	"github.com/serin-dev/serin/pkg/client/clientset/versioned"
	serinlisters "github.com/serin-dev/serin/pkg/client/listers/rollouts/v1alpha1"
	"github.com/serin-dev/serin/pkg/controller"
)

// SyncTimeout bounds one sync: its provider calls and its status write.
const SyncTimeout = 2 * time.Minute

// Config is what the controller is built from.
type Config struct {
	Kube      kubernetes.Interface
	Serin     versioned.Interface
	Informers *Informers
	Recorder  record.EventRecorder
	// Providers measure; DefaultProviders when nil.
	Providers provider.Registry
	// Clock is the time of measurements; the real clock when nil.
	Clock clock.Clock
}

// DefaultProviders builds every provider of pkg/analysis/registry (the job provider
// reads Jobs from inf).
func DefaultProviders(kube kubernetes.Interface, inf *Informers) provider.Registry {
	return registry.Providers(registry.Deps{Kube: kube, Jobs: batchlisters.NewJobLister(inf.Jobs.GetIndexer())})
}

// Controller runs AnalysisRuns. Build it with New, hand it to a controller.Runner (which
// registers its event handlers), start the informers, then run the runner.
type Controller struct {
	kube      kubernetes.Interface
	serin     versioned.Interface
	recorder  record.EventRecorder
	providers provider.Registry
	clock     clock.Clock
	inf       *Informers
	runs      serinlisters.AnalysisRunLister
	// runsIndexer is the cache behind runs (tests put runs in it).
	runsIndexer cache.Indexer
	// queue is the runner's, given to Register.
	queue controller.Queue
}

// New builds the controller on the informers' caches.
func New(cfg Config) *Controller {
	if cfg.Clock == nil {
		cfg.Clock = clock.RealClock{}
	}
	if cfg.Providers == nil {
		cfg.Providers = DefaultProviders(cfg.Kube, cfg.Informers)
	}
	return &Controller{
		kube: cfg.Kube, serin: cfg.Serin, recorder: cfg.Recorder,
		providers: cfg.Providers, clock: cfg.Clock, inf: cfg.Informers,
		runs:        serinlisters.NewAnalysisRunLister(cfg.Informers.Runs.GetIndexer()),
		runsIndexer: cfg.Informers.Runs.GetIndexer(),
	}
}

// Name is the kind this controller reconciles: its queue's name and the log field of a
// run's name.
func (c *Controller) Name() string { return "analysisrun" }

// Register adds the event handlers, which enqueue through q: a run's changes enqueue it,
// a Job's changes enqueue the run that controls it.
func (c *Controller) Register(q controller.Queue) ([]cache.InformerSynced, error) {
	c.queue = q
	if _, err := c.inf.Runs.AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    c.enqueue,
		UpdateFunc: func(_, cur any) { c.enqueue(cur) },
	}); err != nil {
		return nil, fmt.Errorf("analysisrun handler: %w", err)
	}
	if _, err := c.inf.Jobs.AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    c.enqueueJobOwner,
		UpdateFunc: func(_, cur any) { c.enqueueJobOwner(cur) },
		DeleteFunc: c.enqueueJobOwner,
	}); err != nil {
		return nil, fmt.Errorf("job handler: %w", err)
	}
	return []cache.InformerSynced{c.inf.HasSynced}, nil
}

// Sync reconciles one AnalysisRun (see sync.go); the runner calls it.
func (c *Controller) Sync(ctx context.Context, key cache.ObjectName) error {
	return c.sync(ctx, key)
}

func (c *Controller) enqueue(obj any) { controller.Enqueue(c.queue, "analysisrun", obj) }

func (c *Controller) enqueueJobOwner(obj any) {
	if t, ok := obj.(cache.DeletedFinalStateUnknown); ok {
		obj = t.Obj
	}
	j, ok := obj.(*batchv1.Job)
	if !ok {
		return
	}
	if ref := metav1.GetControllerOfNoCopy(j); ref != nil && ref.Kind == "AnalysisRun" {
		c.queue.Add(cache.ObjectName{Namespace: j.Namespace, Name: ref.Name})
	}
}

// eventFor is the Event of a run that completed.
func eventFor(phase v1alpha1.AnalysisPhase) (string, string) {
	switch phase {
	case v1alpha1.AnalysisPhaseSuccessful:
		return corev1.EventTypeNormal, v1alpha1.ReasonAnalysisRunSuccessful
	case v1alpha1.AnalysisPhaseFailed:
		return corev1.EventTypeWarning, v1alpha1.ReasonAnalysisRunFailed
	case v1alpha1.AnalysisPhaseInconclusive:
		return corev1.EventTypeWarning, v1alpha1.ReasonAnalysisRunInconclusive
	}
	return corev1.EventTypeWarning, v1alpha1.ReasonAnalysisRunError
}
