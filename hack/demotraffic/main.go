// Command demotraffic stands in for ingress-nginx in `make demo`: it serves, for Prometheus
// to scrape, the request counters ingress-nginx exports (nginx_ingress_controller_requests
// with its canary label) for one Ingress, as if requests were flowing to the stable and
// canary backends, so that the shipped nginx ClusterAnalysisTemplates have real series to
// measure. The canary's error ratio is set at run time:
//
//	curl -X POST 'http://127.0.0.1:8092/errors?ratio=0.3'   # 30% of canary requests fail
//
// Counters advance at every scrape (requestsPerScrape requests, a fifth to the canary), so
// rates follow the scrape interval and nothing runs in between.
package main

import (
	"flag"
	"fmt"
	"log"
	"net/http"
	"strconv"
	"sync"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

const requestsPerScrape = 100

type traffic struct {
	namespace, ingress, stableSvc, canarySvc string

	mu          sync.Mutex
	errorRatio  float64
	stableOK    float64
	canaryOK    float64
	canaryError float64
}

var requests = prometheus.NewDesc("nginx_ingress_controller_requests",
	"Requests through ingress-nginx (simulated for the demo), as ingress-nginx exports them.",
	[]string{"namespace", "ingress", "service", "canary", "status"}, nil)

func (t *traffic) Describe(ch chan<- *prometheus.Desc) { ch <- requests }

// Collect advances the counters by one scrape's worth of requests and reports them.
func (t *traffic) Collect(ch chan<- prometheus.Metric) {
	t.mu.Lock()
	canary := float64(requestsPerScrape / 5)
	t.stableOK += requestsPerScrape - canary
	failed := canary * t.errorRatio
	t.canaryError += failed
	t.canaryOK += canary - failed
	stableOK, canaryOK, canaryError := t.stableOK, t.canaryOK, t.canaryError
	t.mu.Unlock()
	ch <- prometheus.MustNewConstMetric(requests, prometheus.CounterValue, stableOK, t.namespace, t.ingress, t.stableSvc, "", "200")
	ch <- prometheus.MustNewConstMetric(requests, prometheus.CounterValue, canaryOK, t.namespace, t.ingress, t.canarySvc, t.canarySvc, "200")
	ch <- prometheus.MustNewConstMetric(requests, prometheus.CounterValue, canaryError, t.namespace, t.ingress, t.canarySvc, t.canarySvc, "503")
}

func (t *traffic) setErrors(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		http.Error(w, "POST /errors?ratio=0.3", http.StatusMethodNotAllowed)
		return
	}
	ratio, err := strconv.ParseFloat(r.URL.Query().Get("ratio"), 64)
	if err != nil || ratio < 0 || ratio > 1 {
		http.Error(w, "ratio must be a number from 0 to 1", http.StatusBadRequest)
		return
	}
	t.mu.Lock()
	t.errorRatio = ratio
	t.mu.Unlock()
	fmt.Fprintf(w, "canary error ratio is now %g\n", ratio)
}

func main() {
	addr := flag.String("addr", "127.0.0.1:8092", "listen address (/metrics, POST /errors?ratio=)")
	t := &traffic{}
	flag.StringVar(&t.namespace, "namespace", "demo", "namespace label")
	flag.StringVar(&t.ingress, "ingress", "web", "the stable Ingress")
	flag.StringVar(&t.stableSvc, "stable-service", "web-stable", "the stable Service")
	flag.StringVar(&t.canarySvc, "canary-service", "web-canary", "the canary Service")
	flag.Float64Var(&t.errorRatio, "error-ratio", 0.005, "share of canary requests that fail")
	flag.Parse()

	reg := prometheus.NewRegistry()
	reg.MustRegister(t)
	mux := http.NewServeMux()
	mux.Handle("/metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	mux.HandleFunc("/errors", t.setErrors)
	log.Printf("demotraffic: serving %s/%s on %s", t.namespace, t.ingress, *addr)
	log.Fatal(http.ListenAndServe(*addr, mux))
}
