// Command demoload is make demo's steady request stream: it sends requests to an Ingress
// through the local ingress controller (Traefik's entrypoint on 127.0.0.1) in windows of a
// few seconds and, after each window, prints the split the answers measured, from the
// simulated pods' revision headers (test/traffic, test/podsim):
//
//	traffic: canary 19.8% of 500 req in last 5s (stable 5d8f7c: 401, canary 7b9c4d: 99, failed 0)
//
// The stable revision is the Rollout's status.stableRS as the window starts; every other revision that answers
// counts as canary. Run it inside hack/netns.sh's namespace (Traefik forwards to pod IPs).
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"sort"
	"strings"
	"syscall"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/serin-dev/serin/test/traffic"
)

var rollouts = schema.GroupVersionResource{Group: "serin.dev", Version: "v1alpha1", Resource: "rollouts"}

type options struct {
	url, host, kubeconfig, namespace, rollout string
	rate                                      float64
	every                                     time.Duration
}

func main() {
	var o options
	flag.StringVar(&o.url, "url", "http://127.0.0.1:8088/", "where requests go: the ingress controller's entrypoint on 127.0.0.1")
	flag.StringVar(&o.host, "host", "web.example.com", "Host header: the Ingress rule's host")
	flag.Float64Var(&o.rate, "rate", 100, "requests per second")
	flag.DurationVar(&o.every, "every", 5*time.Second, "length of a measuring window: one line each")
	flag.StringVar(&o.kubeconfig, "kubeconfig", os.Getenv("KUBECONFIG"), "kubeconfig, to read the Rollout's stable revision")
	flag.StringVar(&o.namespace, "namespace", "demo", "namespace of the Rollout")
	flag.StringVar(&o.rollout, "rollout", "web", "the Rollout whose stable revision the split is measured against")
	flag.Parse()
	if err := run(o); err != nil {
		fmt.Fprintln(os.Stderr, "demoload:", err)
		os.Exit(1)
	}
}

func run(o options) error {
	if o.rate <= 0 || o.every < time.Second {
		return fmt.Errorf("--rate=%v --every=%s: want a positive rate and a window of 1s or more", o.rate, o.every)
	}
	cfg, err := clientcmd.BuildConfigFromFlags("", o.kubeconfig)
	if err != nil {
		return fmt.Errorf("--kubeconfig=%q: %w", o.kubeconfig, err)
	}
	dyn, err := dynamic.NewForConfig(cfg)
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	for ctx.Err() == nil {
		// The stable revision as the window starts: at a promotion, the new revision is still
		// the canary of the window in which it takes over.
		stable := stableRevision(ctx, dyn, o)
		// One bounded stream per window: memory stays flat however long the demo runs.
		records, err := traffic.Run(ctx, traffic.Config{
			URL: o.url, Host: o.host, Rate: o.rate, Concurrency: 8,
			Count: int(o.rate * o.every.Seconds()), Duration: o.every, Timeout: 2 * time.Second,
		})
		if err != nil {
			return err
		}
		if ctx.Err() != nil {
			return nil
		}
		fmt.Println(splitLine(records, stable, o.every))
	}
	return nil
}

// stableRevision is the Rollout's status.stableRS, "" when it cannot be read.
func stableRevision(ctx context.Context, dyn dynamic.Interface, o options) string {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	r, err := dyn.Resource(rollouts).Namespace(o.namespace).Get(ctx, o.rollout, metav1.GetOptions{})
	if err != nil {
		return ""
	}
	s, _, _ := unstructured.NestedString(r.Object, "status", "stableRS")
	return s
}

// splitLine states the canary's share of the answered requests of one window.
func splitLine(rs traffic.Records, stable string, window time.Duration) string {
	failed := len(rs.Failed())
	if stable == "" {
		return fmt.Sprintf("traffic: %d req in last %s, failed %d (the Rollout's stable revision is not known yet)", len(rs), window, failed)
	}
	byRev := rs.ByRevision()
	canary, served := 0, 0
	var parts []string
	revs := make([]string, 0, len(byRev))
	for rev := range byRev {
		revs = append(revs, rev)
	}
	sort.Strings(revs)
	for _, rev := range revs {
		n := byRev[rev]
		switch rev {
		case "": // answers from no pod (Traefik's own 404/502) and requests without an answer
			continue
		case stable:
			parts = append([]string{fmt.Sprintf("stable %s: %d", rev, n)}, parts...)
		default:
			canary += n
			parts = append(parts, fmt.Sprintf("canary %s: %d", rev, n))
		}
		served += n
	}
	if len(parts) == 0 {
		parts = append(parts, "no answer from a pod")
	}
	share := 0.0
	if served > 0 {
		share = 100 * float64(canary) / float64(served)
	}
	return fmt.Sprintf("traffic: canary %.1f%% of %d req in last %s (%s, failed %d)",
		share, len(rs), window, strings.Join(parts, ", "), failed)
}
