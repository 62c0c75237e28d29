package podsim

import (
	"fmt"
	"slices"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/utils/clock"
)

// DefaultMetricsPort is the port of every served pod's IP where /metrics answers, unless
// Options.MetricsPort says otherwise. It need not be declared in the pod's spec.
const DefaultMetricsPort = 9464

// Options configure a Reconciler.
type Options struct {
	// MetricsPort is where each pod's /metrics is served on the pod's IP: DefaultMetricsPort
	// when 0, none when negative. When a container declares this port, /metrics is served
	// there beside the app.
	MetricsPort int32
	// Linger keeps a deleted pod served for this long after it is gone (0: closed at
	// once). kwok removes a deleted pod at once, while a real pod goes on answering during
	// its grace period, until routers have dropped its endpoint: a test of "no failed
	// request" across a scale-down wants the real behaviour. Only deletion lingers; a pod
	// that stops Running, changes IP or gets a new UID is closed at once. A new pod given
	// the address of a lingering one ends that linger and is served at once: kwok reuses a
	// deleted pod's address right away (a real cluster only once the pod is gone), and the
	// address's answers must then come from the pod the EndpointSlices name.
	Linger time.Duration
	// Clock schedules the end of lingering (default: the real clock).
	Clock clock.WithDelayedExecution
	// Logf receives one line per change (pod served, replaced, closed); nil discards them.
	Logf func(format string, args ...any)
}

// Reconciler owns the listeners of the served pods. It is told the latest state of a pod
// (or that it is gone) and makes the listeners match: it serves Running pods with an IP on
// each TCP container port, and closes the listeners of pods that are gone, no longer
// Running, or whose IP or ports changed. It is safe for concurrent use.
type Reconciler struct {
	metricsPort int32
	linger      time.Duration
	clock       clock.WithDelayedExecution
	logf        func(format string, args ...any)

	mu   sync.Mutex
	pods map[string]*podServer // by namespace/name
}

// NewReconciler returns a Reconciler serving nothing yet.
func NewReconciler(opts Options) *Reconciler {
	r := &Reconciler{metricsPort: opts.MetricsPort, linger: opts.Linger, clock: opts.Clock, logf: opts.Logf,
		pods: map[string]*podServer{}}
	if r.clock == nil {
		r.clock = clock.RealClock{}
	}
	if r.metricsPort == 0 {
		r.metricsPort = DefaultMetricsPort
	}
	if r.logf == nil {
		r.logf = func(string, ...any) {}
	}
	return r
}

// Sync makes the listeners of the pod key (namespace/name) match pod, nil meaning the pod
// is gone. When it returns, a pod that must not be served refuses connections, and a pod
// that must be is served. An error (an invalid SERIN_SIM_* value, an address that cannot
// be bound) leaves the pod unserved; calling Sync again retries.
func (r *Reconciler) Sync(key string, pod *corev1.Pod) error {
	spec, serve, err := SpecFor(pod)
	r.mu.Lock()
	defer r.mu.Unlock()
	cur := r.pods[key]
	if cur != nil && serve && err == nil && cur.spec.Equal(spec) {
		return nil
	}
	if cur != nil && pod == nil && r.linger > 0 {
		if cur.lingering == nil {
			cur.lingering = r.clock.AfterFunc(r.linger, func() { r.expire(key, cur) })
			r.logf("podsim: %s: deleted; serving %s for %s more", key, cur.spec.IP, r.linger)
		}
		return nil
	}
	if cur != nil {
		cur.close(false)
		delete(r.pods, key)
		r.logf("podsim: %s: closed %s %v", key, cur.spec.IP, portNumbers(cur.spec))
	}
	if err != nil {
		return err
	}
	if !serve {
		return nil
	}
	r.endLingerAt(key, spec.IP)
	ps, err := startPod(spec, r.metricsPort)
	if err != nil {
		return fmt.Errorf("pod %s: %w", key, err)
	}
	r.pods[key] = ps
	r.logf("podsim: %s: serving %s %v (revision %q)", key, spec.IP, portNumbers(spec), spec.Ports[0].Identity.Revision)
	return nil
}

// endLingerAt closes the lingering pod, other than key, that holds ip, if any: a new pod
// was given its address.
func (r *Reconciler) endLingerAt(key, ip string) {
	for k, ps := range r.pods {
		if k != key && ps.lingering != nil && ps.spec.IP == ip {
			ps.close(false)
			delete(r.pods, k)
			r.logf("podsim: %s: closed %s %v (linger ended: address given to %s)", k, ip, portNumbers(ps.spec), key)
		}
	}
}

// expire closes a deleted pod at the end of its linger, unless it was replaced since.
func (r *Reconciler) expire(key string, ps *podServer) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.pods[key] == ps {
		delete(r.pods, key)
		ps.lingering = nil // fired: nothing to stop (and a fake clock is locked while it fires)
		ps.close(false)
		r.logf("podsim: %s: closed %s %v (linger over)", key, ps.spec.IP, portNumbers(ps.spec))
	}
}

// Served returns the Spec of every pod being served, by namespace/name.
func (r *Reconciler) Served() map[string]Spec {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make(map[string]Spec, len(r.pods))
	for k, ps := range r.pods {
		out[k] = ps.spec
	}
	return out
}

// Close closes every listener and waits for requests in flight to finish.
func (r *Reconciler) Close() {
	r.mu.Lock()
	defer r.mu.Unlock()
	for k, ps := range r.pods {
		ps.close(true)
		delete(r.pods, k)
	}
}

func portNumbers(s Spec) []int32 {
	var ns []int32
	for _, p := range s.Ports {
		ns = append(ns, p.Number)
	}
	return slices.Compact(ns)
}
