// Package metrics is what the controller exposes to Prometheus on --metrics-addr: how
// long reconciles take and how often they fail (Rollouts and AnalysisRuns, recorded by the
// controller runner in pkg/controller), one set of gauges per Rollout (strategy, phase,
// canary weight), the requests the Kubernetes client makes, and the writes the write
// fence refused.
package metrics

import (
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/serin-dev/serin/pkg/apis/rollouts/v1alpha1"
)

// phases are every value of serin_rollout_phase's phase label.
var phases = []v1alpha1.RolloutPhase{
	v1alpha1.RolloutPhaseProgressing,
	v1alpha1.RolloutPhasePaused,
	v1alpha1.RolloutPhaseHealthy,
	v1alpha1.RolloutPhaseDegraded,
}

// Metrics holds the collectors, registered on their own registry (not the global one),
// so tests can make as many as they like.
type Metrics struct {
	Registry *prometheus.Registry

	reconcileDuration prometheus.Histogram
	reconcileErrors   prometheus.Counter
	runDuration       prometheus.Histogram
	runErrors         prometheus.Counter
	rolloutInfo       *prometheus.GaugeVec
	rolloutPhase      *prometheus.GaugeVec
	canaryWeight      *prometheus.GaugeVec
	clientRequests    *prometheus.CounterVec
	fencedWrites      prometheus.Counter
}

// New makes the collectors and registers them, with the Go and process collectors.
func New() *Metrics {
	m := &Metrics{
		Registry: prometheus.NewRegistry(),
		reconcileDuration: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "serin_reconcile_duration_seconds",
			Help:    "Time taken by one reconcile of a Rollout (gather, plan, apply).",
			Buckets: reconcileBuckets,
		}),
		reconcileErrors: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "serin_reconcile_errors_total",
			Help: "Reconciles of a Rollout that returned an error and were retried.",
		}),
		runDuration: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "serin_analysisrun_reconcile_duration_seconds",
			Help:    "Time taken by one reconcile of an AnalysisRun (its measurements and status write).",
			Buckets: reconcileBuckets,
		}),
		runErrors: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "serin_analysisrun_reconcile_errors_total",
			Help: "Reconciles of an AnalysisRun that returned an error and were retried.",
		}),
		rolloutInfo: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "serin_rollout_info",
			Help: "Information about a Rollout; always 1.",
		}, []string{"namespace", "name", "strategy"}),
		rolloutPhase: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "serin_rollout_phase",
			Help: "Phase of a Rollout: one series, of value 1, labelled with the current phase.",
		}, []string{"namespace", "name", "phase"}),
		canaryWeight: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "serin_rollout_canary_weight",
			Help: "Traffic weight the router sends to the canary of a Rollout.",
		}, []string{"namespace", "name"}),
		clientRequests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "serin_client_requests_total",
			Help: "Requests the controller made to the Kubernetes API, by status code, method and host.",
		}, []string{"code", "method", "host"}),
		fencedWrites: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "serin_fenced_writes_total",
			Help: "Writes the write fence refused because the leader-election Lease was not renewed within the renew deadline.",
		}),
	}
	m.Registry.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		m.reconcileDuration, m.reconcileErrors,
		m.runDuration, m.runErrors,
		m.rolloutInfo, m.rolloutPhase, m.canaryWeight,
		m.clientRequests, m.fencedWrites,
	)
	return m
}

// Handler serves the registry in the Prometheus exposition format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.Registry, promhttp.HandlerOpts{Registry: m.Registry})
}

// reconcileBuckets are the buckets of both reconcile duration histograms, in seconds.
var reconcileBuckets = []float64{0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10}

// ObserveReconcile records one reconcile of a Rollout: its duration, and an error when
// failed is true.
func (m *Metrics) ObserveReconcile(d time.Duration, failed bool) {
	observe(m.reconcileDuration, m.reconcileErrors, d, failed)
}

// ObserveAnalysisRunReconcile records one reconcile of an AnalysisRun, as
// ObserveReconcile does for a Rollout.
func (m *Metrics) ObserveAnalysisRunReconcile(d time.Duration, failed bool) {
	observe(m.runDuration, m.runErrors, d, failed)
}

func observe(duration prometheus.Histogram, errors prometheus.Counter, d time.Duration, failed bool) {
	duration.Observe(d.Seconds())
	if failed {
		errors.Inc()
	}
}

// FencedWrite counts one write refused by the write fence (controller.Fence).
func (m *Metrics) FencedWrite() { m.fencedWrites.Inc() }

// SetRollout sets the gauges of ro from its spec and status.
func (m *Metrics) SetRollout(ro *v1alpha1.Rollout) {
	ns, name := ro.Namespace, ro.Name
	strategy := StrategyOf(ro)
	// A Rollout whose strategy changed keeps a single info series.
	m.rolloutInfo.DeletePartialMatch(prometheus.Labels{"namespace": ns, "name": name})
	m.rolloutInfo.WithLabelValues(ns, name, strategy).Set(1)
	// Only the current phase has a series (value 1): one series per Rollout, not four.
	for _, ph := range phases {
		if ph != ro.Status.Phase {
			m.rolloutPhase.DeleteLabelValues(ns, name, string(ph))
		}
	}
	if ro.Status.Phase != "" {
		m.rolloutPhase.WithLabelValues(ns, name, string(ro.Status.Phase)).Set(1)
	}
	weight := int32(0)
	if w := ro.Status.Canary.Weights; w != nil {
		weight = w.Canary.Weight
	}
	m.canaryWeight.WithLabelValues(ns, name).Set(float64(weight))
}

// DeleteRollout removes every series of a Rollout that no longer exists.
func (m *Metrics) DeleteRollout(namespace, name string) {
	labels := prometheus.Labels{"namespace": namespace, "name": name}
	m.rolloutInfo.DeletePartialMatch(labels)
	m.rolloutPhase.DeletePartialMatch(labels)
	m.canaryWeight.DeletePartialMatch(labels)
}

// StrategyOf is "canary", "blueGreen" or "" (a Rollout with neither is invalid).
func StrategyOf(ro *v1alpha1.Rollout) string {
	switch {
	case ro.Spec.Strategy.Canary != nil:
		return "canary"
	case ro.Spec.Strategy.BlueGreen != nil:
		return "blueGreen"
	}
	return ""
}
