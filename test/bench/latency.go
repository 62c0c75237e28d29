package bench

import (
	"context"
	"fmt"
	"strconv"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
)

const (
	// settle is how long a transition is given after its last awaited event for writes
	// that follow it (a folded status write comes up to 2 s after the last one).
	settle = 3 * time.Second
	wait   = 60 * time.Second
)

// watched are the kinds the latency group records, by kind name.
var watched = map[string]schema.GroupVersionResource{
	"Rollout": rolloutsGVR, "ReplicaSet": replicaSetsGVR, "Pod": podsGVR, "Service": servicesGVR,
	"Ingress": ingressesGVR, "Event": eventsGVR, "ConfigMap": configMapsGVR,
}

// latency is the latency group's state: its recorders and samples.
type latency struct {
	b   *runner
	e   *Env
	rec map[string]*Recorder
	wc  *writeCounter
	at  map[string]int // how far wc has read each recorder

	write, watchDelay                   []time.Duration
	patchToW, readyToW, availToW        []time.Duration
	abortToW0, abortToSel, abortPatchW0 []time.Duration
	step1, abort                        []map[string]int
}

func runLatency(ctx context.Context, b *runner) []*Scenario {
	s0 := &Scenario{ID: "S0", Title: "floor"}
	s1 := &Scenario{ID: "S1", Title: "image change → canary weight 20"}
	s2 := &Scenario{ID: "S2", Title: "abort"}
	s4 := &Scenario{ID: "S4", Title: "API writes per transition"}
	scs := []*Scenario{s0, s1, s2, s4}
	l := &latency{b: b, rec: map[string]*Recorder{}, wc: newWriteCounter(), at: map[string]int{}}
	b.withEnv(ctx, "latency", envOptions{Nodes: 5}, scs, func(e *Env) error {
		l.e = e
		return l.run(ctx)
	})
	l.report(s0, s1, s2, s4)
	return scs
}

func (l *latency) run(ctx context.Context) error {
	e, b := l.e, l.b
	if err := e.namespace(ctx, e.NS); err != nil {
		return err
	}
	for kind, gvr := range watched {
		r, err := Record(ctx, e.Dyn, gvr, e.NS)
		if err != nil {
			return err
		}
		l.rec[kind] = r
	}
	if err := e.startController(); err != nil {
		return err
	}
	a := app{Name: "web", Replicas: 4, Routed: true}
	if err := e.create(ctx, e.NS, a); err != nil {
		return err
	}
	if _, err := l.rec["Rollout"].WaitFor(ctx, 0, wait, "web Healthy", named("web", healthy)); err != nil {
		return err
	}
	b.logf("S0 floor: %d ConfigMap writes", l.b.o.FloorReps/2)
	if err := l.floor(ctx, l.b.o.FloorReps/2); err != nil {
		return err
	}
	for i := 1; i <= b.o.Reps; i++ {
		if err := l.rep(ctx, a, i); err != nil {
			return fmt.Errorf("repetition %d: %w", i, err)
		}
		b.logf("S1/S2 rep %d/%d: patch→weight %s, available→weight %s, abort→weight 0 %s, abort→selector %s; writes to step 1 %d, abort %d",
			i, b.o.Reps, last(l.patchToW), last(l.availToW), last(l.abortToW0), last(l.abortToSel),
			objectWrites(l.step1[len(l.step1)-1]), objectWrites(l.abort[len(l.abort)-1]))
	}
	b.logf("S0 floor: %d more ConfigMap writes", l.b.o.FloorReps-l.b.o.FloorReps/2)
	return l.floor(ctx, l.b.o.FloorReps-l.b.o.FloorReps/2)
}

func last(ds []time.Duration) string {
	if len(ds) == 0 {
		return "-"
	}
	return ds[len(ds)-1].Round(100 * time.Microsecond).String()
}

// floor times n writes of one ConfigMap: the round trip of the write, and from sending
// it to its watch event.
func (l *latency) floor(ctx context.Context, n int) error {
	cms := l.e.Dyn.Resource(configMapsGVR).Namespace(l.e.NS)
	cm := obj("v1", "ConfigMap", l.e.NS, "floor", map[string]any{"data": map[string]any{"i": "0"}})
	if _, err := cms.Create(ctx, cm, metav1.CreateOptions{}); err != nil && len(l.write) == 0 {
		return err
	}
	for i := 0; i < n; i++ {
		v := strconv.FormatInt(time.Now().UnixNano(), 10)
		mark := l.rec["ConfigMap"].Len()
		t0 := time.Now()
		if _, err := cms.Patch(ctx, "floor", types.MergePatchType, []byte(`{"data":{"i":"`+v+`"}}`), metav1.PatchOptions{}); err != nil {
			return err
		}
		t1 := time.Now()
		ev, err := l.rec["ConfigMap"].WaitFor(ctx, mark, wait, "the ConfigMap write's event", func(u *unstructured.Unstructured) bool {
			return str(u, "data", "i") == v
		})
		if err != nil {
			return err
		}
		l.write = append(l.write, t1.Sub(t0))
		l.watchDelay = append(l.watchDelay, ev.At.Sub(t0))
		time.Sleep(20 * time.Millisecond)
	}
	return nil
}

func (l *latency) marks() map[string]int {
	m := map[string]int{}
	for k, r := range l.rec {
		m[k] = r.Len()
	}
	return m
}

// countWrites classifies every event from the last call on up to now; only those from
// mark on are counted.
func (l *latency) countWrites(mark map[string]int) map[string]int {
	into := map[string]int{}
	for kind, r := range l.rec {
		if kind == "ConfigMap" {
			continue
		}
		evs := r.Since(l.at[kind])
		l.at[kind] += len(evs)
		before := mark[kind] - (l.at[kind] - len(evs))
		if before < 0 {
			before = 0
		}
		if before > len(evs) {
			before = len(evs)
		}
		l.wc.count(kind, evs[:before], nil)
		l.wc.count(kind, evs[before:], into)
	}
	return into
}

// rep is one repetition: a new image until step 1's weight (S1) and the pause, then an
// abort until weight 0 and the canary Service on stable (S2), then a rollback to the
// stable image so that the next repetition starts from Healthy again.
func (l *latency) rep(ctx context.Context, a app, i int) error {
	e := l.e
	ro, err := e.Dyn.Resource(rolloutsGVR).Namespace(l.e.NS).Get(ctx, a.Name, metav1.GetOptions{})
	if err != nil {
		return err
	}
	stable := str(ro, "status", "stableRS")
	l.countWrites(l.marks()) // catch up: nothing before this point counts

	// S1: the image.
	mark := l.marks()
	t0 := time.Now()
	if err := l.patch(ctx, a.Name, types.JSONPatchType, imagePatch(i), ""); err != nil {
		return err
	}
	newRS, err := l.rec["ReplicaSet"].WaitFor(ctx, mark["ReplicaSet"], wait, "the canary ReplicaSet", func(u *unstructured.Unstructured) bool {
		return u.GetLabels()[hashLabel] != "" && u.GetLabels()[hashLabel] != stable
	})
	if err != nil {
		return err
	}
	canary := newRS.Obj.GetLabels()[hashLabel]
	w, err := l.rec["Ingress"].WaitFor(ctx, mark["Ingress"], wait, "canary weight 20", named(a.canaryIngress(), weightIs(canaryWeight)))
	if err != nil {
		return err
	}
	ready, err := l.rec["Pod"].WaitFor(ctx, mark["Pod"], wait, "a canary pod Ready", podReady(canary))
	if err != nil {
		return err
	}
	avail, err := l.rec["ReplicaSet"].WaitFor(ctx, mark["ReplicaSet"], wait, "the canary ReplicaSet available", rsAvailable(canary))
	if err != nil {
		return err
	}
	if _, err := l.rec["Rollout"].WaitFor(ctx, mark["Rollout"], wait, "Paused at step 1", named(a.Name, func(u *unstructured.Unstructured) bool {
		return str(u, "status", "phase") == "Paused"
	})); err != nil {
		return err
	}
	time.Sleep(settle)
	l.patchToW = append(l.patchToW, w.At.Sub(t0))
	l.readyToW = append(l.readyToW, w.At.Sub(ready.At))
	l.availToW = append(l.availToW, w.At.Sub(avail.At))
	l.step1 = append(l.step1, l.countWrites(mark))

	// S2: abort.
	mark = l.marks()
	t1 := time.Now()
	if err := l.patch(ctx, a.Name, types.MergePatchType, `{"status":{"abort":true}}`, "status"); err != nil {
		return err
	}
	seen, err := l.rec["Rollout"].WaitFor(ctx, mark["Rollout"], wait, "the abort", named(a.Name, func(u *unstructured.Unstructured) bool {
		b, _, _ := unstructured.NestedBool(u.Object, "status", "abort")
		return b
	}))
	if err != nil {
		return err
	}
	w0, err := l.rec["Ingress"].WaitFor(ctx, mark["Ingress"], wait, "canary weight 0", named(a.canaryIngress(), weightIs("0")))
	if err != nil {
		return err
	}
	sel, err := l.rec["Service"].WaitFor(ctx, mark["Service"], wait, "the canary Service on stable", named(a.canaryService(), selects(stable)))
	if err != nil {
		return err
	}
	if _, err := l.rec["Rollout"].WaitFor(ctx, mark["Rollout"], wait, "Degraded (aborted)", named(a.Name, func(u *unstructured.Unstructured) bool {
		return str(u, "status", "phase") == "Degraded"
	})); err != nil {
		return err
	}
	time.Sleep(settle)
	l.abortToW0 = append(l.abortToW0, w0.At.Sub(seen.At))
	l.abortToSel = append(l.abortToSel, sel.At.Sub(seen.At))
	l.abortPatchW0 = append(l.abortPatchW0, w0.At.Sub(t1))
	l.abort = append(l.abort, l.countWrites(mark))

	// Back to the stable image: Healthy again, the canary scaled away.
	mark = l.marks()
	if err := l.patch(ctx, a.Name, types.JSONPatchType, imagePatch(0), ""); err != nil {
		return err
	}
	if _, err := l.rec["Rollout"].WaitFor(ctx, mark["Rollout"], wait, "Healthy after the rollback", named(a.Name, healthy)); err != nil {
		return err
	}
	time.Sleep(settle)
	return nil
}

// patch is a merge patch of the Rollout (or its status) by the benchmark; the version it
// makes is not the controller's write.
func (l *latency) patch(ctx context.Context, name string, pt types.PatchType, patch, sub string) error {
	var subs []string
	if sub != "" {
		subs = []string{sub}
	}
	u, err := l.e.Dyn.Resource(rolloutsGVR).Namespace(l.e.NS).Patch(ctx, name, pt, []byte(patch), metav1.PatchOptions{}, subs...)
	if err != nil {
		return err
	}
	l.wc.own[u.GetResourceVersion()] = true
	return nil
}
