// Command serin-controller runs Serin's Rollout controller: flags, clients, informers,
// leader election, metrics and health endpoints. The logic is in pkg/controller: the
// Rollout and AnalysisRun controllers, each run by a controller.Runner.
package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/pprof"
	"os"
	"os/signal"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/google/uuid"
	"github.com/sirupsen/logrus"
	"github.com/spf13/pflag"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	"k8s.io/client-go/kubernetes"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	typedcorev1 "k8s.io/client-go/kubernetes/typed/core/v1"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	"k8s.io/client-go/tools/leaderelection"
	"k8s.io/client-go/tools/record"

	"github.com/serin-dev/serin/pkg/client/clientset/versioned"
	serinscheme "github.com/serin-dev/serin/pkg/client/clientset/versioned/scheme"
	"github.com/serin-dev/serin/pkg/controller"
	"github.com/serin-dev/serin/pkg/controller/analysisrun"
	"github.com/serin-dev/serin/pkg/controller/rollout"
	"github.com/serin-dev/serin/pkg/metrics"
	"github.com/serin-dev/serin/pkg/trafficrouting"
)

const (
	component = "serin-controller"
	// drainTimeout bounds how long a shutdown waits for the workers' current syncs
	// before releasing the Lease anyway.
	drainTimeout = 25 * time.Second
)

type options struct {
	kubeconfig    string
	namespaced    bool
	namespace     string
	qps           float32
	burst         int
	workers       int
	metricsAddr   string
	healthAddr    string
	logLevel      string
	logFormat     string
	leaderElect   bool
	leaderElectNS string
	leaseDuration time.Duration
	renewDeadline time.Duration
	retryPeriod   time.Duration
	profiling     bool
	// identity names this replica in the Lease and in the user agent of its requests.
	identity string
	// analysisWorkers: AnalysisRuns measured in parallel (pkg/controller/analysisrun).
	analysisWorkers int
	// failFast is --fail-fast: spec.failFast for Rollouts without one.
	failFast string
}

func parseFlags() options {
	podNS := os.Getenv("POD_NAMESPACE")
	leNS := podNS
	if leNS == "" {
		leNS = "serin-system"
	}
	var o options
	fs := pflag.NewFlagSet(component, pflag.ExitOnError)
	fs.StringVar(&o.kubeconfig, "kubeconfig", "", "kubeconfig file; in-cluster configuration when empty")
	fs.BoolVar(&o.namespaced, "namespaced", false, "watch only --namespace instead of every namespace")
	fs.StringVar(&o.namespace, "namespace", podNS, "the namespace watched with --namespaced (default $POD_NAMESPACE)")
	fs.Float32Var(&o.qps, "qps", 50, "queries per second to the API server")
	fs.IntVar(&o.burst, "burst", 100, "burst of queries to the API server")
	fs.IntVar(&o.workers, "workers", 4, "Rollouts reconciled in parallel")
	fs.IntVar(&o.analysisWorkers, "analysis-workers", 4, "AnalysisRuns measured in parallel")
	fs.StringVar(&o.metricsAddr, "metrics-addr", ":8090", "address of the Prometheus /metrics endpoint")
	fs.StringVar(&o.healthAddr, "health-addr", ":8091", "address of /healthz and /readyz")
	fs.StringVar(&o.logLevel, "log-level", "info", "trace, debug, info, warn or error")
	fs.StringVar(&o.logFormat, "log-format", "text", "text or json")
	fs.BoolVar(&o.leaderElect, "leader-elect", true, "hold the Lease "+component+" while reconciling, so only one replica acts")
	fs.StringVar(&o.leaderElectNS, "leader-election-namespace", leNS, "namespace of the leader-election Lease (default $POD_NAMESPACE, else serin-system)")
	fs.DurationVar(&o.leaseDuration, "leader-election-lease-duration", 15*time.Second, "how long a Lease is valid without renewal")
	fs.DurationVar(&o.renewDeadline, "leader-election-renew-deadline", 10*time.Second, "how long the leader retries renewing before giving up")
	fs.DurationVar(&o.retryPeriod, "leader-election-retry-period", 2*time.Second, "time between Lease attempts")
	fs.StringVar(&o.failFast, "fail-fast", "", "spec.failFast of every Rollout that sets none, as key=value pairs: e.g. imagePullSeconds=60,restarts=3,unschedulableSeconds=120,configErrorSeconds=60 (an empty failFast in a Rollout opts out)")
	fs.StringVar(&o.identity, "identity", "", "this replica's name in the Lease and in its requests' user agent ("+component+"/<identity>); default <hostname>_<random UUID>")
	fs.BoolVar(&o.profiling, "profiling", false, "serve Go's pprof profiles under /debug/pprof/ on --metrics-addr")
	_ = fs.Parse(os.Args[1:])
	return o
}

func newLogger(o options) (*logrus.Logger, error) {
	log := logrus.New()
	log.SetOutput(os.Stderr)
	level, err := logrus.ParseLevel(o.logLevel)
	if err != nil {
		return nil, fmt.Errorf("--log-level: %w", err)
	}
	log.SetLevel(level)
	switch o.logFormat {
	case "text":
		log.SetFormatter(&logrus.TextFormatter{FullTimestamp: true})
	case "json":
		log.SetFormatter(&logrus.JSONFormatter{})
	default:
		return nil, fmt.Errorf("--log-format must be text or json, not %q", o.logFormat)
	}
	return log, nil
}

func main() {
	o := parseFlags()
	log, err := newLogger(o)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	if err := run(o, log); err != nil {
		log.WithError(err).Error("exiting")
		os.Exit(1)
	}
	log.Info("stopped")
}

func run(o options, log *logrus.Logger) error {
	watchNS := ""
	if o.namespaced {
		if o.namespace == "" {
			return errors.New("--namespaced needs --namespace or $POD_NAMESPACE")
		}
		watchNS = o.namespace
	}
	failFast, err := parseFailFast(o.failFast)
	if err != nil {
		return err
	}
	cfg, err := restConfig(o.kubeconfig)
	if err != nil {
		return err
	}
	cfg.QPS, cfg.Burst = o.qps, o.burst
	if o.identity == "" {
		host, _ := os.Hostname()
		o.identity = host + "_" + uuid.NewString()
	}
	// Per replica, so that the API server's audit log tells the replicas' writes apart;
	// the field manager the server derives from it stays "serin-controller".
	cfg.UserAgent = component + "/" + o.identity

	m := metrics.New()
	metrics.RegisterClientMetrics(m)
	// Built-in kinds travel as protobuf (less to decode on every list and watch event);
	// Serin's custom resources only exist as JSON.
	kubeCfg := rest.CopyConfig(cfg)
	kubeCfg.AcceptContentTypes = "application/vnd.kubernetes.protobuf,application/json"
	kubeCfg.ContentType = "application/vnd.kubernetes.protobuf"
	// plain renews the Lease and records events; the controllers write through kube and
	// serin, which the write fence guards when electing (see controller.Fence).
	plain, err := kubernetes.NewForConfig(kubeCfg)
	if err != nil {
		return err
	}
	var fence *controller.Fence
	if o.leaderElect {
		fence = controller.NewFence(controller.FenceOptions{Bound: o.renewDeadline, Log: log, OnRefuse: m.FencedWrite})
		kubeCfg, cfg = rest.CopyConfig(kubeCfg), rest.CopyConfig(cfg)
		kubeCfg.Wrap(fence.WrapTransport)
		cfg.Wrap(fence.WrapTransport)
	}
	kube, err := kubernetes.NewForConfig(kubeCfg)
	if err != nil {
		return err
	}
	serin, err := versioned.NewForConfig(cfg)
	if err != nil {
		return err
	}
	// The routers write through cfg, fenced as serin's (JSON: their kinds are CRDs).
	routers, err := trafficrouting.NewClients(kube, cfg)
	if err != nil {
		return err
	}

	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()

	var ready atomic.Bool
	watchdog := leaderelection.NewLeaderHealthzAdaptor(20 * time.Second)
	servers := map[string]*http.Server{
		"metrics": {Addr: o.metricsAddr, Handler: metricsMux(m, o.profiling)},
		"health":  {Addr: o.healthAddr, Handler: healthMux(&ready, watchdog)},
	}
	for name, s := range servers {
		// Listen before serving so that a taken port fails the start, and so that ":0"
		// (any free port, as the e2e suite asks) is logged as the port actually bound.
		l, err := net.Listen("tcp", s.Addr)
		if err != nil {
			return fmt.Errorf("--%s-addr: %w", name, err)
		}
		log.WithFields(logrus.Fields{"server": name, "addr": l.Addr().String()}).Info("serving")
		go func() {
			if err := s.Serve(l); err != nil && !errors.Is(err, http.ErrServerClosed) {
				log.WithError(err).WithField("addr", s.Addr).Error("HTTP server failed")
				stop()
			}
		}()
	}
	defer func() {
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		for _, s := range servers {
			_ = s.Shutdown(sctx)
		}
	}()

	scheme := runtime.NewScheme()
	utilruntime.Must(clientgoscheme.AddToScheme(scheme))
	utilruntime.Must(serinscheme.AddToScheme(scheme))
	// Not tied to ctx: the workers still record events while they drain after SIGTERM.
	// Events are not fenced: they change no state, and a refused event would only be
	// retried by the broadcaster until the process exits.
	broadcaster := record.NewBroadcaster()
	broadcaster.StartRecordingToSink(&typedcorev1.EventSinkImpl{Interface: plain.CoreV1().Events("")})
	defer broadcaster.Shutdown()
	recorder := broadcaster.NewRecorder(scheme, corev1.EventSource{Component: component})

	reconcile := func(ctx context.Context) error {
		inf, err := rollout.NewInformers(kube, serin, routers, watchNS)
		if err != nil {
			return err
		}
		if len(inf.UnservedRouterKinds) > 0 {
			log.WithField("kinds", inf.UnservedRouterKinds).Info("the API server does not serve these router kinds (CRDs not installed): Rollouts that route through them wait for a restart after the CRDs are installed")
		}
		ctrl, err := rollout.New(rollout.Config{
			Kube: kube, Serin: serin, Informers: inf, Recorder: recorder, Metrics: m,
			RouterFor: trafficrouting.For, FailFast: failFast,
		})
		if err != nil {
			return err
		}
		rollouts, err := controller.NewRunner(ctrl, controller.Options{
			Workers: o.workers, SyncTimeout: rollout.SyncTimeout, Log: log, Observe: m.ObserveReconcile,
		})
		if err != nil {
			return err
		}
		// The AnalysisRun controller: its own informers and workers, under the same Lease.
		runInf := analysisrun.NewInformers(kube, serin, watchNS)
		runs, err := controller.NewRunner(analysisrun.New(analysisrun.Config{
			Kube: kube, Serin: serin, Informers: runInf, Recorder: recorder,
		}), controller.Options{
			Workers: o.analysisWorkers, SyncTimeout: analysisrun.SyncTimeout, Log: log, Observe: m.ObserveAnalysisRunReconcile,
		})
		if err != nil {
			return err
		}
		inf.Start(ctx)
		runInf.Start(ctx)
		if !inf.WaitForCacheSync(ctx) || !runInf.WaitForCacheSync(ctx) {
			return ctx.Err()
		}
		if !o.leaderElect {
			ready.Store(true)
			defer ready.Store(false)
		}
		return controller.RunAll(ctx, rollouts, runs)
	}

	log.WithFields(logrus.Fields{"namespace": orAll(watchNS), "leaderElect": o.leaderElect, "workers": o.workers, "identity": o.identity}).Info("starting")
	if !o.leaderElect {
		return reconcile(ctx)
	}
	// A standby is ready: it serves no traffic and stands ready to take the Lease. Were
	// readiness tied to leading, a surge update of the Deployment would never finish (the
	// new pod cannot lead while the old one holds the Lease).
	ready.Store(true)
	return runElected(ctx, o, log, plain, fence, watchdog, reconcile)
}

func restConfig(kubeconfig string) (*rest.Config, error) {
	if kubeconfig == "" {
		cfg, err := rest.InClusterConfig()
		if err != nil {
			return nil, fmt.Errorf("in-cluster config (pass --kubeconfig outside a cluster): %w", err)
		}
		return cfg, nil
	}
	return clientcmd.BuildConfigFromFlags("", kubeconfig)
}

func metricsMux(m *metrics.Metrics, profiling bool) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("/metrics", m.Handler())
	if profiling {
		mux.HandleFunc("/debug/pprof/", pprof.Index)
		mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
		mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
		mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
		mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	}
	return mux
}

// healthMux serves /healthz (the process and its Lease renewals are alive) and /readyz
// (electing: taking part in the election, leader or standby; not electing: caches synced).
func healthMux(ready *atomic.Bool, watchdog *leaderelection.HealthzAdaptor) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, r *http.Request) {
		if err := watchdog.Check(r); err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		fmt.Fprintln(w, "ok")
	})
	mux.HandleFunc("/readyz", func(w http.ResponseWriter, _ *http.Request) {
		if !ready.Load() {
			http.Error(w, "not ready: caches not synced", http.StatusServiceUnavailable)
			return
		}
		fmt.Fprintln(w, "ok")
	})
	return mux
}

func orAll(ns string) string {
	if ns == "" {
		return "(all)"
	}
	return ns
}
