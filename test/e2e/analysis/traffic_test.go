//go:build e2e

package analysis

import (
	"fmt"
	"net/http/httptest"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// requestsPerScrape is how many requests each app "serves" between two scrapes.
const requestsPerScrape = 100

// traffic is the metrics target Prometheus scrapes: for each app a test registers, the
// request counters of an app's canary, by status code, advanced by requestsPerScrape at
// every scrape with the error ratio the test set. A scrape is the clock of this traffic:
// rates in Prometheus follow from it, and a test waits for scrapes (not for time) before
// it measures.
type traffic struct {
	srv *httptest.Server

	mu   sync.Mutex
	apps map[string]*app
}

// app is one test's series. nginx apps serve ingress-nginx's metric names, traefik apps
// Traefik's.
type app struct {
	namespace  string
	nginx      bool
	traefik    bool
	errorRatio float64
	latency    float64 // seconds, per request (nginx, traefik)
	ok, failed float64
	stableErr  float64 // errors of the stable version, which a canary check must ignore
	durSum     float64
	scrapes    int
	scraped    chan struct{} // closed and replaced at every scrape
}

var (
	demoRequests = prometheus.NewDesc("serin_e2e_requests_total", "Requests served by a test app's canary, by status code.",
		[]string{"app", "version", "code"}, nil)
	nginxRequests = prometheus.NewDesc("nginx_ingress_controller_requests", "ingress-nginx's request counter, as its controller exports it.",
		[]string{"namespace", "ingress", "service", "canary", "status"}, nil)
	nginxDurSum = prometheus.NewDesc("nginx_ingress_controller_response_duration_seconds_sum", "ingress-nginx's response time sum.",
		[]string{"namespace", "ingress", "service", "canary"}, nil)
	nginxDurCount = prometheus.NewDesc("nginx_ingress_controller_response_duration_seconds_count", "ingress-nginx's response time count.",
		[]string{"namespace", "ingress", "service", "canary"}, nil)
	traefikRequests = prometheus.NewDesc("traefik_service_requests_total", "Traefik's request counter per service, as Traefik v3.7 exports it.",
		[]string{"code", "method", "protocol", "service"}, nil)
	traefikDuration = prometheus.NewDesc("traefik_service_request_duration_seconds", "Traefik's request duration histogram per service.",
		[]string{"code", "method", "protocol", "service"}, nil)
)

// traefikBuckets are Traefik's default histogram buckets.
var traefikBuckets = []float64{0.1, 0.3, 1.2, 5}

// traefikServices are the Traefik service names of an app's canary and stable version,
// as Traefik's kubernetesingressnginx provider names them for namespace ns, Ingress web,
// Service web-stable, port 80.
func traefikServices(ns string) (canary, stable string) {
	stable = ns + "-web-web-stable-80@kubernetesingressnginx"
	return strings.Replace(stable, "@", "-canary@", 1), stable
}

func newTraffic() *traffic {
	t := &traffic{apps: map[string]*app{}}
	reg := prometheus.NewRegistry()
	reg.MustRegister(t)
	t.srv = httptest.NewServer(promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	return t
}

// Describe sends the descriptors of every series.
func (t *traffic) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{demoRequests, nginxRequests, nginxDurSum, nginxDurCount, traefikRequests, traefikDuration} {
		ch <- d
	}
}

// Collect is one scrape: every app serves requestsPerScrape more requests.
func (t *traffic) Collect(ch chan<- prometheus.Metric) {
	t.mu.Lock()
	defer t.mu.Unlock()
	for name, a := range t.apps {
		a.failed += requestsPerScrape * a.errorRatio
		a.ok += requestsPerScrape * (1 - a.errorRatio)
		a.stableErr += requestsPerScrape
		a.durSum += requestsPerScrape * a.latency
		n := float64(a.scrapes+1) * requestsPerScrape
		switch {
		case a.traefik:
			a.collectTraefik(ch)
		case a.nginx:
			canary := a.namespace + "-web-canary-80"
			ch <- prometheus.MustNewConstMetric(nginxRequests, prometheus.CounterValue, a.ok, a.namespace, "web", "web-canary", canary, "200")
			ch <- prometheus.MustNewConstMetric(nginxRequests, prometheus.CounterValue, a.failed, a.namespace, "web", "web-canary", canary, "503")
			ch <- prometheus.MustNewConstMetric(nginxRequests, prometheus.CounterValue, a.stableErr, a.namespace, "web", "web-stable", "", "500")
			ch <- prometheus.MustNewConstMetric(nginxDurSum, prometheus.CounterValue, a.durSum, a.namespace, "web", "web-canary", canary)
			ch <- prometheus.MustNewConstMetric(nginxDurCount, prometheus.CounterValue, n, a.namespace, "web", "web-canary", canary)
			ch <- prometheus.MustNewConstMetric(nginxDurSum, prometheus.CounterValue, a.stableErr*10, a.namespace, "web", "web-stable", "")
			ch <- prometheus.MustNewConstMetric(nginxDurCount, prometheus.CounterValue, a.stableErr, a.namespace, "web", "web-stable", "")
		default:
			ch <- prometheus.MustNewConstMetric(demoRequests, prometheus.CounterValue, a.ok, name, "canary", "200")
			ch <- prometheus.MustNewConstMetric(demoRequests, prometheus.CounterValue, a.failed, name, "canary", "500")
		}
		a.scrapes++
		close(a.scraped)
		a.scraped = make(chan struct{})
	}
}

// collectTraefik sends the app's series in Traefik's format: the canary's requests by
// code, every one lasting a.latency; the stable version's all failing and slow, which
// the templates must ignore.
func (a *app) collectTraefik(ch chan<- prometheus.Metric) {
	canary, stable := traefikServices(a.namespace)
	hist := func(count, latency float64, code, service string) prometheus.Metric {
		buckets := map[float64]uint64{}
		for _, le := range traefikBuckets {
			if latency <= le {
				buckets[le] = uint64(count)
			} else {
				buckets[le] = 0
			}
		}
		return prometheus.MustNewConstHistogram(traefikDuration, uint64(count), count*latency, buckets, code, "GET", "http", service)
	}
	// Like Traefik, no series for a code that never answered.
	for code, n := range map[string]float64{"200": a.ok, "500": a.failed} {
		if n > 0 {
			ch <- prometheus.MustNewConstMetric(traefikRequests, prometheus.CounterValue, n, code, "GET", "http", canary)
			ch <- hist(n, a.latency, code, canary)
		}
	}
	ch <- prometheus.MustNewConstMetric(traefikRequests, prometheus.CounterValue, a.stableErr, "500", "GET", "http", stable)
	ch <- hist(a.stableErr, 4, "500", stable)
}

// serve registers an app (named after the test's namespace) with an error ratio and, for
// nginx apps, a mean latency; it returns once Prometheus has stored at least two scrapes
// of it (it waits for the third: a scrape starts only after the one before it was
// stored), so that rate() over it has data.
func (t *traffic) serve(name string, nginx bool, errorRatio, latency float64, deadline time.Duration) error {
	t.mu.Lock()
	a := &app{namespace: name, nginx: nginx, errorRatio: errorRatio, latency: latency, scraped: make(chan struct{})}
	t.apps[name] = a
	t.mu.Unlock()
	return t.waitScrapes(name, 3, deadline)
}

// serveTraefik is serve for an app in Traefik's format.
func (t *traffic) serveTraefik(name string, errorRatio, latency float64, deadline time.Duration) error {
	t.mu.Lock()
	t.apps[name] = &app{namespace: name, traefik: true, errorRatio: errorRatio, latency: latency, scraped: make(chan struct{})}
	t.mu.Unlock()
	return t.waitScrapes(name, 3, deadline)
}

// waitScrapes waits until app name was scraped n times.
func (t *traffic) waitScrapes(name string, n int, deadline time.Duration) error {
	timeout := time.After(deadline)
	for {
		t.mu.Lock()
		a := t.apps[name]
		done, next := a.scrapes >= n, a.scraped
		t.mu.Unlock()
		if done {
			return nil
		}
		select {
		case <-next:
		case <-timeout:
			return fmt.Errorf("app %s: Prometheus scraped it %d times in %s, want %d", name, a.scrapes, deadline, n)
		}
	}
}

// setErrorRatio changes an app's error ratio from its next scrape on.
func (t *traffic) setErrorRatio(name string, ratio float64) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.apps[name].errorRatio = ratio
}
