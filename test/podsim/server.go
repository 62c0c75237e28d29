package podsim

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"k8s.io/utils/clock"
)

// The response headers that attribute an answer to the pod that gave it.
const (
	HeaderPod       = "X-Serin-Pod"
	HeaderNamespace = "X-Serin-Namespace"
	HeaderRevision  = "X-Serin-Revision"
	HeaderImage     = "X-Serin-Image"
	HeaderContainer = "X-Serin-Container"
)

// The metrics of every served pod, each pod in its own registry, at /metrics on the
// metrics port of the pod's IP. Labels: port (the container port that answered) and code.
// The pod's namespace, name and revision come from Prometheus' service discovery (see
// ScrapeConfig), not from the series.
const (
	MetricRequests = "serin_sim_requests_total"
	MetricDuration = "serin_sim_request_duration_seconds"
)

// DurationBuckets are the upper bounds of MetricDuration, in seconds.
var DurationBuckets = []float64{0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5}

// drainTimeout bounds how long requests in flight on a closed pod may still finish.
const drainTimeout = 5 * time.Second

// Answer is the JSON body of every answer of a simulated pod.
type Answer struct {
	Identity
	Port int32 `json:"port"`
	Code int   `json:"code"`
}

// podServer serves one pod: a listener per TCP container port, plus the metrics port.
type podServer struct {
	spec      Spec
	listeners []net.Listener
	servers   []*http.Server
	done      sync.WaitGroup // Serve loops and drains
	closing   sync.Once
	lingering clock.Timer // set once the pod is deleted and lingers
}

// startPod binds every port of spec on spec.IP and serves them. On error nothing stays
// bound.
func startPod(spec Spec, metricsPort int32) (*podServer, error) {
	reg := prometheus.NewRegistry()
	requests := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: MetricRequests, Help: "Requests a simulated pod answered, by container port and status code.",
	}, []string{"port", "code"})
	duration := prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name: MetricDuration, Help: "Time a simulated pod took to answer, by container port and status code.",
		Buckets: DurationBuckets,
	}, []string{"port", "code"})
	reg.MustRegister(requests, duration)
	metrics := promhttp.HandlerFor(reg, promhttp.HandlerOpts{})

	handlers := map[int32]http.Handler{}
	for _, p := range spec.Ports {
		handlers[p.Number] = &app{port: p, requests: requests, duration: duration}
	}
	if app, ok := handlers[metricsPort]; ok {
		mux := http.NewServeMux()
		mux.Handle("/", app)
		mux.Handle("/metrics", metrics)
		handlers[metricsPort] = mux
	} else if metricsPort > 0 {
		handlers[metricsPort] = metrics
	}

	ps := &podServer{spec: spec}
	for port, h := range handlers {
		addr := net.JoinHostPort(spec.IP, strconv.Itoa(int(port)))
		ln, err := net.Listen("tcp", addr)
		if err != nil {
			ps.close(false)
			return nil, fmt.Errorf("listen on %s: %w", addr, err)
		}
		srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
		ps.listeners = append(ps.listeners, ln)
		ps.servers = append(ps.servers, srv)
		ps.done.Go(func() { _ = srv.Serve(ln) }) // returns once close closed ln
	}
	return ps, nil
}

// close closes the listeners at once (the addresses refuse connections when it returns)
// and lets requests in flight finish for up to drainTimeout; wait says whether to wait
// for them.
func (ps *podServer) close(wait bool) {
	ps.closing.Do(func() {
		if ps.lingering != nil {
			ps.lingering.Stop()
		}
		for _, ln := range ps.listeners {
			_ = ln.Close()
		}
		for _, srv := range ps.servers {
			ps.done.Go(func() {
				ctx, cancel := context.WithTimeout(context.Background(), drainTimeout)
				defer cancel()
				if srv.Shutdown(ctx) != nil {
					_ = srv.Close()
				}
			})
		}
	})
	if wait {
		ps.done.Wait()
	}
}

// app answers the requests of one container port.
type app struct {
	port     Port
	served   atomic.Int64
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
}

// fails reports whether the n-th request (from 1) fails: exactly floor(n*rate) of the
// first n do, spread evenly. The rate is taken in millionths so the count is exact.
func fails(n int64, rate float64) bool {
	ppm := int64(rate*1e6 + 0.5)
	return n*ppm/1e6 > (n-1)*ppm/1e6
}

func (a *app) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	code := http.StatusOK
	if fails(a.served.Add(1), a.port.ErrorRate) {
		code = a.port.ErrorCode
	}
	if a.port.Latency > 0 {
		t := time.NewTimer(a.port.Latency)
		select {
		case <-t.C:
		case <-r.Context().Done():
			t.Stop()
		}
	}
	id := a.port.Identity
	h := w.Header()
	h.Set(HeaderPod, id.Pod)
	h.Set(HeaderNamespace, id.Namespace)
	h.Set(HeaderRevision, id.Revision)
	h.Set(HeaderImage, id.Image)
	h.Set(HeaderContainer, id.Container)
	h.Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(Answer{Identity: id, Port: a.port.Number, Code: code})
	port, c := strconv.Itoa(int(a.port.Number)), strconv.Itoa(code)
	a.requests.WithLabelValues(port, c).Inc()
	a.duration.WithLabelValues(port, c).Observe(time.Since(start).Seconds())
}
