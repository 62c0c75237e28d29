// Package framework runs end-to-end tests against a real local control plane (see
// test/cluster): one cluster per test package, one namespace per test.
//
// A test package wires it in from TestMain, and each test gets its own namespace:
//
//	func TestMain(m *testing.M) { framework.Main(m) }
//
//	func TestSomething(t *testing.T) {
//		t.Parallel()
//		e := framework.NewEnv(t)
//		e.Given().Apply(replicaSetYAML).
//			Then().PodsReady("app=web", 3)
//	}
//
// Main starts the cluster under a unique name, installs the CRDs in manifests/crds and,
// with WithController, the controller binary; it tears everything down after the tests and
// keeps the component logs under .cache/e2e/<cluster>/. A failing test leaves a dump of its
// namespace (objects, events, controller log) there too, and a summary in its log.
package framework

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/serin-dev/serin/test/cluster"
)

// Framework is the package's cluster and its clients, shared by every test of a package.
type Framework struct {
	Cluster    *cluster.Cluster
	Config     *rest.Config // cluster-admin
	Kube       kubernetes.Interface
	Dynamic    dynamic.Interface
	Controller *Controller   // nil unless started (WithController or StartController)
	replicas   []*Controller // StartReplica's, stopped at tear-down
	replicasMu sync.Mutex
	Traefik    *Traefik // nil unless started (WithTraefik or StartTraefik)
	PodSim     *PodSim  // nil unless started (WithPodSimulator or StartPodSimulator)
	// Artifacts is where logs and failure dumps go: .cache/e2e/<cluster name>.
	Artifacts string

	downOnce sync.Once
}

var current *Framework

// Current returns the package's Framework; it panics outside of Main.
func Current() *Framework {
	if current == nil {
		panic("framework: no cluster; call framework.Main(m) from TestMain")
	}
	return current
}

// Option configures Main.
type Option func(*options)

type options struct {
	nodes          int
	controller     bool
	controllerArgs []string
	gatewayAPI     bool
	audit          bool
	traefik        *TraefikOptions
	podSim         bool
}

// WithAudit turns kube-apiserver's audit log on (test/cluster Options.Audit): every
// write with its user agent, in Cluster.AuditLog.
func WithAudit() Option { return func(o *options) { o.audit = true } }

// WithNodes sets how many fake Nodes the cluster gets (default 3).
func WithNodes(n int) Option { return func(o *options) { o.nodes = n } }

// WithController starts bin/serin-controller (see StartController) once the CRDs are in,
// with these extra arguments; the package fails if the binary is missing.
func WithController(args ...string) Option {
	return func(o *options) { o.controller, o.controllerArgs = true, args }
}

// Main is TestMain for an e2e package: it brings the cluster up, runs the tests, and
// tears it down. Set SERIN_E2E_KEEP_CLUSTER=1 to leave the cluster running afterwards.
func Main(m *testing.M, opts ...Option) {
	os.Exit(run(m, opts))
}

func run(m *testing.M, opts []Option) int {
	o := options{nodes: 3}
	for _, opt := range opts {
		opt(&o)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()

	var f *Framework
	var mu sync.Mutex // guards f against the signal handler
	// A signal (Ctrl-C, kill) must not leave the cluster running. (go test's -timeout
	// kills the binary without one: hack/e2e.sh deletes what is left after a run.)
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	defer signal.Stop(sigs)
	go func() {
		if _, ok := <-sigs; !ok {
			return
		}
		fmt.Fprintln(os.Stderr, "e2e: interrupted; deleting the cluster")
		cancel()
		mu.Lock()
		if f != nil {
			f.tearDown()
		}
		os.Exit(1)
	}()

	mu.Lock()
	var err error
	f, err = setUp(ctx, o)
	mu.Unlock()
	if f != nil {
		defer f.tearDown()
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "e2e: %v\n", err)
		return 1
	}
	current = f
	return m.Run()
}

func setUp(ctx context.Context, o options) (*Framework, error) {
	root, err := cluster.RepoRoot()
	if err != nil {
		return nil, err
	}
	wd, _ := os.Getwd()
	name := fmt.Sprintf("e2e-%s-%d", sanitize(filepath.Base(wd), 20), os.Getpid())
	artifacts := filepath.Join(root, ".cache", "e2e", name)
	if err := os.MkdirAll(artifacts, 0o755); err != nil {
		return nil, err
	}
	kwokLog, err := os.Create(filepath.Join(artifacts, "kwokctl.log"))
	if err != nil {
		return nil, err
	}
	defer kwokLog.Close()

	fmt.Printf("e2e: starting cluster %s (artifacts in %s)\n", name, artifacts)
	c, err := cluster.Up(ctx, cluster.Options{Name: name, Nodes: o.nodes, Root: root, Log: kwokLog, Audit: o.audit})
	if c == nil {
		return nil, err
	}
	f := &Framework{Cluster: c, Artifacts: artifacts}
	if err != nil {
		return f, err
	}
	fmt.Printf("e2e: cluster %s ready: API in %.1fs; KUBECONFIG=%s\n", name, c.StartupTime.Seconds(), c.Kubeconfig)

	if f.Config, err = clientcmd.BuildConfigFromFlags("", c.Kubeconfig); err != nil {
		return f, err
	}
	f.Config.QPS, f.Config.Burst = 200, 400
	if f.Kube, err = kubernetes.NewForConfig(f.Config); err != nil {
		return f, err
	}
	if f.Dynamic, err = dynamic.NewForConfig(f.Config); err != nil {
		return f, err
	}
	if err := f.InstallCRDs(ctx, filepath.Join(root, "manifests", "crds")); err != nil {
		return f, err
	}
	if o.gatewayAPI {
		if err := f.InstallGatewayAPICRDs(ctx); err != nil {
			return f, err
		}
	}
	if o.controller {
		if _, err := f.StartController(o.controllerArgs...); err != nil {
			return f, err
		}
	}
	if o.podSim {
		if _, err := f.StartPodSimulator(ctx); err != nil {
			return f, err
		}
	}
	if o.traefik != nil {
		t, err := f.StartTraefik(ctx, *o.traefik)
		if err != nil {
			return f, err
		}
		fmt.Printf("e2e: traefik ready: entrypoint %s, metrics %s; log %s\n", t.WebURL, t.MetricsURL, t.LogPath)
	}
	return f, nil
}

// tearDown stops the controller, copies the component logs into Artifacts and deletes
// the cluster, leaving no process. It runs at most once.
func (f *Framework) tearDown() { f.downOnce.Do(f.down) }

func (f *Framework) down() {
	c := f.Cluster
	if f.Controller != nil {
		f.Controller.Stop()
	}
	f.replicasMu.Lock()
	for _, r := range f.replicas {
		r.Stop()
	}
	f.replicasMu.Unlock()
	if f.Traefik != nil {
		f.Traefik.Stop()
	}
	if f.PodSim != nil {
		f.PodSim.Stop()
	}
	if procs, err := c.Processes(); err == nil {
		fmt.Printf("e2e: control plane memory at the end: %s\n", cluster.MemoryReport(procs))
	}
	if err := c.SaveLogs(filepath.Join(f.Artifacts, "logs")); err != nil {
		fmt.Fprintf(os.Stderr, "e2e: keeping logs: %v\n", err)
	}
	if os.Getenv("SERIN_E2E_KEEP_CLUSTER") == "1" {
		fmt.Printf("e2e: keeping cluster %s: export KUBECONFIG=%s; delete it with `go run ./hack/cluster down -name %s`\n",
			c.Name, c.Kubeconfig, c.Name)
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if err := c.Down(ctx); err != nil {
		fmt.Fprintf(os.Stderr, "e2e: deleting cluster %s: %v\n", c.Name, err)
		return
	}
	fmt.Printf("e2e: cluster %s deleted; logs in %s\n", c.Name, filepath.Join(f.Artifacts, "logs"))
}

// InstallCRDs installs the CRDs in dir (see cluster.InstallCRDs) and says how many; an
// empty or missing dir is not an error: it says so and skips.
func (f *Framework) InstallCRDs(ctx context.Context, dir string) error {
	names, err := f.Cluster.InstallCRDs(ctx, dir)
	if err != nil {
		return err
	}
	if len(names) == 0 {
		fmt.Printf("e2e: no CRDs in %s yet; skipping their installation\n", dir)
		return nil
	}
	fmt.Printf("e2e: installed %d CRDs from %s\n", len(names), dir)
	return nil
}

// Path returns a path under the repository root, e.g. Path("examples").
func (f *Framework) Path(elem ...string) string {
	return filepath.Join(append([]string{f.Cluster.Root}, elem...)...)
}

// sanitize turns s into a DNS label fragment of at most max characters.
func sanitize(s string, max int) string {
	var b strings.Builder
	for _, r := range strings.ToLower(s) {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9':
			b.WriteRune(r)
		default:
			b.WriteByte('-')
		}
	}
	out := strings.Trim(b.String(), "-")
	if len(out) > max {
		out = strings.Trim(out[:max], "-")
	}
	if out == "" {
		out = "x"
	}
	return out
}
