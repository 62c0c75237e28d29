// Package rollout is the Rollout controller: it watches Rollouts and what they own or
// name, and for each change runs one sync — gather the cluster state from the caches,
// let pkg/plan decide, apply the plan's actions in order, write the status if it
// changed. Everything it decides comes from the cluster, so a restarted controller
// continues where the last one stopped. The worker loop is pkg/controller's Runner.
package rollout

import (
	"context"
	"errors"
	"sync"
	"time"

	"k8s.io/client-go/kubernetes"
	appslisters "k8s.io/client-go/listers/apps/v1"
	corelisters "k8s.io/client-go/listers/core/v1"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/tools/record"
	"k8s.io/utils/clock"

	"github.com/serin-dev/serin/pkg/apis/rollouts/v1alpha1"
	"github.com/serin-dev/serin/pkg/client/clientset/versioned"
	serinlisters "github.com/serin-dev/serin/pkg/client/listers/rollouts/v1alpha1"
	"github.com/serin-dev/serin/pkg/controller"
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
	RouterFor RouterFor
	// Clock is the time plans are made at; the real clock when nil.
	Clock clock.Clock
	// FailFast is the default of a Rollout without spec.failFast (--fail-fast); nil
	// for none.
	FailFast *v1alpha1.FailFast
}

// SyncTimeout bounds one sync's API calls, including one still running at shutdown.
const SyncTimeout = 30 * time.Second

// Controller reconciles Rollouts. Build it with New, hand it to a controller.Runner
// (which registers its event handlers), start the informers, then run the runner.
type Controller struct {
	kube      kubernetes.Interface
	serin     versioned.Interface
	recorder  record.EventRecorder
	metrics   *metrics.Metrics
	routerFor RouterFor
	clock     clock.Clock
	failFast  *v1alpha1.FailFast

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
	inf              *Informers

	// queue is the runner's, given to Register.
	queue  controller.Queue
	expect *expectations
	// lastWrite is when each Rollout's status was last written (see coalesce).
	lastWriteMu sync.Mutex
	lastWrite   map[cache.ObjectName]time.Time
	// pauses are the exact times this controller saw pauses begin (see pauseClock).
	pauses *pauseClock
}

// New builds the controller on the informers' caches.
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
		routerFor:    cfg.RouterFor,
		clock:        cfg.Clock,
		failFast:     cfg.FailFast,
		rollouts:     serinlisters.NewRolloutLister(inf.Rollouts.GetIndexer()),
		rolloutIndex: inf.Rollouts.GetIndexer(),
		replicaSets:  appslisters.NewReplicaSetLister(inf.ReplicaSets.GetIndexer()),
		rsIndex:      inf.ReplicaSets.GetIndexer(),
		pods:         corelisters.NewPodLister(inf.Pods.GetIndexer()),
		podIndex:     inf.Pods.GetIndexer(),
		services:     corelisters.NewServiceLister(inf.Services.GetIndexer()),
		routerDeps:   inf.RouterDeps(),
		runs:         serinlisters.NewAnalysisRunLister(inf.AnalysisRuns.GetIndexer()),
		runIndex:     inf.AnalysisRuns.GetIndexer(),
		templates:    serinlisters.NewAnalysisTemplateLister(inf.AnalysisTemplates.GetIndexer()),
		inf:          inf,
		expect:       newExpectations(),
		lastWrite:    map[cache.ObjectName]time.Time{},
		pauses:       newPauseClock(),
	}
	if inf.ClusterAnalysisTemplates != nil {
		c.clusterTemplates = serinlisters.NewClusterAnalysisTemplateLister(inf.ClusterAnalysisTemplates.GetIndexer())
	}
	return c, nil
}

// Name is the kind this controller reconciles: its queue's name and the log field of a
// Rollout's name.
func (c *Controller) Name() string { return "rollout" }

// Register adds the event handlers, which enqueue through q, and returns the caches the
// runner waits for.
func (c *Controller) Register(q controller.Queue) ([]cache.InformerSynced, error) {
	c.queue = q
	if err := c.registerHandlers(c.inf); err != nil {
		return nil, err
	}
	return []cache.InformerSynced{c.inf.HasSynced}, nil
}

// Sync reconciles one Rollout (see sync.go); the runner calls it.
func (c *Controller) Sync(ctx context.Context, key cache.ObjectName) error {
	return c.sync(ctx, key)
}

// enqueue adds the key of a Rollout (or of its tombstone).
func (c *Controller) enqueue(obj any) { controller.Enqueue(c.queue, "rollout", obj) }
