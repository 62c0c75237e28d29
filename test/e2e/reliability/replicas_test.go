//go:build e2e

package reliability

import (
	"fmt"
	"os"
	"strings"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/serin-dev/serin/test/e2e/framework"
)

// Lease timings of the replicas: short, so that a failover takes seconds.
const (
	leaseDuration = 6 * time.Second
	renewDeadline = 4 * time.Second
	retryPeriod   = 1 * time.Second
	leaseName     = "serin-controller"
)

// replicas are the controller replicas of one test, electing a leader with a Lease in
// the test's namespace and reconciling only that namespace. Each process gets a new
// identity (r1, r2, ...), its user agent serin-controller/<identity>, so the audit log
// tells every process' writes apart.
type replicas struct {
	e       *framework.Env
	seq     int
	running map[string]*framework.Controller
}

func startReplicas(e *framework.Env, n int) *replicas {
	e.T.Helper()
	r := &replicas{e: e, running: map[string]*framework.Controller{}}
	for range n {
		r.start()
	}
	e.T.Cleanup(func() {
		for _, c := range r.running {
			c.Stop()
		}
	})
	return r
}

// start starts one more replica and returns its identity.
func (r *replicas) start() string {
	r.e.T.Helper()
	r.seq++
	name := fmt.Sprintf("r%d", r.seq)
	ns := r.e.Namespace
	c, err := r.e.F.StartReplica(ns+"-"+name,
		"--identity="+name, "--namespaced", "--namespace="+ns,
		"--leader-elect=true", "--leader-election-namespace="+ns,
		"--leader-election-lease-duration="+leaseDuration.String(),
		"--leader-election-renew-deadline="+renewDeadline.String(),
		"--leader-election-retry-period="+retryPeriod.String())
	if err != nil {
		r.e.T.Fatal(err)
	}
	r.running[name] = c
	return name
}

// holder is the Lease's holder as the API server has it ("" when none).
func (r *replicas) holder() string {
	r.e.T.Helper()
	l, err := r.e.F.Kube.CoordinationV1().Leases(r.e.Namespace).Get(r.e.T.Context(), leaseName, metav1.GetOptions{})
	if err != nil {
		return ""
	}
	if l.Spec.HolderIdentity == nil {
		return ""
	}
	return *l.Spec.HolderIdentity
}

// leader waits until a running replica holds the Lease and returns it.
func (r *replicas) leader() (string, *framework.Controller) {
	r.e.T.Helper()
	name, _ := r.waitHolder("a running replica holds the Lease", func(h string) bool { return r.running[h] != nil })
	return name, r.running[name]
}

// waitHolder polls the Lease (every 50ms, up to a minute) until its holder satisfies
// cond, and returns the holder and when the test saw it.
func (r *replicas) waitHolder(what string, cond func(string) bool) (string, time.Time) {
	r.e.T.Helper()
	deadline := time.Now().Add(time.Minute)
	for {
		h := r.holder()
		if cond(h) {
			return h, time.Now()
		}
		if time.Now().After(deadline) {
			r.e.T.Fatalf("waited a minute until %s; holder %q", what, h)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// exitReason is why a stopped replica says it exited, from the end of its log.
func exitReason(c *framework.Controller) string {
	data, err := os.ReadFile(c.LogPath)
	if err != nil {
		return err.Error()
	}
	log := string(data)
	switch {
	case strings.Contains(log, "write fence closed"):
		return "fence refused a write"
	case strings.Contains(log, "lost the leader-election Lease"):
		return "lost the Lease"
	case strings.Contains(log, "level=info msg=stopped"):
		return "stopped"
	}
	return "unknown (see " + c.LogPath + ")"
}
