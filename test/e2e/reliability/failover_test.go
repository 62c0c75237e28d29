//go:build e2e

package reliability

import (
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/serin-dev/serin/test/e2e/framework"
	"github.com/serin-dev/serin/test/monitor"
)

// A dozen times, at random points of canaries moving through their steps, the leader
// is frozen (SIGSTOP) past its Lease, the standby takes over, and the frozen replica is
// thawed, as after a long GC pause or a frozen VM. The thawed replica must write nothing
// (its fence, issue 21) and exit; no invariant may break.
func TestFrozenLeader(t *testing.T) {
	t.Parallel()
	runFailovers(t, "freeze", envInt("SERIN_RELIABILITY_FREEZES", 12))
}

// The leader is SIGKILLed mid-rollout: the standby acts once the Lease expires.
func TestKilledLeader(t *testing.T) {
	t.Parallel()
	runFailovers(t, "kill", envInt("SERIN_RELIABILITY_KILLS", 10))
}

// The leader gets SIGTERM (a rolling update of the Deployment): it releases the Lease
// and the standby takes over at its next attempt.
func TestTerminatedLeader(t *testing.T) {
	t.Parallel()
	runFailovers(t, "term", 3)
}

// failover is one fault of the leader and what followed.
type failover struct {
	fault     string // freeze, kill or term
	victim    string
	at        time.Time // the signal was sent
	successor string
	seen      time.Time // the test saw the successor hold the Lease
	thawed    time.Time // freeze: the victim was thawed
	exit      string    // why the victim exited
}

func runFailovers(t *testing.T, fault string, n int) {
	s := seed()
	t.Logf("seed %d (SERIN_RELIABILITY_SEED=%d reruns these choices); %d %ss", s, s, n, fault)
	rnd := rand.New(rand.NewPCG(s, 1))
	e := framework.NewEnv(t)
	mon, err := monitor.Start(t.Context(), e.F.Dynamic, e.Namespace, monitor.Default)
	if err != nil {
		t.Fatal(err)
	}
	reps := startReplicas(e, 2)
	fl := deployFleet(e, envInt("SERIN_RELIABILITY_ROLLOUTS", 4))
	stopDriving := fl.drive(rand.New(rand.NewPCG(s, 2)))

	var fos []failover
	for range n {
		time.Sleep(500*time.Millisecond + time.Duration(rnd.Int64N(int64(2*time.Second))))
		fos = append(fos, breakLeader(e, reps, fault, rnd))
	}
	if err := stopDriving(); err != nil {
		t.Errorf("changing images: %v", err)
	}
	fl.waitConverged()
	if err := mon.Stop(); err != nil {
		t.Error(err)
	}
	writes, err := monitor.ReadAudit(e.F.Cluster.AuditLog)
	if err != nil {
		t.Fatal(err)
	}
	writes = inNamespace(writes, e.Namespace)
	events := mon.Events()
	attributed := monitor.Attribute(events, writes)
	violations, err := monitor.Check(events)
	if err != nil {
		t.Fatal(err)
	}
	record := filepath.Join(e.F.Artifacts, e.Namespace+"-monitor.txt")
	if err := writeRecord(record, events); err != nil {
		t.Error(err)
	}
	for _, v := range violations {
		t.Errorf("invariant broken: %v (the record in resourceVersion order: %s)", v, record)
	}
	checkWriters(t, writes, fos)
	fl.mu.Lock()
	t.Logf("monitor: %d changes (%d attributed to their writer), %d violations %v; image changes %v",
		len(events), attributed, len(violations), monitor.Summary(violations), fl.ops)
	fl.mu.Unlock()
	report(t, fault, writes, fos)
}

// breakLeader applies the fault to the leader, waits for another replica to hold the
// Lease and for the victim to be gone, and starts a replacement.
func breakLeader(e *framework.Env, reps *replicas, fault string, rnd *rand.Rand) failover {
	t := e.T
	t.Helper()
	victim, c := reps.leader()
	fo := failover{fault: fault, victim: victim}
	other := func(h string) bool { return h != "" && h != victim && reps.running[h] != nil }
	switch fault {
	case "freeze":
		fo.at = time.Now()
		if err := c.Freeze(); err != nil {
			t.Fatal(err)
		}
		fo.successor, fo.seen = reps.waitHolder("another replica takes the Lease", other)
		time.Sleep(time.Duration(rnd.Int64N(int64(1500 * time.Millisecond)))) // frozen a while longer
		fo.thawed = time.Now()
		if err := c.Thaw(); err != nil {
			t.Fatal(err)
		}
		select {
		case <-c.Exited():
		case <-time.After(15 * time.Second):
			t.Errorf("replica %s still runs 15s after its thaw, without the Lease", victim)
			c.Kill()
		}
		fo.exit = exitReason(c)
	case "kill":
		fo.at = time.Now()
		c.Kill()
		fo.successor, fo.seen = reps.waitHolder("another replica takes the Lease", other)
		fo.exit = "killed"
	case "term":
		stopped := make(chan struct{})
		fo.at = time.Now()
		go func() { defer close(stopped); c.Stop() }()
		fo.successor, fo.seen = reps.waitHolder("another replica takes the Lease", other)
		<-stopped
		fo.exit = exitReason(c)
	default:
		t.Fatalf("no fault %q", fault)
	}
	delete(reps.running, victim)
	reps.start()
	return fo
}

// writeRecord writes the monitor's record in resourceVersion order to path.
func writeRecord(path string, events []monitor.Event) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := monitor.Default.WriteRecord(f, monitor.ByRV(events)); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

func inNamespace(writes []monitor.Write, ns string) []monitor.Write {
	var out []monitor.Write
	for _, w := range writes {
		if w.Namespace == ns {
			out = append(out, w)
		}
	}
	return out
}
