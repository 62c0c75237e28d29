package analysis

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/sirupsen/logrus"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/kubernetes"
	batchlisters "k8s.io/client-go/listers/batch/v1"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/tools/record"
	"k8s.io/client-go/util/workqueue"
	"k8s.io/utils/clock"

	"github.com/serin-dev/serin/pkg/analysis/job"
	"github.com/serin-dev/serin/pkg/analysis/prometheus"
	"github.com/serin-dev/serin/pkg/analysis/provider"
	"github.com/serin-dev/serin/pkg/analysis/web"
	"github.com/serin-dev/serin/pkg/apis/rollouts/v1alpha1"
	"github.com/serin-dev/serin/pkg/client/clientset/versioned"
	serinlisters "github.com/serin-dev/serin/pkg/client/listers/rollouts/v1alpha1"
)

// Event reasons recorded on an AnalysisRun when it completes (defined with every other
// reason in pkg/apis/rollouts/v1alpha1/reasons.go).
const (
	ReasonRunSuccessful   = v1alpha1.ReasonAnalysisRunSuccessful
	ReasonRunFailed       = v1alpha1.ReasonAnalysisRunFailed
	ReasonRunError        = v1alpha1.ReasonAnalysisRunError
	ReasonRunInconclusive = v1alpha1.ReasonAnalysisRunInconclusive
)

// syncTimeout bounds one sync: its provider calls and its status write.
const syncTimeout = 2 * time.Minute

// Config is what the controller is built from.
type Config struct {
	Kube      kubernetes.Interface
	Serin     versioned.Interface
	Informers *Informers
	Recorder  record.EventRecorder
	Log       *logrus.Logger
	// Providers measure; DefaultProviders when nil.
	Providers provider.Registry
	// Clock is the time of measurements; the real clock when nil.
	Clock clock.Clock
}

// DefaultProviders is the registry of every built-in provider: prometheus, web and job
// (the job provider reads Jobs from inf).
func DefaultProviders(kube kubernetes.Interface, inf *Informers) provider.Registry {
	return provider.Registry{
		provider.Prometheus: prometheus.New(),
		provider.Web:        web.New(),
		provider.Job:        job.New(kube, batchlisters.NewJobLister(inf.Jobs.GetIndexer())),
	}
}

// Controller runs AnalysisRuns. Build it with New, start the informers, then Run it.
type Controller struct {
	kube      kubernetes.Interface
	serin     versioned.Interface
	recorder  record.EventRecorder
	log       *logrus.Logger
	providers provider.Registry
	clock     clock.Clock
	runs      serinlisters.AnalysisRunLister
	// runsIndexer is the cache behind runs (tests put runs in it).
	runsIndexer cache.Indexer
	synced      func() bool
	queue       workqueue.TypedRateLimitingInterface[cache.ObjectName]
}

// New builds the controller and registers its event handlers: a run's changes enqueue
// it, a Job's changes enqueue the run that controls it.
func New(cfg Config) (*Controller, error) {
	if cfg.Clock == nil {
		cfg.Clock = clock.RealClock{}
	}
	if cfg.Providers == nil {
		cfg.Providers = DefaultProviders(cfg.Kube, cfg.Informers)
	}
	c := &Controller{
		kube: cfg.Kube, serin: cfg.Serin, recorder: cfg.Recorder, log: cfg.Log,
		providers: cfg.Providers, clock: cfg.Clock,
		runs:        serinlisters.NewAnalysisRunLister(cfg.Informers.Runs.GetIndexer()),
		runsIndexer: cfg.Informers.Runs.GetIndexer(),
		synced:      cfg.Informers.HasSynced,
		queue: workqueue.NewTypedRateLimitingQueueWithConfig(
			workqueue.DefaultTypedControllerRateLimiter[cache.ObjectName](),
			workqueue.TypedRateLimitingQueueConfig[cache.ObjectName]{Name: "analysisruns"}),
	}
	if _, err := cfg.Informers.Runs.AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    c.enqueue,
		UpdateFunc: func(_, cur any) { c.enqueue(cur) },
	}); err != nil {
		return nil, fmt.Errorf("analysisrun handler: %w", err)
	}
	if _, err := cfg.Informers.Jobs.AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    c.enqueueJobOwner,
		UpdateFunc: func(_, cur any) { c.enqueueJobOwner(cur) },
		DeleteFunc: c.enqueueJobOwner,
	}); err != nil {
		return nil, fmt.Errorf("job handler: %w", err)
	}
	return c, nil
}

func (c *Controller) enqueue(obj any) {
	key, err := cache.DeletionHandlingObjectToName(obj)
	if err != nil {
		utilruntime.HandleError(fmt.Errorf("analysisrun key: %w", err))
		return
	}
	c.queue.Add(key)
}

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

// Run waits for the caches, then runs workers until ctx ends, and returns once every
// worker finished its sync.
func (c *Controller) Run(ctx context.Context, workers int) error {
	defer utilruntime.HandleCrash()
	if !cache.WaitForCacheSync(ctx.Done(), c.synced) {
		return errors.New("analysis caches did not sync before shutdown")
	}
	c.log.WithField("workers", workers).Info("analysisrun controller: starting workers")
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			wait.UntilWithContext(ctx, func(ctx context.Context) {
				for c.processNextItem(ctx) {
				}
			}, time.Second)
		}()
	}
	<-ctx.Done()
	c.queue.ShutDown()
	wg.Wait()
	c.log.Info("analysisrun controller: workers stopped")
	return nil
}

func (c *Controller) processNextItem(ctx context.Context) bool {
	key, shutdown := c.queue.Get()
	if shutdown {
		return false
	}
	defer c.queue.Done(key)
	syncCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), syncTimeout)
	defer cancel()
	err := c.sync(syncCtx, key)
	fields := logrus.Fields{"analysisrun": key.Name, "namespace": key.Namespace}
	switch {
	case err == nil:
		c.queue.Forget(key)
	case apierrors.IsConflict(err):
		c.log.WithFields(fields).WithError(err).Debug("conflict; retrying")
		c.queue.AddRateLimited(key)
	default:
		c.log.WithFields(fields).WithError(err).Error("analysisrun sync failed; retrying")
		c.queue.AddRateLimited(key)
	}
	return true
}

// eventFor is the Event of a run that completed.
func eventFor(phase v1alpha1.AnalysisPhase) (string, string) {
	switch phase {
	case v1alpha1.AnalysisPhaseSuccessful:
		return corev1.EventTypeNormal, ReasonRunSuccessful
	case v1alpha1.AnalysisPhaseFailed:
		return corev1.EventTypeWarning, ReasonRunFailed
	case v1alpha1.AnalysisPhaseInconclusive:
		return corev1.EventTypeWarning, ReasonRunInconclusive
	}
	return corev1.EventTypeWarning, ReasonRunError
}
