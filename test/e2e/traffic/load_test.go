//go:build e2e

package traffic

import (
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"

	"github.com/serin-dev/serin/test/e2e/framework"
	"github.com/serin-dev/serin/test/traffic"
)

// steadyLoad is the stream a test keeps running across a rollout: 80 requests a second,
// at most 150 s.
func (r route) steadyLoad() *traffic.Stream {
	t := r.e.T
	t.Helper()
	c := r.config(80 * 150)
	c.Rate, c.Concurrency, c.Duration = 80, 8, 150*time.Second
	s, err := traffic.Start(t.Context(), c)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Stop() })
	return s
}

// waitQuiet waits, within 60 s, until the stream has answered for quiet with no answer
// from revision since, and returns the records so far.
func waitQuiet(t *testing.T, s *traffic.Stream, revision string, quiet time.Duration) traffic.Records {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		rs := s.Records()
		if last, ok := rs.LastServedBy(revision); len(rs) > 0 && (!ok || time.Since(last.Done()) > quiet) {
			return rs
		}
		if time.Now().After(deadline) {
			t.Fatalf("revision %s still answers requests 60s on: %s", revision, rs.Summary())
		}
		time.Sleep(250 * time.Millisecond)
	}
}

// No request fails across a whole rollout of a healthy app under a steady stream (80
// requests a second): setWeight 20, promote to 50, `kubectl serin abort`, retry, and
// `kubectl serin promote --full`, until the old pods are gone. The abort's drain time,
// from the abort command to the last request the canary answered, is measured; the test
// asserts only that the canary's answers stop.
func TestNoFailedRequestAcrossRollout(t *testing.T) {
	t.Parallel()
	e := framework.NewEnv(t)
	r := newRoute(e)
	e.Given().Apply(app(r.host, "web:1", 4, shortDelays, threePauses))
	v1 := healthyOn(e).Status.StableRS
	r.waitOnly(r.config(50), v1)
	stream := r.steadyLoad()
	start := time.Now()

	e.SetImage("web", "web:2")
	v2 := atPause(e, 1).Status.CurrentPodHash
	serin(e, "promote", "web")
	atPause(e, 3)
	r.waitWeight(50)
	time.Sleep(2 * time.Second) // the canary answers its half for a while

	abortAt := time.Now()
	serin(e, "abort", "web")
	rs := waitQuiet(t, stream, v2, 5*time.Second)
	last, ok := rs.LastServedBy(v2)
	if !ok {
		t.Fatalf("the canary %s answered no request before the abort: %s", v2, rs.Summary())
	}
	t.Logf("abort drain: the last request the canary answered ended %s after `kubectl serin abort` started (%d canary answers after it)",
		last.Done().Sub(abortAt).Round(time.Millisecond), len(rs.Filter(func(x traffic.Record) bool { return x.Revision == v2 && x.Sent.After(abortAt) })))

	serin(e, "retry", "web")
	atPause(e, 1)
	serin(e, "promote", "web", "--full")
	healthyOn(e)
	waitQuiet(t, stream, v1, 3*time.Second)
	e.Then().Pods("app=web,"+hashLabel+"="+v1, "the old pods gone", func(pods []corev1.Pod) bool { return len(pods) == 0 })
	time.Sleep(3 * time.Second) // past the simulator's linger

	rs = stream.Stop()
	t.Logf("across the rollout (%s): %s", time.Since(start).Round(time.Second), rs.Summary())
	ownNamespace(t, rs, e.Namespace)
	if failed := rs.Failed(); len(failed) > 0 {
		for i, f := range failed {
			if i == 10 {
				break
			}
			t.Logf("failed: %s", f)
		}
		t.Errorf("%d of %d requests failed across the rollout", len(failed), len(rs))
	}
}
