// Command cluster starts and stops Serin's local control plane (make cluster-up,
// make cluster-down):
//
//	go run ./hack/cluster up [-name serin] [-nodes 3]
//	go run ./hack/cluster down [-name serin]
//
// The binaries come from `make kube-bin`; see test/cluster for where things live.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"

	"github.com/serin-dev/serin/test/cluster"
)

func main() {
	if len(os.Args) < 2 || (os.Args[1] != "up" && os.Args[1] != "down") {
		fmt.Fprintln(os.Stderr, "usage: cluster up|down [-name NAME] [-nodes N]")
		os.Exit(2)
	}
	cmd := os.Args[1]
	fs := flag.NewFlagSet(cmd, flag.ExitOnError)
	name := fs.String("name", cluster.DefaultName, "cluster name")
	nodes := fs.Int("nodes", 3, "fake kwok Nodes to create (up)")
	_ = fs.Parse(os.Args[2:])

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	err := run(ctx, cmd, *name, *nodes)
	if err != nil {
		fmt.Fprintf(os.Stderr, "cluster %s: %v\n", cmd, err)
		os.Exit(1)
	}
}

func run(ctx context.Context, cmd, name string, nodes int) error {
	root, err := cluster.RepoRoot()
	if err != nil {
		return err
	}
	// kwokctl's own (JSON) output goes to a file; errors quote what matters.
	logPath := filepath.Join(root, ".cache", "cluster", "kwokctl-"+name+".log")
	if err := os.MkdirAll(filepath.Dir(logPath), 0o755); err != nil {
		return err
	}
	log, err := os.OpenFile(logPath, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		return err
	}
	defer log.Close()
	if cmd == "up" {
		err = up(ctx, cluster.Options{Name: name, Nodes: nodes, Root: root, Log: log})
	} else {
		err = down(ctx, name, root, log)
	}
	if err != nil {
		return fmt.Errorf("%w\nkwokctl output: %s", err, logPath)
	}
	return nil
}

func up(ctx context.Context, o cluster.Options) error {
	c, err := cluster.Up(ctx, o)
	if err != nil {
		if c != nil {
			err = fmt.Errorf("%w\nthe cluster is left as it is for inspection (logs: %s); remove it with `go run ./hack/cluster down -name %s`",
				err, c.LogDir, c.Name)
		}
		return err
	}
	procs, err := c.Processes()
	if err != nil {
		return err
	}
	fmt.Printf("cluster %q up: Kubernetes %s, %d fake nodes, API ready in %.1fs\n",
		c.Name, c.KubeVersion, o.Nodes, c.StartupTime.Seconds())
	fmt.Printf("memory: %s\n", cluster.MemoryReport(procs))
	fmt.Printf("logs:   %s (kept in %s after cluster-down)\n", c.LogDir, c.SavedLogDir())
	stop := "make cluster-down"
	if c.Name != cluster.DefaultName {
		stop = "go run ./hack/cluster down -name " + c.Name
	}
	fmt.Printf("stop:   %s\n", stop)
	fmt.Printf("export KUBECONFIG=%s\n", c.Kubeconfig)
	return nil
}

func down(ctx context.Context, name, root string, log io.Writer) error {
	c, err := cluster.Open(name, root)
	if err != nil {
		return err
	}
	c.Log = log
	if err := c.Down(ctx); err != nil {
		return err
	}
	fmt.Printf("cluster %q down: no process left; logs kept in %s\n", c.Name, c.SavedLogDir())
	return nil
}
