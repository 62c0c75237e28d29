// Package podsim serves HTTP for the pods of a kwok cluster, so that requests through a
// real ingress controller reach "the app" and say which pod and revision answered.
//
// For every Running pod with an IP (Ready or not: a router that sends traffic to a pod
// that is not Ready must be caught), it listens on each TCP container port at the pod's
// IP and answers every request with a JSON Answer (namespace, pod, revision, container,
// image, port, code) and the same facts in the X-Serin-* headers. The revision is the
// pod's rollouts-pod-template-hash label, else its pod-template-hash.
//
// A bad version is simulated by the pod template, as a user's bad release would be: the
// container env SERIN_SIM_ERROR_RATE (share of requests failed, 0 to 1, spread evenly),
// SERIN_SIM_ERROR_CODE (their status, default 500) and SERIN_SIM_LATENCY (a Go duration
// added to every answer). An invalid value leaves the pod unserved, with an error naming
// the pod, container and variable. A pod that stops Running, changes IP or is deleted is
// closed at once; Options.Linger keeps a deleted one answering for a while, as a real pod
// does in its grace period (kwok removes deleted pods at once).
//
// Each pod has its own Prometheus registry (serin_sim_requests_total{port,code} and the
// histogram serin_sim_request_duration_seconds{port,code}), at /metrics on the pod's IP,
// port DefaultMetricsPort (9464) unless configured. ScrapeConfig is the Prometheus scrape
// job that finds them through Kubernetes discovery; HTTPScrapeConfig the one that finds
// them through the simulator's own SDHandler (Debian's Prometheus has no Kubernetes
// discovery).
//
// Run watches pods with an informer and feeds a work queue; the Reconciler owns the
// listeners and is driven by pod objects only, so it is tested without a cluster on
// 127.0.0.0/8 addresses. The pod addresses must be local: run it inside a network
// namespace where `ip route add local 10.244.0.0/16 dev lo` holds (see issue 22).
package podsim
