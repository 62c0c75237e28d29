package main

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	kubeinformers "k8s.io/client-go/informers"
	"k8s.io/client-go/tools/cache"

	"github.com/serin-dev/serin/pkg/actions"
	"github.com/serin-dev/serin/pkg/apis/rollouts/v1alpha1"
	serininformers "github.com/serin-dev/serin/pkg/client/informers/externalversions"
	serinlisters "github.com/serin-dev/serin/pkg/client/listers/rollouts/v1alpha1"
	"github.com/serin-dev/serin/pkg/rolloutview"
	appslisters "k8s.io/client-go/listers/apps/v1"
	corelisters "k8s.io/client-go/listers/core/v1"
)

// nsWatch keeps caches of a namespace's (or every namespace's, ns "") Rollouts and, when
// asked, their ReplicaSets, pods and AnalysisRuns, fed by watches. Changed receives a
// value after any event (coalesced: one pending value at most), so a reader redraws on
// events and never on a timer.
type nsWatch struct {
	ns       string
	Changed  chan struct{}
	rollouts serinlisters.RolloutLister
	runs     serinlisters.AnalysisRunLister
	rss      appslisters.ReplicaSetLister
	pods     corelisters.PodLister
}

func startWatch(ctx context.Context, c actions.Clients, ns string, owned bool) (*nsWatch, error) {
	w := &nsWatch{ns: ns, Changed: make(chan struct{}, 1)}
	handler := cache.ResourceEventHandlerFuncs{
		AddFunc:    func(any) { w.notify() },
		UpdateFunc: func(any, any) { w.notify() },
		DeleteFunc: func(any) { w.notify() },
	}
	sf := serininformers.NewSharedInformerFactoryWithOptions(c.Serin, 0, serininformers.WithNamespace(ns))
	ri := sf.Serin().V1alpha1().Rollouts()
	w.rollouts = ri.Lister()
	if _, err := ri.Informer().AddEventHandler(handler); err != nil {
		return nil, err
	}
	var kf kubeinformers.SharedInformerFactory
	if owned {
		ai := sf.Serin().V1alpha1().AnalysisRuns()
		w.runs = ai.Lister()
		kf = kubeinformers.NewSharedInformerFactoryWithOptions(c.Kube, 0, kubeinformers.WithNamespace(ns),
			kubeinformers.WithTweakListOptions(func(o *metav1.ListOptions) { o.LabelSelector = v1alpha1.DefaultRolloutUniqueLabelKey }))
		rsi, pi := kf.Apps().V1().ReplicaSets(), kf.Core().V1().Pods()
		w.rss, w.pods = rsi.Lister(), pi.Lister()
		for _, inf := range []cache.SharedIndexInformer{ai.Informer(), rsi.Informer(), pi.Informer()} {
			if _, err := inf.AddEventHandler(handler); err != nil {
				return nil, err
			}
		}
		kf.Start(ctx.Done())
	}
	sf.Start(ctx.Done())
	for typ, ok := range sf.WaitForCacheSync(ctx.Done()) {
		if !ok {
			return nil, fmt.Errorf("watch %v in namespace %q: the cache did not sync (%w)", typ, ns, ctx.Err())
		}
	}
	if kf != nil {
		for typ, ok := range kf.WaitForCacheSync(ctx.Done()) {
			if !ok {
				return nil, fmt.Errorf("watch %v in namespace %q: the cache did not sync (%w)", typ, ns, ctx.Err())
			}
		}
	}
	w.notify() // draw once at the start
	return w, nil
}

func (w *nsWatch) notify() {
	select {
	case w.Changed <- struct{}{}:
	default:
	}
}

// Snapshot is the Rollout name and what it owns, from the caches.
func (w *nsWatch) Snapshot(name string) (*rolloutview.Snapshot, error) {
	ro, err := w.rollouts.Rollouts(w.ns).Get(name)
	if err != nil {
		if apierrors.IsNotFound(err) {
			return nil, fmt.Errorf("rollout %q not found in namespace %q", name, w.ns)
		}
		return nil, err
	}
	s := &rolloutview.Snapshot{Rollout: ro, Now: time.Now()}
	if w.rss != nil {
		rss, _ := w.rss.ReplicaSets(w.ns).List(labels.Everything())
		pods, _ := w.pods.Pods(w.ns).List(labels.Everything())
		runs, _ := w.runs.AnalysisRuns(w.ns).List(labels.Everything())
		s.ReplicaSets, s.Pods, s.AnalysisRuns = rss, pods, runs
	}
	return s.Owned(), nil
}

// screen redraws a frame in place on a terminal: cursor home, each line followed by
// "erase to end of line", then "erase below" — no clear of the whole screen, so no
// flicker. Off a terminal each frame is printed after the last, separated by a blank line.
type screen struct {
	out     io.Writer
	tty     bool
	last    string
	started bool
}

func (s *screen) draw(frame string) error {
	if frame == s.last {
		return nil
	}
	s.last = frame
	var b strings.Builder
	switch {
	case !s.tty && s.started:
		b.WriteString("\n")
	case s.tty && !s.started:
		b.WriteString("\x1b[H\x1b[2J") // once, before the first frame
	case s.tty:
		b.WriteString("\x1b[H")
	}
	s.started = true
	for _, line := range strings.SplitAfter(frame, "\n") {
		if s.tty && strings.HasSuffix(line, "\n") {
			line = strings.TrimSuffix(line, "\n") + "\x1b[K\n"
		}
		b.WriteString(line)
	}
	if s.tty {
		b.WriteString("\x1b[J")
	}
	_, err := io.WriteString(s.out, b.String())
	return err
}
