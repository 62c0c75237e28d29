package podsim

import (
	"encoding/json"
	"fmt"
	"maps"
	"net"
	"net/http"
	"slices"
	"strconv"
	"strings"
)

// ScrapeConfig returns one Prometheus scrape_configs entry (YAML, a list item indented for
// the `scrape_configs:` key) that scrapes every simulated pod through Kubernetes service
// discovery, role pod, with the API server reached through kubeconfig. namespaces limits
// discovery (all when empty); metricsPort is the Reconciler's (0: DefaultMetricsPort).
//
// Discovery gives one target per declared container port; every target of a pod is
// rewritten to <pod IP>:<metricsPort> with the same labels, so Prometheus keeps one per
// pod. Only Running pods with a TCP port are kept (the ones the simulator serves), Ready
// or not. The series get the labels namespace, pod and pod_template_hash (the
// rollouts-pod-template-hash label, else pod-template-hash).
//
// Prometheus must run where the pod IPs are reachable: inside the network namespace of
// the simulator.
func ScrapeConfig(jobName, kubeconfig string, namespaces []string, metricsPort int32) string {
	if metricsPort == 0 {
		metricsPort = DefaultMetricsPort
	}
	var b strings.Builder
	fmt.Fprintf(&b, "- job_name: %s\n", strconv.Quote(jobName))
	b.WriteString("  kubernetes_sd_configs:\n  - role: pod\n")
	fmt.Fprintf(&b, "    kubeconfig_file: %s\n", strconv.Quote(kubeconfig))
	if len(namespaces) > 0 {
		b.WriteString("    namespaces:\n      names:\n")
		for _, ns := range namespaces {
			fmt.Fprintf(&b, "      - %s\n", strconv.Quote(ns))
		}
	}
	fmt.Fprintf(&b, `  relabel_configs:
  - source_labels: [__meta_kubernetes_pod_phase]
    regex: Running
    action: keep
  - source_labels: [__meta_kubernetes_pod_container_port_protocol]
    regex: TCP
    action: keep
  - source_labels: [__meta_kubernetes_pod_ip]
    regex: (.+)
    replacement: ${1}:%d
    target_label: __address__
  - source_labels: [__meta_kubernetes_namespace]
    target_label: namespace
  - source_labels: [__meta_kubernetes_pod_name]
    target_label: pod
  - source_labels: [__meta_kubernetes_pod_label_rollouts_pod_template_hash, __meta_kubernetes_pod_label_pod_template_hash]
    separator: ";"
    regex: ;*([^;]+).*
    target_label: pod_template_hash
`, metricsPort)
	return b.String()
}

// SDTarget is one entry of Prometheus' HTTP service discovery format.
type SDTarget struct {
	Targets []string          `json:"targets"`
	Labels  map[string]string `json:"labels"`
}

// Targets returns the metrics target of every served pod, in Prometheus' HTTP service
// discovery format, with the labels namespace, pod and pod_template_hash. Empty when the
// Reconciler serves no metrics port.
func (r *Reconciler) Targets() []SDTarget {
	out := []SDTarget{}
	if r.metricsPort < 0 {
		return out
	}
	served := r.Served()
	keys := slices.Sorted(maps.Keys(served))
	for _, k := range keys {
		s := served[k]
		id := s.Ports[0].Identity
		out = append(out, SDTarget{
			Targets: []string{net.JoinHostPort(s.IP, strconv.Itoa(int(r.metricsPort)))},
			Labels:  map[string]string{"namespace": id.Namespace, "pod": id.Pod, "pod_template_hash": id.Revision},
		})
	}
	return out
}

// SDHandler serves Targets as JSON, for Prometheus' http_sd_configs (see
// HTTPScrapeConfig): discovery by the simulator's own pod watch, for a Prometheus built
// without Kubernetes discovery (Debian's package is).
func (r *Reconciler) SDHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(r.Targets())
	})
}

// HTTPScrapeConfig returns one scrape_configs entry (YAML list item) that scrapes every
// simulated pod found through the simulator's SDHandler at sdURL, refreshed every
// refresh (a Prometheus duration such as "1s").
func HTTPScrapeConfig(jobName, sdURL, refresh string) string {
	return fmt.Sprintf(`- job_name: %s
  http_sd_configs:
  - url: %s
    refresh_interval: %s
`, strconv.Quote(jobName), strconv.Quote(sdURL), refresh)
}
