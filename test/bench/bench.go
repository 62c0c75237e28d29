// Package bench is Serin's performance benchmark (`make bench`): scenarios S0–S6 of issue
// 18, each group on its own fresh local control plane (test/cluster) with the real
// bin/serin-controller, measured from watch events timed on this process' monotonic
// clock, summarised as percentiles over repetitions and compared with one API write (the
// floor) measured on the same control plane in the same run.
//
// Groups: S0 (floor), S1 (image → weight), S2 (abort) and S4 (writes per transition)
// share one control plane, so that the floor is the floor of those latencies; S3 (idle),
// S5 (burst) and S6 (cold start) each get their own.
package bench

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"time"
)

// Options size a run.
type Options struct {
	Quick      bool   `json:"quick"`
	Reps       int    `json:"reps"`       // S1/S2/S4 repetitions
	FloorReps  int    `json:"floorReps"`  // S0 writes, half before S1 and half after S2
	IdleN      int    `json:"idleN"`      // S3 Rollouts
	IdleWindow string `json:"idleWindow"` // S3 measurement window
	BurstN     int    `json:"burstN"`     // S5 Rollouts
	ColdN      int    `json:"coldN"`      // S6 Rollouts
	Only       string `json:"only,omitempty"`
	Artifacts  string `json:"-"`
}

// Defaults returns the full run's options, or the short one's.
func Defaults(quick bool) Options {
	if quick {
		return Options{Quick: true, Reps: 3, FloorReps: 20, IdleN: 50, IdleWindow: "15s", BurstN: 20, ColdN: 200}
	}
	return Options{Reps: 20, FloorReps: 100, IdleN: 1000, IdleWindow: "60s", BurstN: 200, ColdN: 5000}
}

// group is scenarios sharing a control plane.
type group struct {
	name string
	ids  []string
	run  func(ctx context.Context, b *runner) []*Scenario
}

var groups = []group{
	{"latency", []string{"S0", "S1", "S2", "S4"}, runLatency},
	{"idle", []string{"S3"}, runIdle},
	{"burst", []string{"S5"}, runBurst},
	{"cold", []string{"S6"}, runCold},
}

// runner carries a run's options and its progress output.
type runner struct {
	o     Options
	root  string
	start time.Time
	out   io.Writer
	// shared is QUICK's one control plane for every group, each in its own namespace.
	shared *Env
}

func (b *runner) logf(format string, args ...any) {
	fmt.Fprintf(b.out, "[%6.1fs] %s\n", time.Since(b.start).Seconds(), fmt.Sprintf(format, args...))
}

// Run runs the scenario groups in order, printing progress to out, and returns the
// report. A scenario that fails is reported with its error; the others still run.
func Run(ctx context.Context, root string, o Options, out io.Writer) *Report {
	b := &runner{o: o, root: root, start: time.Now(), out: out}
	r := &Report{Started: b.start, Quick: o.Quick, Options: o, Machine: machine(root)}
	for _, g := range groups {
		if o.Only != "" && !strings.Contains(strings.ToUpper(o.Only), g.ids[0]) &&
			!strings.Contains(o.Only, g.name) {
			continue
		}
		b.logf("== %s: %s", g.name, strings.Join(g.ids, ", "))
		r.Scenarios = append(r.Scenarios, g.run(ctx, b)...)
		if ctx.Err() != nil {
			break
		}
	}
	if b.shared != nil {
		b.shared.down()
	}
	r.Duration = time.Since(b.start).Round(time.Second).String()
	return r
}

// withEnv brings up a control plane for a group, runs fn and always takes it down; an
// error from either marks every scenario of the group.
//
// QUICK shares one control plane between the groups (its start is most of a short run):
// each group gets its own namespace there and a controller that watches only that one.
func (b *runner) withEnv(ctx context.Context, name string, eo envOptions, scs []*Scenario, fn func(*Env) error) []*Scenario {
	var e *Env
	var err error
	if b.o.Quick {
		if b.shared == nil {
			b.shared, err = up(ctx, b.root, b.o.Artifacts, "quick", envOptions{Nodes: 5, KCMQPS: burstKCMQPS}, b.logf)
		}
		if b.shared != nil && err == nil {
			g := *b.shared
			g.NS, g.Controller, g.shared = name, nil, true
			e = &g
			defer func() {
				if e.Controller != nil {
					e.Controller.Stop()
				}
			}()
		}
	} else {
		e, err = up(ctx, b.root, b.o.Artifacts, name, eo, b.logf)
		if e != nil {
			defer e.down()
		}
	}
	if err == nil {
		err = fn(e)
	}
	if err != nil {
		b.logf("%s failed: %v", name, err)
		for _, s := range scs {
			if s.Error == "" {
				s.Error = err.Error()
			}
		}
	}
	return scs
}

func machine(root string) Machine {
	m := Machine{CPUs: runtime.NumCPU(), Go: runtime.Version()}
	if data, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, line := range strings.Split(string(data), "\n") {
			if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
				m.CPUModel = strings.TrimSpace(v)
				break
			}
		}
	}
	if data, err := os.ReadFile("/proc/meminfo"); err == nil {
		var kb int64
		fmt.Sscanf(strings.TrimPrefix(strings.SplitN(string(data), "\n", 2)[0], "MemTotal:"), "%d", &kb)
		m.MemoryMiB = kb >> 10
	}
	if data, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		m.Kernel = strings.TrimSpace(string(data))
	}
	if data, err := os.ReadFile("/proc/loadavg"); err == nil {
		m.LoadAvg = strings.Join(strings.Fields(string(data))[:3], " ")
	}
	if data, err := os.ReadFile(filepath.Join(root, "hack", "kube", "VERSION")); err == nil {
		m.Kube = strings.TrimSpace(string(data))
	}
	return m
}
