// Package rollout is the Rollout controller: it watches Rollouts and what they own or
// name, and for each change runs one sync — gather the cluster state from the caches,
// let pkg/plan decide, apply the plan's actions in order, write the status if it
// changed. Everything it decides comes from the cluster, so a restarted controller
// continues where the last one stopped.
package rollout

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/sirupsen/logrus"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/kubernetes"
	appslisters "k8s.io/client-go/listers/apps/v1"
	corelisters "k8s.io/client-go/listers/core/v1"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/tools/record"
	"k8s.io/client-go/util/workqueue"
	"k8s.io/utils/clock"

	"github.com/serin-dev/serin/pkg/apis/rollouts/v1alpha1"
	"github.com/serin-dev/serin/pkg/client/clientset/versioned"
	serinlisters "github.com/serin-dev/serin/pkg/client/listers/rollouts/v1alpha1"
	"github.com/serin-dev/serin/pkg/metrics"
	"github.com/serin-dev/serin/pkg/trafficrouting"
)

// RouterFor chooses the traffic router of a Rollout: nil without trafficRouting.
// trafficrouting.For in production; a fake in tests.
type RouterFor func(ro *v1alpha1.Rollout, deps trafficrouting.Deps) (trafficrouting.Router, error)

// Config is what the controller is built from.
type Config struct {
	Kube      kubernetes.Interface
	Serin     versioned.Interface
	Informers *Informers
	Recorder  record.EventRecorder
	Metrics   *metrics.Metrics
	Log       *logrus.Logger
	RouterFor RouterFor
	// Clock is the time plans are made at; the real clock when nil.
	Clock clock.Clock
}

// Controller reconciles Rollouts. Build it with New, then Run it.
type Controller struct {
	kube      kubernetes.Interface
	serin     versioned.Interface
	recorder  record.EventRecorder
	metrics   *metrics.Metrics
	log       *logrus.Logger
	routerFor RouterFor
	clock     clock.Clock

	rollouts     serinlisters.RolloutLister
	rolloutIndex cache.Indexer
	replicaSets  appslisters.ReplicaSetLister
	rsIndex      cache.Indexer
	pods         corelisters.PodLister
	podIndex     cache.Indexer
	services     corelisters.ServiceLister
	routerDeps   trafficrouting.Deps
	runs         serinlisters.AnalysisRunLister
	runIndex     cache.Indexer
	templates    serinlisters.AnalysisTemplateLister
	// clusterTemplates is nil for a controller limited to one namespace.
	clusterTemplates serinlisters.ClusterAnalysisTemplateLister
	synced           func() bool

	queue  workqueue.TypedRateLimitingInterface[cache.ObjectName]
	expect *expectations
	// lastWrite is when each Rollout's status was last written (see coalesce).
	lastWriteMu sync.Mutex
	lastWrite   map[cache.ObjectName]time.Time
}

// New builds the controller and registers its event handlers on the informers; start
// the informers after New so that no event is missed.
func New(cfg Config) (*Controller, error) {
	inf := cfg.Informers
	if cfg.Clock == nil {
		cfg.Clock = clock.RealClock{}
	}
	if cfg.RouterFor == nil {
		return nil, errors.New("rollout controller: Config.RouterFor is required")
	}
	c := &Controller{
		kube:         cfg.Kube,
		serin:        cfg.Serin,
		recorder:     cfg.Recorder,
		metrics:      cfg.Metrics,
		log:          cfg.Log,
		routerFor:    cfg.RouterFor,
		clock:        cfg.Clock,
		rollouts:     serinlisters.NewRolloutLister(inf.Rollouts.GetIndexer()),
		rolloutIndex: inf.Rollouts.GetIndexer(),
		replicaSets:  appslisters.NewReplicaSetLister(inf.ReplicaSets.GetIndexer()),
		rsIndex:      inf.ReplicaSets.GetIndexer(),
		pods:         corelisters.NewPodLister(inf.Pods.GetIndexer()),
		podIndex:     inf.Pods.GetIndexer(),
		services:     corelisters.NewServiceLister(inf.Services.GetIndexer()),
		routerDeps:   inf.RouterDeps(cfg.Kube),
		runs:         serinlisters.NewAnalysisRunLister(inf.AnalysisRuns.GetIndexer()),
		runIndex:     inf.AnalysisRuns.GetIndexer(),
		templates:    serinlisters.NewAnalysisTemplateLister(inf.AnalysisTemplates.GetIndexer()),
		synced:       inf.HasSynced,
		queue: workqueue.NewTypedRateLimitingQueueWithConfig(
			workqueue.DefaultTypedControllerRateLimiter[cache.ObjectName](),
			workqueue.TypedRateLimitingQueueConfig[cache.ObjectName]{Name: "rollouts"}),
		expect:    newExpectations(),
		lastWrite: map[cache.ObjectName]time.Time{},
	}
	if inf.ClusterAnalysisTemplates != nil {
		c.clusterTemplates = serinlisters.NewClusterAnalysisTemplateLister(inf.ClusterAnalysisTemplates.GetIndexer())
	}
	if err := c.registerHandlers(inf); err != nil {
		return nil, err
	}
	return c, nil
}

// Run waits for the caches, then runs workers until ctx ends. It returns once every
// worker has finished the sync it was running.
func (c *Controller) Run(ctx context.Context, workers int) error {
	defer utilruntime.HandleCrash()
	c.log.Info("waiting for the caches to sync")
	if !cache.WaitForCacheSync(ctx.Done(), c.synced) {
		return errors.New("caches did not sync before shutdown")
	}
	c.log.WithField("workers", workers).Info("caches synced; starting workers")

	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			wait.UntilWithContext(ctx, c.runWorker, time.Second)
		}()
	}
	<-ctx.Done()
	c.log.Info("stopping workers")
	c.queue.ShutDown()
	wg.Wait()
	c.log.Info("workers stopped")
	return nil
}

func (c *Controller) runWorker(ctx context.Context) {
	for c.processNextItem(ctx) {
	}
}

// processNextItem runs one sync. A sync that is cut short by shutdown still finishes:
// it runs with its own timeout, not with the worker's context.
func (c *Controller) processNextItem(ctx context.Context) bool {
	key, shutdown := c.queue.Get()
	if shutdown {
		return false
	}
	defer c.queue.Done(key)

	syncCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), syncTimeout)
	defer cancel()
	start := c.clock.Now()
	err := c.sync(syncCtx, key)
	c.metrics.ObserveReconcile(c.clock.Since(start), err != nil && !apierrors.IsConflict(err))
	switch {
	case err == nil:
		c.queue.Forget(key)
	case apierrors.IsConflict(err):
		// The cache was behind: expected now and then, retried at once from fresh caches.
		c.log.WithFields(keyFields(key)).WithError(err).Debug("conflict; retrying")
		c.queue.AddRateLimited(key)
	default:
		c.log.WithFields(keyFields(key)).WithError(err).Error("sync failed; retrying")
		c.queue.AddRateLimited(key)
	}
	return true
}

func keyFields(key cache.ObjectName) logrus.Fields {
	return logrus.Fields{"rollout": key.Name, "namespace": key.Namespace}
}

// enqueue adds the key of a Rollout (or of its tombstone).
func (c *Controller) enqueue(obj any) {
	key, err := cache.DeletionHandlingObjectToName(obj)
	if err != nil {
		utilruntime.HandleError(fmt.Errorf("rollout key: %w", err))
		return
	}
	c.queue.Add(key)
}
