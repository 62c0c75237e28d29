// Package controller is the worker loop every Serin controller shares (the Runner), and
// the controllers themselves in sub-packages: rollout (Rollouts) and analysisrun
// (AnalysisRuns). The write fence (Fence) keeps a replica that may have lost the Lease
// from writing.
//
// A controller only registers its event handlers, which enqueue keys, and syncs one key
// at a time (Syncer). The Runner owns the rest: the rate-limited workqueue, waiting for
// the caches, the workers, each sync's timeout and logger, the reconcile metrics, the
// retries and their one log line, and a shutdown that lets the running syncs finish.
package controller

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
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/util/workqueue"
	"k8s.io/utils/clock"

	"github.com/serin-dev/serin/pkg/logging"
)

// Queue is the runner's workqueue of object keys. Controllers Add a key when something
// it depends on changed, and AddAfter it for a sync due at a later time.
type Queue = workqueue.TypedRateLimitingInterface[cache.ObjectName]

// Syncer is what a controller gives the Runner.
type Syncer interface {
	// Name is the kind the controller reconciles, lower case ("rollout"): the name of its
	// queue and the log field that carries a key's name.
	Name() string
	// Register adds the controller's event handlers to its informers; they enqueue
	// through q (and so may Sync, with q.AddAfter). It returns the caches to wait for.
	Register(q Queue) ([]cache.InformerSynced, error)
	// Sync reconciles one key. ctx ends at the sync timeout, never at shutdown, and
	// carries the reconcile's logger (logging.From). A Conflict error is retried as
	// expected; any other error is logged once and retried with backoff.
	Sync(ctx context.Context, key cache.ObjectName) error
}

// Options are the Runner's settings.
type Options struct {
	// Workers is how many keys are synced at once (at least 1).
	Workers int
	// SyncTimeout bounds one sync, including one still running at shutdown.
	SyncTimeout time.Duration
	// Log is the logger of the runner and, keyed by object, of each sync.
	Log *logrus.Logger
	// Observe records each sync's duration and whether it failed (a Conflict is not a
	// failure); nil records nothing.
	Observe func(d time.Duration, failed bool)
	// Clock times the syncs and the queue's delays; the real clock when nil.
	Clock clock.WithTicker
	// RateLimiter spaces the retries of a failing key; client-go's default controller
	// rate limiter when nil.
	RateLimiter workqueue.TypedRateLimiter[cache.ObjectName]
}

// Runner runs one controller's workers. Build it with NewRunner before starting the
// informers (so that no event is missed), then Run it.
type Runner struct {
	syncer Syncer
	opts   Options
	queue  Queue
	synced []cache.InformerSynced
}

// NewRunner makes the queue of s and lets s register its event handlers on it.
func NewRunner(s Syncer, opts Options) (*Runner, error) {
	if opts.SyncTimeout <= 0 {
		return nil, fmt.Errorf("%s runner: Options.SyncTimeout must be positive", s.Name())
	}
	if opts.Workers < 1 {
		opts.Workers = 1
	}
	if opts.Log == nil {
		opts.Log = logrus.StandardLogger()
	}
	if opts.Clock == nil {
		opts.Clock = clock.RealClock{}
	}
	if opts.RateLimiter == nil {
		opts.RateLimiter = workqueue.DefaultTypedControllerRateLimiter[cache.ObjectName]()
	}
	r := &Runner{
		syncer: s,
		opts:   opts,
		queue: workqueue.NewTypedRateLimitingQueueWithConfig(opts.RateLimiter,
			workqueue.TypedRateLimitingQueueConfig[cache.ObjectName]{Name: s.Name(), Clock: opts.Clock}),
	}
	synced, err := s.Register(r.queue)
	if err != nil {
		return nil, fmt.Errorf("%s controller: %w", s.Name(), err)
	}
	r.synced = synced
	return r, nil
}

// Enqueue adds the key of obj (or of its tombstone) to q; what to call an object whose key
// cannot be made is said in kind.
func Enqueue(q Queue, kind string, obj any) {
	key, err := cache.DeletionHandlingObjectToName(obj)
	if err != nil {
		utilruntime.HandleError(fmt.Errorf("%s key: %w", kind, err))
		return
	}
	q.Add(key)
}

// Queue is the runner's queue (what Register was given).
func (r *Runner) Queue() Queue { return r.queue }

// Run waits for the caches, then runs the workers until ctx ends. It returns once every
// worker has finished the sync it was running.
func (r *Runner) Run(ctx context.Context) error {
	defer utilruntime.HandleCrash()
	log := r.opts.Log.WithField("controller", r.syncer.Name())
	log.Info("waiting for the caches to sync")
	if !cache.WaitForCacheSync(ctx.Done(), r.synced...) {
		r.queue.ShutDown()
		return fmt.Errorf("%s controller: caches did not sync before shutdown", r.syncer.Name())
	}
	log.WithField("workers", r.opts.Workers).Info("caches synced; starting workers")

	var wg sync.WaitGroup
	for range r.opts.Workers {
		wg.Go(func() {
			wait.UntilWithContext(ctx, func(ctx context.Context) {
				for r.processNextItem(ctx) {
				}
			}, time.Second)
		})
	}
	<-ctx.Done()
	log.Info("stopping workers")
	r.queue.ShutDown()
	wg.Wait()
	log.Info("workers stopped")
	return nil
}

// processNextItem runs one sync; false once the queue is shut down. A sync cut short by
// shutdown still finishes: it runs with its own timeout, not with the worker's context.
func (r *Runner) processNextItem(ctx context.Context) bool {
	key, shutdown := r.queue.Get()
	if shutdown {
		return false
	}
	defer r.queue.Done(key)

	log := r.opts.Log.WithFields(logrus.Fields{r.syncer.Name(): key.Name, "namespace": key.Namespace})
	syncCtx, cancel := context.WithTimeout(logging.Into(context.WithoutCancel(ctx), log), r.opts.SyncTimeout)
	defer cancel()
	start := r.opts.Clock.Now()
	err := r.syncer.Sync(syncCtx, key)
	conflict := apierrors.IsConflict(err)
	if r.opts.Observe != nil {
		r.opts.Observe(r.opts.Clock.Since(start), err != nil && !conflict)
	}
	switch {
	case err == nil:
		r.queue.Forget(key)
	case conflict:
		// The cache was behind: expected now and then, retried from fresh caches.
		log.WithError(err).Debug("conflict; retrying")
		r.queue.AddRateLimited(key)
	case errors.Is(err, ErrFenced):
		// The fence logged it once and is stopping the workers.
		log.WithError(err).Debug("write fenced")
		r.queue.AddRateLimited(key)
	default:
		log.WithError(err).Error("sync failed; retrying")
		r.queue.AddRateLimited(key)
	}
	return true
}

// RunAll runs every runner until ctx ends and returns once all have stopped, with their
// errors joined.
func RunAll(ctx context.Context, runners ...*Runner) error {
	errs := make([]error, len(runners))
	var wg sync.WaitGroup
	for i, r := range runners {
		wg.Go(func() { errs[i] = r.Run(ctx) })
	}
	wg.Wait()
	return errors.Join(errs...)
}
