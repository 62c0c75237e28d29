// Command ingress starts the local environment's ingress controller for make demo: it creates
// IngressClass nginx (ingress-nginx's controller name) and then becomes Traefik, started with
// the static configuration the e2e framework uses too (test/cluster.TraefikArgs):
//
//	ingress --kubeconfig=$KUBECONFIG --web=127.0.0.1:8088 --api=127.0.0.1:8089 --access-log=FILE
//
// Traefik forwards to pod addresses: run it inside hack/netns.sh's namespace.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"syscall"
	"time"

	netv1 "k8s.io/api/networking/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/serin-dev/serin/test/cluster"
)

func main() {
	kubeconfig := flag.String("kubeconfig", os.Getenv("KUBECONFIG"), "kubeconfig of the cluster whose Ingresses Traefik serves")
	web := flag.String("web", "127.0.0.1:8088", "address of the entrypoint that serves the Ingresses")
	api := flag.String("api", "127.0.0.1:8089", "address of /ping, /metrics and the read-only API")
	accessLog := flag.String("access-log", "traefik-access.log", "file of one line per request")
	flag.Parse()
	if err := run(*kubeconfig, cluster.TraefikConfig{WebAddr: *web, APIAddr: *api, AccessLog: *accessLog}); err != nil {
		fmt.Fprintln(os.Stderr, "ingress:", err)
		os.Exit(1)
	}
}

func run(kubeconfig string, c cluster.TraefikConfig) error {
	if kubeconfig == "" {
		return fmt.Errorf("--kubeconfig (or KUBECONFIG) is required")
	}
	root, err := cluster.RepoRoot()
	if err != nil {
		return err
	}
	bin, err := cluster.TraefikBinary(root)
	if err != nil {
		return err
	}
	if _, err := os.Stat(bin); err != nil {
		return fmt.Errorf("traefik binary: %w (run `make traefik-bin`)", err)
	}
	cfg, err := clientcmd.BuildConfigFromFlags("", kubeconfig)
	if err != nil {
		return fmt.Errorf("--kubeconfig=%s: %w", kubeconfig, err)
	}
	kube, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	ic := &netv1.IngressClass{
		ObjectMeta: metav1.ObjectMeta{Name: cluster.IngressClassNGINX},
		Spec:       netv1.IngressClassSpec{Controller: cluster.IngressNGINXController},
	}
	if _, err := kube.NetworkingV1().IngressClasses().Create(ctx, ic, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
		return fmt.Errorf("create IngressClass %s: %w", cluster.IngressClassNGINX, err)
	}
	env := append(os.Environ(), "KUBECONFIG="+kubeconfig) // Traefik's out-of-cluster client
	argv := append([]string{bin}, cluster.TraefikArgs(c)...)
	return syscall.Exec(bin, argv, env)
}
