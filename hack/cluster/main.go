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
	"os"
	"os/signal"
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
	var err error
	if cmd == "up" {
		err = up(ctx, *name, *nodes)
	} else {
		err = down(ctx, *name)
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "cluster %s: %v\n", cmd, err)
		os.Exit(1)
	}
}

func up(ctx context.Context, name string, nodes int) error {
	c, err := cluster.Up(ctx, cluster.Options{Name: name, Nodes: nodes})
	if err != nil {
		return err
	}
	procs, err := c.Processes()
	if err != nil {
		return err
	}
	fmt.Printf("cluster %q up: Kubernetes %s, %d fake nodes, API ready in %.1fs\n",
		c.Name, c.KubeVersion, nodes, c.StartupTime.Seconds())
	fmt.Printf("memory: %s\n", cluster.MemoryReport(procs))
	fmt.Printf("logs:   %s\n", c.LogDir)
	fmt.Printf("stop:   make cluster-down\n")
	fmt.Printf("export KUBECONFIG=%s\n", c.Kubeconfig)
	return nil
}

func down(ctx context.Context, name string) error {
	c, err := cluster.Open(name, "")
	if err != nil {
		return err
	}
	if err := c.Down(ctx); err != nil {
		return err
	}
	fmt.Printf("cluster %q down: no process left\n", c.Name)
	return nil
}
