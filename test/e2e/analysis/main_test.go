//go:build e2e

// Package analysis runs AnalysisRuns end to end: the real serin-controller binary against
// the real local control plane, measuring a real Prometheus that scrapes a metrics target
// this package serves, a web endpoint it serves, and Jobs whose pods run on kwok nodes.
package analysis

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/serin-dev/serin/test/cluster"
	"github.com/serin-dev/serin/test/e2e/framework"
)

var (
	// prom is the package's Prometheus; load is the target it scrapes.
	prom *framework.Prometheus
	load *traffic
)

func TestMain(m *testing.M) {
	// Prometheus is killed when the thread that started it ends (Pdeathsig): this one,
	// locked to TestMain for the life of the process.
	runtime.LockOSThread()
	root, err := cluster.RepoRoot()
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e:", err)
		os.Exit(1)
	}
	load = newTraffic()
	dir := filepath.Join(root, ".cache", "e2e", fmt.Sprintf("prometheus-%d", os.Getpid()))
	prom, err = framework.StartPrometheus(dir, load.srv.URL+"/metrics")
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e:", err)
		os.Exit(1)
	}
	fmt.Printf("e2e: prometheus %s at %s scraping %s; config, data and log in %s\n",
		prom.Binary(), prom.URL, load.srv.URL, dir)
	framework.Main(m, framework.WithController("--leader-elect=false", "--log-level=debug"))
}
