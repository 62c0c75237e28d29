package controller

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sirupsen/logrus"
	logtest "github.com/sirupsen/logrus/hooks/test"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/leaderelection/resourcelock"
	clocktesting "k8s.io/utils/clock/testing"
)

const bound = 4 * time.Second

// fakeLock is a Lease lock whose writes take took on clock and then fail with err.
type fakeLock struct {
	resourcelock.Interface // nil: only Create, Update and Identity are called
	clock                  *clocktesting.FakeClock
	took                   time.Duration
	err                    error
	holder                 string                              // of the Lease on the server; "me" when empty
	updates                []resourcelock.LeaderElectionRecord // sent
}

func (l *fakeLock) Get(context.Context) (*resourcelock.LeaderElectionRecord, []byte, error) {
	if l.holder == "" {
		return &resourcelock.LeaderElectionRecord{HolderIdentity: "me"}, nil, nil
	}
	return &resourcelock.LeaderElectionRecord{HolderIdentity: l.holder}, nil, nil
}

func (l *fakeLock) Identity() string { return "me" }

func (l *fakeLock) Create(context.Context, resourcelock.LeaderElectionRecord) error {
	l.clock.Step(l.took)
	return l.err
}

func (l *fakeLock) Update(_ context.Context, ler resourcelock.LeaderElectionRecord) error {
	l.clock.Step(l.took)
	l.updates = append(l.updates, ler)
	return l.err
}

func newTestFence(clk *clocktesting.FakeClock) (*Fence, *atomic.Int32, *logtest.Hook) {
	var refused atomic.Int32
	log, hook := logtest.NewNullLogger()
	f := NewFence(FenceOptions{Bound: bound, Clock: clk, Log: log, OnRefuse: func() { refused.Add(1) }})
	return f, &refused, hook
}

var held = resourcelock.LeaderElectionRecord{HolderIdentity: "me"}

// The fence lets writes pass only within the bound of the start of the last successful
// acquisition or renewal, and never again once it refused one.
func TestFenceCheck(t *testing.T) {
	tests := map[string]struct {
		steps func(t *testing.T, ctx context.Context, l resourcelock.Interface, lock *fakeLock)
		pass  bool
	}{
		"never acquired": {
			steps: func(*testing.T, context.Context, resourcelock.Interface, *fakeLock) {},
		},
		"acquired, within the bound": {
			steps: func(t *testing.T, ctx context.Context, l resourcelock.Interface, lock *fakeLock) {
				must(t, l.Create(ctx, held))
				lock.clock.Step(bound - time.Millisecond)
			},
			pass: true,
		},
		"renewed, at the bound": {
			steps: func(t *testing.T, ctx context.Context, l resourcelock.Interface, lock *fakeLock) {
				must(t, l.Update(ctx, held))
				lock.clock.Step(bound)
			},
		},
		"renewed, past the bound (a thawed replica)": {
			steps: func(t *testing.T, ctx context.Context, l resourcelock.Interface, lock *fakeLock) {
				must(t, l.Update(ctx, held))
				lock.clock.Step(10 * time.Second)
			},
		},
		"a slow renewal counts from its start": {
			steps: func(t *testing.T, ctx context.Context, l resourcelock.Interface, lock *fakeLock) {
				lock.took = 3 * time.Second
				must(t, l.Update(ctx, held))
				lock.clock.Step(bound - 3*time.Second)
			},
		},
		"a failed renewal does not renew": {
			steps: func(t *testing.T, ctx context.Context, l resourcelock.Interface, lock *fakeLock) {
				must(t, l.Update(ctx, held))
				lock.clock.Step(3 * time.Second)
				lock.err = errors.New("conflict")
				_ = l.Update(ctx, held)
				lock.clock.Step(time.Second)
			},
		},
		"renewed again, within the bound": {
			steps: func(t *testing.T, ctx context.Context, l resourcelock.Interface, lock *fakeLock) {
				must(t, l.Update(ctx, held))
				lock.clock.Step(3 * time.Second)
				must(t, l.Update(ctx, held))
				lock.clock.Step(3 * time.Second)
			},
			pass: true,
		},
		"released": {
			steps: func(t *testing.T, ctx context.Context, l resourcelock.Interface, lock *fakeLock) {
				must(t, l.Update(ctx, held))
				must(t, l.Update(ctx, resourcelock.LeaderElectionRecord{}))
				if len(lock.updates) != 2 {
					t.Errorf("sent %d updates, want the renewal and the release", len(lock.updates))
				}
			},
		},
		"a release once another replica holds the Lease sends nothing": {
			steps: func(t *testing.T, ctx context.Context, l resourcelock.Interface, lock *fakeLock) {
				must(t, l.Update(ctx, held))
				lock.holder = "other"
				must(t, l.Update(ctx, resourcelock.LeaderElectionRecord{}))
				if len(lock.updates) != 1 {
					t.Errorf("sent %v, want only the renewal: the release would clear the other replica's Lease", lock.updates)
				}
			},
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			clk := clocktesting.NewFakeClock(time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC))
			f, refused, _ := newTestFence(clk)
			lock := &fakeLock{clock: clk}
			tc.steps(t, context.Background(), FenceLock(lock, f), lock)
			err := f.Check(http.MethodPatch, "/x")
			if tc.pass {
				if err != nil || refused.Load() != 0 {
					t.Fatalf("Check = %v (refused %d), want it to pass", err, refused.Load())
				}
				return
			}
			var fenced *FencedError
			if !errors.Is(err, ErrFenced) || !errors.As(err, &fenced) || refused.Load() != 1 {
				t.Fatalf("Check = %v (refused %d), want a FencedError", err, refused.Load())
			}
			select {
			case <-f.Refused():
			default:
				t.Fatal("Refused() is not closed")
			}
			// Once refused, always refused: the process is on its way out.
			lock.err = nil
			must(t, FenceLock(lock, f).Update(context.Background(), held))
			if err := f.Check(http.MethodPost, "/x"); !errors.Is(err, ErrFenced) {
				t.Errorf("Check after a renewal = %v, want still fenced", err)
			}
		})
	}
}

// Every write of a client built on the wrapped transport asks the fence before it is
// sent; reads always pass. The refusal reaches the caller as ErrFenced, is counted for
// each write and logged once.
func TestFenceTransport(t *testing.T) {
	var reached atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		reached.Add(1)
		_, _ = io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"apiVersion":"v1","kind":"Service","metadata":{"name":"web","namespace":"shop"}}`)
	}))
	defer srv.Close()
	clk := clocktesting.NewFakeClock(time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC))
	f, refused, hook := newTestFence(clk)
	cfg := &rest.Config{Host: srv.URL}
	cfg.Wrap(f.WrapTransport)
	kube, err := kubernetes.NewForConfig(cfg)
	must(t, err)
	services := kube.CoreV1().Services("shop")
	ctx := context.Background()
	patch := func() error {
		_, err := services.Patch(ctx, "web", types.MergePatchType, []byte(`{}`), metav1.PatchOptions{})
		return err
	}

	must(t, FenceLock(&fakeLock{clock: clk}, f).Create(ctx, held))
	must(t, patch())
	clk.Step(bound + time.Second)
	if _, err := services.Get(ctx, "web", metav1.GetOptions{}); err != nil {
		t.Fatalf("a read past the bound: %v, want it to pass", err)
	}
	if reached.Load() != 2 {
		t.Fatalf("server reached %d times, want 2 (a patch, a get)", reached.Load())
	}
	for range 2 {
		if err := patch(); !errors.Is(err, ErrFenced) {
			t.Fatalf("patch past the bound = %v, want ErrFenced", err)
		}
	}
	if err := services.Delete(ctx, "web", metav1.DeleteOptions{}); !errors.Is(err, ErrFenced) {
		t.Fatalf("delete past the bound = %v, want ErrFenced", err)
	}
	if reached.Load() != 2 || refused.Load() != 3 {
		t.Errorf("server reached %d times, refused %d; want 2 and 3", reached.Load(), refused.Load())
	}
	if n := len(hook.AllEntries()); n != 1 || hook.LastEntry().Level != logrus.ErrorLevel {
		t.Errorf("logged %d lines, want one error", n)
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
