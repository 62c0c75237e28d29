//go:build e2e

package reliability

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/serin-dev/serin/test/monitor"
)

// inFlight is how long after a kill a write the victim had sent before may still reach
// the API server.
const inFlight = time.Second

const agentPrefix = "serin-controller/"

// controllerWrite is a write of the controller's own state: not the election itself
// (Leases) and not Events, which the fence leaves alone (they change nothing).
func controllerWrite(w monitor.Write) bool {
	return strings.HasPrefix(w.UserAgent, agentPrefix) && w.Resource != "leases" && w.Resource != "events"
}

// checkWriters fails the test if the API server applied a write a victim sent after its
// fault (frozen: after its thaw, as a stopped process sends nothing; killed: after its
// last requests could arrive; SIGTERM: after it released the Lease, the workers' last
// syncs finishing before), or if the applied writes of the controller's state ever
// interleave: once another replica has written, an earlier writer never writes again.
// A request the fence let through just before a freeze may reach the server only after
// the thaw; it must then be refused (its resourceVersion precondition conflicts):
// logged, not a failure.
func checkWriters(t *testing.T, writes []monitor.Write, fos []failover) {
	t.Helper()
	for _, fo := range fos {
		mine := monitor.WritesBy(writes, agentPrefix+fo.victim)
		from := fo.at.Add(inFlight)
		if fo.fault == "freeze" {
			from = fo.thawed
		}
		if fo.fault == "term" {
			from = time.Time{}
			for _, w := range mine {
				if w.Resource == "leases" && w.Succeeded() && w.Received.After(fo.at) {
					from = w.Received // the release
					t.Logf("replica %s released the Lease %s after SIGTERM", fo.victim, w.Received.Sub(fo.at).Round(time.Millisecond))
				}
			}
			if from.IsZero() {
				t.Errorf("replica %s did not release the Lease after SIGTERM", fo.victim)
				continue
			}
		}
		for _, w := range mine {
			if !w.Received.After(from) {
				continue
			}
			switch {
			case controllerWrite(w) && !w.Succeeded():
				t.Logf("replica %s's %s %s after the %s began was refused by the API server (sent before the fault?): %v",
					fo.victim, w.Verb, w.Received.Sub(fo.at).Round(time.Millisecond), fo.fault, w)
			case controllerWrite(w):
				t.Errorf("%s of replica %s, %s after the %s began: %v", w.Verb, fo.victim, w.Received.Sub(fo.at).Round(time.Millisecond), fo.fault, w)
			case w.Resource == "leases" && w.Succeeded():
				t.Errorf("replica %s wrote the Lease %s after the %s began: %v", fo.victim, w.Received.Sub(fo.at).Round(time.Millisecond), fo.fault, w)
			default:
				t.Logf("replica %s after the %s began (changes nothing): %v", fo.victim, fo.fault, w)
			}
		}
	}
	var ordered []monitor.Write
	for _, w := range writes {
		if controllerWrite(w) && w.Succeeded() {
			ordered = append(ordered, w)
		}
	}
	slices.SortStableFunc(ordered, func(a, b monitor.Write) int { return a.Received.Compare(b.Received) })
	done := map[string]bool{} // writers another replica has followed
	last := ""
	for _, w := range ordered {
		if w.UserAgent == last {
			continue
		}
		if done[w.UserAgent] {
			t.Errorf("%s wrote again after %s had written: %v", w.UserAgent, last, w)
		}
		if last != "" {
			done[last] = true
		}
		last = w.UserAgent
	}
}

// report logs each failover and the p50 and max of the times from the fault to the
// successor's Lease and to its first write, and checks the bounds of the fault.
func report(t *testing.T, fault string, writes []monitor.Write, fos []failover) {
	t.Helper()
	var taken, acted []time.Duration
	for i, fo := range fos {
		lease, write := time.Duration(-1), time.Duration(-1)
		for _, w := range monitor.WritesBy(writes, agentPrefix+fo.successor) {
			if !w.Received.After(fo.at) || !w.Succeeded() {
				continue
			}
			d := w.Received.Sub(fo.at)
			if w.Resource == "leases" && lease < 0 {
				lease = d
			}
			if controllerWrite(w) && write < 0 {
				write = d
			}
		}
		t.Logf("%s %2d: %s → %s: Lease after %s, first write after %s; %s exited: %s",
			fault, i+1, fo.victim, fo.successor, fmtD(lease), fmtD(write), fo.victim, fo.exit)
		if lease < 0 {
			t.Errorf("%s %d: no Lease write of %s in the audit log", fault, i+1, fo.successor)
			continue
		}
		taken = append(taken, lease)
		if write >= 0 {
			acted = append(acted, write)
		}
		if limit, ok := leaseBound[fault]; ok && lease > limit {
			t.Errorf("%s %d: %s took the Lease %s after the %s, more than %s", fault, i+1, fo.successor, fmtD(lease), fault, limit)
		}
	}
	t.Logf("FAILOVER %s ×%d: fault → new leader's Lease p50 %s max %s; fault → its first write p50 %s max %s (%d wrote)",
		fault, len(fos), fmtD(pct(taken, 50)), fmtD(pct(taken, 100)), fmtD(pct(acted, 50)), fmtD(pct(acted, 100)), len(acted))
}

// leaseBound is how soon after the fault another replica must hold the Lease. After a
// kill: the leader renewed at most a retry period before; client-go's standby tries
// every retry period jittered by up to 120% (so up to 2.2 of them apart), counts the
// lease duration from when it saw that renewal (up to 2.2 retry periods after it), and
// takes the Lease at its first attempt after that (up to 2.2 more): the lease duration
// plus 4.4 retry periods at worst, plus the API's own latency. After SIGTERM the Lease
// is released once the workers have drained, and taken at the standby's next attempt.
var leaseBound = map[string]time.Duration{
	"kill": leaseDuration + retryPeriod*44/10 + 500*time.Millisecond,
	"term": retryPeriod*22/10 + 2*time.Second,
}

func pct(ds []time.Duration, p int) time.Duration {
	if len(ds) == 0 {
		return -1
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	i := (len(s)*p + 99) / 100
	return s[max(i-1, 0)]
}

func fmtD(d time.Duration) string {
	if d < 0 {
		return "-"
	}
	return fmt.Sprintf("%.2fs", d.Seconds())
}
