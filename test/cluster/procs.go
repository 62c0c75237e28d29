package cluster

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Process is one control plane component kwokctl started.
type Process struct {
	Name string // etcd, kube-apiserver, kwok-controller, ...
	PID  int
	// RSS and PeakRSS are VmRSS and VmHWM from /proc/<pid>/status, in bytes (zero when
	// the process has exited).
	RSS, PeakRSS int64
}

// Processes lists the cluster's components from kwokctl's pid files, with their memory.
func (c *Cluster) Processes() ([]Process, error) {
	files, err := filepath.Glob(filepath.Join(c.Workdir, "pids", "*.pid"))
	if err != nil {
		return nil, err
	}
	var procs []Process
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			return nil, err
		}
		pid, err := strconv.Atoi(strings.TrimSpace(string(data)))
		if err != nil {
			return nil, fmt.Errorf("pid file %s: %w", f, err)
		}
		p := Process{Name: strings.TrimSuffix(filepath.Base(f), ".pid"), PID: pid}
		p.RSS, p.PeakRSS = Memory(pid)
		procs = append(procs, p)
	}
	sort.Slice(procs, func(i, j int) bool { return procs[i].Name < procs[j].Name })
	return procs, nil
}

// MemoryReport formats Processes for a log: each component's current and peak RSS and
// the sum of the peaks (an upper bound of the control plane's peak footprint).
func MemoryReport(procs []Process) string {
	var b strings.Builder
	var sum int64
	for _, p := range procs {
		fmt.Fprintf(&b, "%s (pid %d): rss %d MiB, peak %d MiB; ", p.Name, p.PID, p.RSS>>20, p.PeakRSS>>20)
		sum += p.PeakRSS
	}
	fmt.Fprintf(&b, "sum of peaks %d MiB", sum>>20)
	return b.String()
}

// Memory is a process' current and peak resident set size (VmRSS, VmHWM), 0 when unknown.
func Memory(pid int) (rss, peak int64) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, 0
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	for s.Scan() {
		fields := strings.Fields(s.Text())
		if len(fields) < 2 {
			continue
		}
		kb, _ := strconv.ParseInt(fields[1], 10, 64)
		switch fields[0] {
		case "VmRSS:":
			rss = kb << 10
		case "VmHWM:":
			peak = kb << 10
		}
	}
	return rss, peak
}

// alive reports whether pid is a live process (a zombie counts as gone).
func alive(pid int) bool {
	if err := syscall.Kill(pid, 0); err != nil && !errors.Is(err, syscall.EPERM) {
		return false
	}
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	// The state follows the parenthesised command name: "pid (comm) S ...".
	s := string(data)
	i := strings.LastIndexByte(s, ')')
	return i < 0 || i+2 >= len(s) || s[i+2] != 'Z'
}

// waitGone waits until none of procs is alive. Processes we did not start cannot be
// waited for, so it checks /proc every 50ms until the deadline.
func waitGone(ctx context.Context, procs []Process, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		var left []string
		for _, p := range procs {
			if alive(p.PID) {
				left = append(left, fmt.Sprintf("%s (pid %d)", p.Name, p.PID))
			}
		}
		if len(left) == 0 {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("still running after cluster delete: %s", strings.Join(left, ", "))
		case <-tick.C:
		}
	}
}
