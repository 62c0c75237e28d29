package controller

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/sirupsen/logrus"
	"k8s.io/client-go/tools/leaderelection/resourcelock"
	"k8s.io/utils/clock"
)

// ErrFenced is what every write refused by a Fence matches (errors.Is).
var ErrFenced = errors.New("write fenced: the leader-election Lease may be lost")

// FencedError is a write the Fence refused: the last successful acquisition or renewal of
// the Lease is older than the bound, or the Lease was released, or the fence refused a
// write before.
type FencedError struct {
	Method, URL string
	// Since is the time since the last successful acquisition or renewal (0 if none).
	Since, Bound time.Duration
}

func (e *FencedError) Error() string {
	return fmt.Sprintf("%s %s refused: last Lease renewal %s ago, bound %s: %v", e.Method, e.URL, e.Since, e.Bound, ErrFenced)
}

func (e *FencedError) Is(target error) bool { return target == ErrFenced }

// FenceOptions are a Fence's settings.
type FenceOptions struct {
	// Bound is how long after the start of the last successful acquisition or renewal of
	// the Lease writes pass: the renew deadline, below the lease duration, so that the
	// fence closes before another replica may take the Lease over.
	Bound time.Duration
	// Clock measures the time since the last renewal; the real clock when nil. Go's
	// real clock reads the monotonic clock, which runs on while the process is stopped:
	// a replica thawed after a freeze sees at once how long it slept.
	Clock clock.PassiveClock
	// Log gets one line, at the first refusal; the standard logger when nil.
	Log logrus.FieldLogger
	// OnRefuse is called for every refused write (a metric); nil does nothing.
	OnRefuse func()
}

// Fence lets the controllers write only while the Lease is surely held. The leader
// elector feeds it through FenceLock; every request of the controllers' clients asks it
// through WrapTransport before it is sent. The first refusal closes Refused: the process
// then stops its workers and exits, as on a lost Lease. A fence that refused once
// refuses every later write, whatever renewals follow. Without leader election there is
// no fence: the clients are not wrapped.
type Fence struct {
	opts FenceOptions

	mu      sync.Mutex
	renewed time.Time // start of the last successful acquisition or renewal; zero: none
	refused bool
	done    chan struct{}
}

// NewFence returns a closed fence: writes pass once the Lease is acquired.
func NewFence(opts FenceOptions) *Fence {
	if opts.Clock == nil {
		opts.Clock = clock.RealClock{}
	}
	if opts.Log == nil {
		opts.Log = logrus.StandardLogger()
	}
	return &Fence{opts: opts, done: make(chan struct{})}
}

// Refused is closed at the first refused write.
func (f *Fence) Refused() <-chan struct{} { return f.done }

// Check returns nil while a write may be sent, and a *FencedError otherwise.
func (f *Fence) Check(method, url string) error {
	now := f.opts.Clock.Now()
	f.mu.Lock()
	defer f.mu.Unlock()
	var since time.Duration
	if !f.renewed.IsZero() {
		since = now.Sub(f.renewed)
	}
	if !f.refused && !f.renewed.IsZero() && since < f.opts.Bound {
		return nil
	}
	err := &FencedError{Method: method, URL: url, Since: since, Bound: f.opts.Bound}
	if f.opts.OnRefuse != nil {
		f.opts.OnRefuse()
	}
	if !f.refused {
		f.refused = true
		close(f.done)
		f.opts.Log.WithError(err).Error("write fence closed: this replica may have lost the Lease; stopping")
	}
	return err
}

// renew records a successful acquisition or renewal whose request started at start.
func (f *Fence) renew(start time.Time) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if start.After(f.renewed) {
		f.renewed = start
	}
}

// release closes the fence: the Lease was given up.
func (f *Fence) release() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.renewed = time.Time{}
}

// WrapTransport makes rt ask the fence before sending any request but a read (GET,
// HEAD, OPTIONS: gets, lists and watches). Give it to rest.Config.Wrap of every client
// the controllers write with, and not to the client of the Lease itself.
func (f *Fence) WrapTransport(rt http.RoundTripper) http.RoundTripper {
	return &fencedTransport{fence: f, next: rt}
}

type fencedTransport struct {
	fence *Fence
	next  http.RoundTripper
}

func (t *fencedTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	switch req.Method {
	case http.MethodGet, http.MethodHead, http.MethodOptions:
	default:
		if err := t.fence.Check(req.Method, req.URL.Path); err != nil {
			if req.Body != nil {
				_ = req.Body.Close() // a RoundTripper closes the body, even on error
			}
			return nil, err
		}
	}
	return t.next.RoundTrip(req)
}

// FenceLock wraps the leader elector's lock so that every successful Create or Update
// of the Lease by this replica renews f, timed from the start of the request (the
// record's renewTime is taken before it too, so the other replicas count the lease
// duration from a later point than the fence does). An Update that gives the Lease to
// no one (the release at shutdown) closes f, and is sent only if the Lease, read just
// before, still names this replica: client-go's elector also releases after a renewal
// failed, judging from the record it last saw, so a replica thawed after a freeze would
// otherwise clear the Lease of the replica that took over (the frozen-leader e2e saw it:
// a third replica then acquired it while the new leader still wrote).
func FenceLock(lock resourcelock.Interface, f *Fence) resourcelock.Interface {
	return &fenceLock{Interface: lock, fence: f}
}

type fenceLock struct {
	resourcelock.Interface
	fence *Fence
}

func (l *fenceLock) Create(ctx context.Context, ler resourcelock.LeaderElectionRecord) error {
	return l.write(ler, func() error { return l.Interface.Create(ctx, ler) })
}

func (l *fenceLock) Update(ctx context.Context, ler resourcelock.LeaderElectionRecord) error {
	if ler.HolderIdentity != l.Identity() {
		return l.release(ctx, ler)
	}
	return l.write(ler, func() error { return l.Interface.Update(ctx, ler) })
}

// release gives the Lease up if it is still ours. The read refreshes the lock's
// resourceVersion, so the Update conflicts should another replica take the Lease in
// between; the elector then calls release again.
func (l *fenceLock) release(ctx context.Context, ler resourcelock.LeaderElectionRecord) error {
	l.fence.release() // before the request: the Lease is being given up
	cur, _, err := l.Interface.Get(ctx)
	if err != nil {
		return err
	}
	if cur.HolderIdentity != l.Identity() {
		return nil // not ours (any more): nothing to give up
	}
	return l.Interface.Update(ctx, ler)
}

func (l *fenceLock) write(ler resourcelock.LeaderElectionRecord, do func() error) error {
	start := l.fence.opts.Clock.Now()
	if err := do(); err != nil {
		return err
	}
	l.fence.renew(start)
	return nil
}
