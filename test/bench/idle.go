package bench

import (
	"context"
	"fmt"
	"os/exec"
	"strings"
	"time"
)

func runIdle(ctx context.Context, b *runner) []*Scenario {
	n := b.o.IdleN
	s := &Scenario{ID: "S3", Title: fmt.Sprintf("%d idle Rollouts", n)}
	window, err := time.ParseDuration(b.o.IdleWindow)
	if err != nil {
		s.Error = "idle window: " + err.Error()
		return []*Scenario{s}
	}
	s.Setup = fmt.Sprintf("%d canary Rollouts (1 replica, no routing) created 16 at a time, controller default flags "+
		"(qps 50, burst 100) without leader election, %d kwok nodes; measured over %s once the controller's "+
		"request counter stood still for 5 s; RSS from /proc, CPU = user+system time over the window, "+
		"requests from the controller's serin_client_requests_total", n, nodesFor(n), window)
	return b.withEnv(ctx, "idle", envOptions{Nodes: nodesFor(n)}, []*Scenario{s}, func(e *Env) error {
		if err := e.namespace(ctx, e.NS); err != nil {
			return err
		}
		rec, err := Record(ctx, e.Dyn, rolloutsGVR, e.NS)
		if err != nil {
			return err
		}
		if err := e.startController(); err != nil {
			return err
		}
		b.logf("S3: creating %d Rollouts", n)
		t0 := time.Now()
		if err := e.createFleet(ctx, e.NS, fleet("idle", n, 1, false)); err != nil {
			return err
		}
		done, err := waitAll(ctx, b, rec, 0, n, 20*time.Minute, "Rollouts Healthy", healthy)
		if err != nil {
			return err
		}
		var lastHealthy time.Time
		for _, t := range done {
			if t.After(lastHealthy) {
				lastHealthy = t
			}
		}
		s.figure("s3.setup", "setup: created → all Healthy", "s", []float64{lastHealthy.Sub(t0).Seconds()})
		b.logf("S3: all Healthy after %.1fs; waiting for the controller to go quiet", lastHealthy.Sub(t0).Seconds())
		if err := e.quiet(ctx, 5*time.Second, 3*time.Minute); err != nil {
			return err
		}
		return measureIdle(ctx, b, e, s, n, window)
	})
}

// quiet waits until the controller's request count has not moved for still.
func (e *Env) quiet(ctx context.Context, still, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	last, since := -1.0, time.Now()
	for time.Now().Before(deadline) {
		m, err := e.scrape(ctx)
		if err != nil {
			return err
		}
		if v := m.Sum("serin_client_requests_total"); v != last {
			last, since = v, time.Now()
		} else if time.Since(since) >= still {
			return nil
		}
		time.Sleep(500 * time.Millisecond)
	}
	return fmt.Errorf("controller still making requests after %s", timeout)
}

var writeMethods = []string{"POST", "PUT", "PATCH", "DELETE"}

func measureIdle(ctx context.Context, b *runner, e *Env, s *Scenario, n int, window time.Duration) error {
	pid := e.Controller.PID()
	m0, err := e.scrape(ctx)
	if err != nil {
		return err
	}
	cpu0, _, _, err := procStat(pid)
	if err != nil {
		return err
	}
	b.logf("S3: measuring for %s", window)
	time.Sleep(window)
	m1, err := e.scrape(ctx)
	if err != nil {
		return err
	}
	cpu1, rss, _, err := procStat(pid)
	if err != nil {
		return err
	}
	perMin := func(d float64) float64 { return d / window.Minutes() }
	var writes float64
	for _, method := range writeMethods {
		writes += m1.Sum("serin_client_requests_total", `method="`+method+`"`) - m0.Sum("serin_client_requests_total", `method="`+method+`"`)
	}
	mib := float64(rss) / (1 << 20)
	s.figure("s3.rss", "controller RSS", "MiB", []float64{mib}).atMost(rssLimit(n), fmt.Sprintf("≤ %.0f MiB", rssLimit(n)))
	s.figure("s3.heap_inuse", "Go heap in use", "MiB", []float64{m1.Sum("go_memstats_heap_inuse_bytes") / (1 << 20)})
	s.figure("s3.cpu", "controller CPU", "mCPU", []float64{float64(cpu1-cpu0) / float64(window) * 1000})
	s.figure("s3.requests_per_min", "API requests per idle minute", "per-min",
		[]float64{perMin(m1.Sum("serin_client_requests_total") - m0.Sum("serin_client_requests_total"))})
	s.figure("s3.writes_per_min", "API writes per idle minute", "per-min", []float64{perMin(writes)}).atMost(0, "0")
	s.figure("s3.metrics_bytes", "/metrics size", "bytes", []float64{float64(m1.Bytes)})
	s.figure("s3.metrics_series_per_rollout", "serin_rollout_* series per Rollout", "count",
		[]float64{float64(m1.Series("serin_rollout_")) / float64(n)}).atMost(3, "a few (≤ 3)")
	url, err := e.metricsURL("/debug/pprof/heap")
	if err != nil {
		return err
	}
	out, err := exec.CommandContext(ctx, "go", "tool", "pprof", "-top", "-nodecount=15", "-sample_index=inuse_space", url).CombinedOutput()
	if err != nil {
		return fmt.Errorf("go tool pprof: %w: %s", err, out)
	}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		if !hasAnyPrefix(line, "Fetching", "Saved", "Type:", "File:", "Build ID:", "Time:") {
			s.Heap = append(s.Heap, line)
		}
	}
	b.logf("S3: RSS %.0f MiB, %d writes in %s, /metrics %d bytes", mib, int(writes), window, m1.Bytes)
	return nil
}

// rssLimit is the RSS target: 60 MiB at 1,000 Rollouts (and below), 200 MiB at
// 5,000, linear between and beyond.
func rssLimit(n int) float64 {
	if n <= 1000 {
		return 60
	}
	return 60 + float64(n-1000)*140/4000
}

func hasAnyPrefix(s string, prefixes ...string) bool {
	for _, p := range prefixes {
		if strings.HasPrefix(s, p) {
			return true
		}
	}
	return false
}
