package bench

import (
	"context"
	"fmt"
	"time"
)

func runCold(ctx context.Context, b *runner) []*Scenario {
	n := b.o.ColdN
	s := &Scenario{ID: "S6", Title: fmt.Sprintf("cold start against %d Rollouts", n)}
	s.Setup = fmt.Sprintf("%d Healthy canary Rollouts (0 replicas, so no pods: the cost is the controller's), made Healthy by a first "+
		"controller at qps 2000 which is then stopped; a second controller (default flags) is started and timed from its start "+
		"until its serin_reconcile_duration_seconds_count reaches %d (every Rollout synced once; /metrics polled every 250 ms); "+
		"peak RSS is its VmHWM", n, n)
	return b.withEnv(ctx, "cold", envOptions{Nodes: 1}, []*Scenario{s}, func(e *Env) error {
		if err := e.namespace(ctx, e.NS); err != nil {
			return err
		}
		rec, err := Record(ctx, e.Dyn, rolloutsGVR, e.NS)
		if err != nil {
			return err
		}
		if err := e.startController("--qps=2000", "--burst=4000", "--workers=16"); err != nil {
			return err
		}
		b.logf("S6: creating %d Rollouts", n)
		t0 := time.Now()
		if err := e.createFleet(ctx, e.NS, fleet("cold", n, 0, false)); err != nil {
			return err
		}
		if _, err := waitAll(ctx, b, rec, 0, n, 20*time.Minute, "Rollouts Healthy", healthy); err != nil {
			return err
		}
		s.figure("s6.setup", "setup: created → all Healthy (first controller, qps 2000)", "s", []float64{time.Since(t0).Seconds()})
		if err := e.quiet(ctx, 3*time.Second, 3*time.Minute); err != nil {
			return err
		}
		e.Controller.Stop()
		b.logf("S6: starting a fresh controller against %d Rollouts", n)
		start := time.Now()
		if err := e.startController(); err != nil {
			return err
		}
		var peak int64
		for {
			_, _, p, err := procStat(e.Controller.PID())
			if err != nil {
				return err
			}
			peak = max(peak, p)
			if m, err := e.scrape(ctx); err == nil && m.Sum("serin_reconcile_duration_seconds_count") >= float64(n) {
				break
			}
			if time.Since(start) > 10*time.Minute {
				return fmt.Errorf("not every Rollout reconciled after 10 minutes")
			}
			time.Sleep(250 * time.Millisecond)
		}
		took := time.Since(start).Seconds()
		_, _, p, _ := procStat(e.Controller.PID())
		peak = max(peak, p)
		limit := 20 * float64(n) / 5000
		s.figure("s6.cold_start", "controller start → every Rollout reconciled once", "s", []float64{took}).
			atMost(limit, fmt.Sprintf("≤ %s s (20 s per 5,000)", fmtNum(limit)))
		s.figure("s6.peak_rss", "controller peak RSS", "MiB", []float64{float64(peak) / (1 << 20)})
		b.logf("S6: %.1fs, peak RSS %d MiB", took, peak>>20)
		return nil
	})
}
