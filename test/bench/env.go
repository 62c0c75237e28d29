package bench

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/serin-dev/serin/test/cluster"
)

// Env is one scenario's own local control plane, its clients and (once started) the
// controller.
type Env struct {
	Cluster    *cluster.Cluster
	Kube       kubernetes.Interface
	Dyn        dynamic.Interface
	Controller *cluster.Controller
	Dir        string // this scenario's artifacts: kwokctl log, controller log, saved logs
	NS         string // the group's namespace
	// shared: the control plane serves every group (QUICK); the controller watches NS only.
	shared bool
	root   string
	log    func(format string, args ...any)
}

// envOptions are what a scenario asks of its control plane.
type envOptions struct {
	Nodes  int
	KCMQPS int // kube-controller-manager's client QPS; test/cluster's default when zero
}

// up starts a fresh control plane named bench-<scenario>-<pid> and installs the CRDs.
func up(ctx context.Context, root, artifacts, scenario string, o envOptions, log func(string, ...any)) (*Env, error) {
	name := fmt.Sprintf("bench-%s-%d", scenario, os.Getpid())
	dir := filepath.Join(artifacts, scenario)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	kwokLog, err := os.Create(filepath.Join(dir, "kwokctl.log"))
	if err != nil {
		return nil, err
	}
	defer kwokLog.Close()
	start := time.Now()
	log("starting control plane %s (%d nodes)", name, o.Nodes)
	c, err := cluster.Up(ctx, cluster.Options{Name: name, Nodes: o.Nodes, Root: root, Log: kwokLog,
		ControllerManagerQPS: o.KCMQPS})
	if c == nil {
		return nil, err
	}
	e := &Env{Cluster: c, Dir: dir, NS: scenario, root: root, log: log}
	if err != nil {
		return e, err
	}
	cfg, err := clientcmd.BuildConfigFromFlags("", c.Kubeconfig)
	if err != nil {
		return e, err
	}
	// The benchmark's own client must never be what waits.
	cfg.QPS, cfg.Burst = 2000, 4000
	if e.Kube, err = kubernetes.NewForConfig(cfg); err != nil {
		return e, err
	}
	if e.Dyn, err = dynamic.NewForConfig(cfg); err != nil {
		return e, err
	}
	if _, err := c.InstallCRDs(ctx, filepath.Join(root, "manifests", "crds")); err != nil {
		return e, err
	}
	log("control plane up in %.1fs", time.Since(start).Seconds())
	return e, nil
}

// down stops the controller and deletes the control plane, keeping its logs in Dir.
func (e *Env) down() {
	if e.Controller != nil {
		e.Controller.Stop()
	}
	_ = e.Cluster.SaveLogs(filepath.Join(e.Dir, "logs"))
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if err := e.Cluster.Down(ctx); err != nil {
		e.log("deleting control plane %s: %v", e.Cluster.Name, err)
	}
}

// startController starts bin/serin-controller without leader election (no Lease renewals
// in the request counts) and with pprof on its loopback metrics listener.
func (e *Env) startController(args ...string) error {
	if e.Controller != nil {
		e.Controller.Stop()
	}
	bin := filepath.Join(e.root, "bin", "serin-controller")
	all := append([]string{"--leader-elect=false", "--profiling"}, args...)
	if e.shared {
		all = append(all, "--namespaced", "--namespace="+e.NS)
	}
	c, err := e.Cluster.StartController(bin, filepath.Join(e.Dir, fmt.Sprintf("controller-%d.log", time.Now().UnixNano())), all...)
	if err != nil {
		return err
	}
	e.Controller = c
	return nil
}

// namespace creates a namespace and waits for its default ServiceAccount.
func (e *Env) namespace(ctx context.Context, name string) error {
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name}}
	if _, err := e.Kube.CoreV1().Namespaces().Create(ctx, ns, metav1.CreateOptions{}); err != nil {
		return err
	}
	for {
		if _, err := e.Kube.CoreV1().ServiceAccounts(name).Get(ctx, "default", metav1.GetOptions{}); err == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// metricsURL is the controller's /metrics (or another path on that listener).
func (e *Env) metricsURL(path string) (string, error) {
	addr, err := e.Controller.Addr("metrics")
	if err != nil {
		return "", err
	}
	return "http://" + addr + path, nil
}

// scrape fetches the controller's /metrics: its size and the samples.
func (e *Env) scrape(ctx context.Context) (Metrics, error) {
	url, err := e.metricsURL("/metrics")
	if err != nil {
		return Metrics{}, err
	}
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return Metrics{}, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return Metrics{}, err
	}
	return parseMetrics(body), nil
}

// Metrics is a parsed Prometheus text exposition: each sample line's series and value.
type Metrics struct {
	Bytes   int
	Samples map[string]float64 // `name{labels}` as written
}

func parseMetrics(body []byte) Metrics {
	m := Metrics{Bytes: len(body), Samples: map[string]float64{}}
	s := bufio.NewScanner(strings.NewReader(string(body)))
	s.Buffer(make([]byte, 1<<20), 1<<20)
	for s.Scan() {
		line := s.Text()
		if line == "" || line[0] == '#' {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		if i < 0 {
			continue
		}
		v, err := strconv.ParseFloat(line[i+1:], 64)
		if err == nil {
			m.Samples[line[:i]] = v
		}
	}
	return m
}

// Sum adds the samples of the metric name whose labels contain every one of match
// (each written `key="value"`).
func (m Metrics) Sum(name string, match ...string) float64 {
	var sum float64
	for series, v := range m.Samples {
		base, labels, _ := strings.Cut(series, "{")
		if base != name {
			continue
		}
		ok := true
		for _, l := range match {
			if !strings.Contains(labels, l) {
				ok = false
			}
		}
		if ok {
			sum += v
		}
	}
	return sum
}

// Series counts the series whose name starts with prefix.
func (m Metrics) Series(prefix string) int {
	n := 0
	for series := range m.Samples {
		if strings.HasPrefix(series, prefix) {
			n++
		}
	}
	return n
}

// procStat reads a process' CPU time (user + system) and its current and peak RSS.
func procStat(pid int) (cpu time.Duration, rss, peak int64, err error) {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, 0, 0, err
	}
	s := string(data)
	fields := strings.Fields(s[strings.LastIndexByte(s, ')')+2:])
	// After the command: state is field 3, utime 14 and stime 15 (1-based, man proc).
	utime, _ := strconv.ParseInt(fields[11], 10, 64)
	stime, _ := strconv.ParseInt(fields[12], 10, 64)
	const ticks = 100 // USER_HZ on Linux
	cpu = time.Duration(utime+stime) * time.Second / ticks
	rss, peak = cluster.Memory(pid)
	return cpu, rss, peak, nil
}
