package controller

import (
	"context"
	"errors"
	"io"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/sirupsen/logrus"
	logtest "github.com/sirupsen/logrus/hooks/test"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/util/workqueue"
	clocktesting "k8s.io/utils/clock/testing"

	"github.com/serin-dev/serin/pkg/logging"
)

var web = cache.ObjectName{Namespace: "shop", Name: "web"}

// step is what the fake's sync of a key does, one per sync in order; after the last,
// syncs succeed.
type step struct {
	err error
	// requeueAfter asks for a later sync through the queue, as the controllers do.
	requeueAfter time.Duration
}

// call is what the fake saw of one sync.
type call struct {
	key cache.ObjectName
	// at is the fake clock's time at the sync.
	at time.Time
	// logKey is the value of the "thing" field of the sync's logger.
	logKey any
	// cancelled is ctx.Err() != nil at the end of the sync.
	cancelled bool
}

// fakeSyncer reconciles "thing" keys by following its steps.
type fakeSyncer struct {
	clock  *clocktesting.FakeClock
	synced func() bool
	// block, when set, holds every sync until it is closed; started tells that one began.
	block, started chan struct{}

	mu    sync.Mutex
	steps []step
	calls chan call
	q     Queue
}

func (f *fakeSyncer) Name() string { return "thing" }

func (f *fakeSyncer) Register(q Queue) ([]cache.InformerSynced, error) {
	f.q = q
	if f.synced == nil {
		return nil, nil
	}
	return []cache.InformerSynced{f.synced}, nil
}

func (f *fakeSyncer) Sync(ctx context.Context, key cache.ObjectName) error {
	if f.started != nil {
		f.started <- struct{}{}
	}
	if f.block != nil {
		<-f.block
	}
	f.mu.Lock()
	s := step{}
	if len(f.steps) > 0 {
		s, f.steps = f.steps[0], f.steps[1:]
	}
	f.mu.Unlock()
	if s.requeueAfter > 0 {
		f.q.AddAfter(key, s.requeueAfter)
	}
	f.calls <- call{key: key, at: f.clock.Now(), logKey: logging.From(ctx).Data["thing"], cancelled: ctx.Err() != nil}
	return s.err
}

type observation struct {
	d      time.Duration
	failed bool
}

type harness struct {
	syncer *fakeSyncer
	runner *Runner
	logs   *logtest.Hook
	clock  *clocktesting.FakeClock

	mu       sync.Mutex
	observed []observation
}

func newHarness(t *testing.T, s *fakeSyncer) *harness {
	t.Helper()
	log := logrus.New()
	log.SetOutput(io.Discard)
	log.SetLevel(logrus.DebugLevel)
	h := &harness{syncer: s, logs: logtest.NewLocal(log), clock: s.clock}
	s.calls = make(chan call, 10)
	r, err := NewRunner(s, Options{
		Workers: 2, SyncTimeout: time.Minute, Log: log, Clock: s.clock,
		// Retries at once: the test is about what is retried, not the backoff.
		RateLimiter: workqueue.NewTypedItemExponentialFailureRateLimiter[cache.ObjectName](0, 0),
		Observe: func(d time.Duration, failed bool) {
			h.mu.Lock()
			defer h.mu.Unlock()
			h.observed = append(h.observed, observation{d, failed})
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	h.runner = r
	return h
}

// start runs the runner until the returned stop is called; stop returns Run's error.
func (h *harness) start() (stop func() error) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- h.runner.Run(ctx) }()
	return func() error {
		cancel()
		return <-done
	}
}

// next waits for the next sync; while it waits it moves the fake clock on by step (0:
// not at all), so that a delayed requeue comes due.
func (h *harness) next(t *testing.T, step time.Duration) call {
	t.Helper()
	timeout := time.After(10 * time.Second)
	tick := time.NewTicker(time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case c := <-h.syncer.calls:
			return c
		case <-tick.C:
			if step > 0 {
				h.clock.Step(step)
			}
		case <-timeout:
			t.Fatal("no sync within 10s")
		}
	}
}

type entry struct {
	level logrus.Level
	msg   string
}

func TestRunnerSyncOutcomes(t *testing.T) {
	conflict := apierrors.NewConflict(schema.GroupResource{Resource: "things"}, "web", errors.New("changed"))
	tests := map[string]struct {
		steps []step
		// clockStep moves the fake clock while waiting for a sync.
		clockStep time.Duration
		// syncs is how many syncs the key gets.
		syncs int
		// minGap is the least fake time between the first and the last sync.
		minGap time.Duration
		// failed is what Observe was told for each sync.
		failed []bool
		logs   []entry
	}{
		"success: one sync, no retry, nothing logged": {
			syncs: 1, failed: []bool{false},
		},
		"conflict: retried, logged at debug, not a failure": {
			steps: []step{{err: conflict}}, syncs: 2, failed: []bool{false, false},
			logs: []entry{{logrus.DebugLevel, "conflict; retrying"}},
		},
		"error: logged once at error level, counted, retried": {
			steps: []step{{err: errors.New("boom")}}, syncs: 2, failed: []bool{true, false},
			logs: []entry{{logrus.ErrorLevel, "sync failed; retrying"}},
		},
		"wrapped conflict is still a conflict": {
			steps: []step{{err: errors.Join(errors.New("write status"), conflict)}}, syncs: 2, failed: []bool{false, false},
			logs: []entry{{logrus.DebugLevel, "conflict; retrying"}},
		},
		"requeue after: synced again once the time has come": {
			steps: []step{{requeueAfter: time.Hour}}, clockStep: 10 * time.Minute,
			syncs: 2, minGap: time.Hour, failed: []bool{false, false},
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			s := &fakeSyncer{clock: clocktesting.NewFakeClock(time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)), steps: tc.steps}
			h := newHarness(t, s)
			stop := h.start()
			h.runner.Queue().Add(web)
			var calls []call
			for range tc.syncs {
				calls = append(calls, h.next(t, tc.clockStep))
			}
			if err := stop(); err != nil {
				t.Fatal(err)
			}
			if extra := len(s.calls); extra > 0 {
				t.Errorf("%d syncs more than the %d expected", extra, tc.syncs)
			}
			for i, c := range calls {
				if c.key != web || c.logKey != "web" || c.cancelled {
					t.Errorf("sync %d: key %v, logger's key %v, cancelled %v", i, c.key, c.logKey, c.cancelled)
				}
			}
			if gap := calls[len(calls)-1].at.Sub(calls[0].at); gap < tc.minGap {
				t.Errorf("last sync %v after the first, want at least %v", gap, tc.minGap)
			}
			var failed []bool
			for _, o := range h.observed {
				failed = append(failed, o.failed)
			}
			if !slices.Equal(failed, tc.failed) {
				t.Errorf("observed failures %v, want %v", failed, tc.failed)
			}
			var logs []entry
			for _, e := range h.logs.AllEntries() {
				if e.Data["thing"] == nil {
					continue // the runner's own start and stop lines
				}
				logs = append(logs, entry{e.Level, e.Message})
				if e.Data["namespace"] != "shop" || e.Data[logrus.ErrorKey] == nil {
					t.Errorf("log %q has fields %v", e.Message, e.Data)
				}
			}
			if !slices.Equal(logs, tc.logs) {
				t.Errorf("logs %v, want %v", logs, tc.logs)
			}
			if n := h.runner.Queue().NumRequeues(web); n != 0 {
				t.Errorf("the key's %d failures are not forgotten after its success", n)
			}
		})
	}
}

// A shutdown waits for the running sync, which keeps a live context to finish its writes.
func TestRunnerShutdownFinishesTheRunningSync(t *testing.T) {
	s := &fakeSyncer{
		clock: clocktesting.NewFakeClock(time.Now()),
		block: make(chan struct{}), started: make(chan struct{}, 1),
	}
	h := newHarness(t, s)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- h.runner.Run(ctx) }()
	h.runner.Queue().Add(web)
	<-s.started
	cancel()
	waitFor(t, h.runner.Queue().ShuttingDown)
	select {
	case err := <-done:
		t.Fatalf("Run returned (%v) while a sync was running", err)
	default:
	}
	close(s.block)
	c := h.next(t, 0)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if c.cancelled {
		t.Error("the sync's context was cancelled by the shutdown")
	}
	if len(h.observed) != 1 {
		t.Errorf("%d syncs observed, want 1", len(h.observed))
	}
}

// Without synced caches there is no sync: Run waits, and gives up when ctx ends.
func TestRunnerWaitsForTheCaches(t *testing.T) {
	s := &fakeSyncer{clock: clocktesting.NewFakeClock(time.Now()), synced: func() bool { return false }}
	h := newHarness(t, s)
	h.runner.Queue().Add(web)
	stop := h.start()
	if err := stop(); err == nil {
		t.Error("Run returned no error although the caches never synced")
	}
	if n := len(s.calls); n != 0 {
		t.Errorf("%d syncs before the caches synced", n)
	}
}

func TestNewRunnerNeedsASyncTimeout(t *testing.T) {
	if _, err := NewRunner(&fakeSyncer{}, Options{}); err == nil {
		t.Error("a runner without a sync timeout was built")
	}
}

// waitFor polls cond until it holds, for at most 10s.
func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	timeout := time.After(10 * time.Second)
	tick := time.NewTicker(time.Millisecond)
	defer tick.Stop()
	for !cond() {
		select {
		case <-tick.C:
		case <-timeout:
			t.Fatal("condition not met within 10s")
		}
	}
}
