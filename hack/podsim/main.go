// Command podsim serves HTTP for the pods of a (kwok) cluster at their pod IPs: see
// package test/podsim. It must run where pod IPs are local addresses (the test network
// namespace). Example:
//
//	podsim --kubeconfig=$KUBECONFIG --namespace=my-app --sd-addr=127.0.0.1:9465
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"

	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/serin-dev/serin/test/podsim"
)

func main() {
	kubeconfig := flag.String("kubeconfig", os.Getenv("KUBECONFIG"), "kubeconfig of the cluster whose pods to serve")
	namespace := flag.String("namespace", "", "serve only this namespace's pods (default: every namespace)")
	metricsPort := flag.Int("metrics-port", podsim.DefaultMetricsPort, "port of each pod IP where its /metrics answers (-1: none)")
	linger := flag.Duration("linger", 0, "keep serving a deleted pod this long after it is gone, as a real pod does during its grace period (0: close at once)")
	sdAddr := flag.String("sd-addr", "", "address (host:port) where /targets lists every pod's metrics target for Prometheus' http_sd_configs (default: not served)")
	flag.Parse()
	if err := run(*kubeconfig, *namespace, podsim.Options{MetricsPort: int32(*metricsPort), Linger: *linger, Logf: log.Printf}, *sdAddr); err != nil {
		fmt.Fprintln(os.Stderr, "podsim:", err)
		os.Exit(1)
	}
}

func run(kubeconfig, namespace string, opts podsim.Options, sdAddr string) error {
	if kubeconfig == "" {
		return errors.New("--kubeconfig (or KUBECONFIG) is required")
	}
	if opts.MetricsPort == 0 || opts.MetricsPort > 65535 || opts.MetricsPort < -1 {
		return fmt.Errorf("--metrics-port=%d: want 1-65535, or -1 for none", opts.MetricsPort)
	}
	if opts.Linger < 0 {
		return fmt.Errorf("--linger=%s: want 0 or more", opts.Linger)
	}
	cfg, err := clientcmd.BuildConfigFromFlags("", kubeconfig)
	if err != nil {
		return fmt.Errorf("--kubeconfig=%s: %w", kubeconfig, err)
	}
	client, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	r := podsim.NewReconciler(opts)
	if sdAddr != "" {
		ln, err := net.Listen("tcp", sdAddr)
		if err != nil {
			return fmt.Errorf("--sd-addr: %w", err)
		}
		mux := http.NewServeMux()
		mux.Handle("/targets", r.SDHandler())
		srv := &http.Server{Handler: mux}
		go func() { _ = srv.Serve(ln) }()
		defer srv.Close()
		log.Printf("podsim: Prometheus targets at http://%s/targets", ln.Addr())
	}
	log.Printf("podsim: watching pods (namespace %q)", namespace)
	return podsim.Run(ctx, client, namespace, r)
}
