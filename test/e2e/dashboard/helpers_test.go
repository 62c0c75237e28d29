//go:build e2e

package dashboard

import (
	"bufio"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/serin-dev/serin/pkg/apis/rollouts/v1alpha1"
	"github.com/serin-dev/serin/test/e2e/framework"
)

// app is Rollout "web" (4 replicas, nginx routing, six steps whose pauses wait for a
// promote) with its Services and stable Ingress.
func app(image string) string {
	return framework.NginxCanaryApp(image, 4, "      abortScaleDownDelaySeconds: 5\n",
		"      - setWeight: 20\n      - pause: {}\n      - setWeight: 50\n      - pause: {}\n      - setWeight: 80\n      - pause: {}\n")
}

// waitRollout waits until Rollout "web" has observed its generation and satisfies cond.
func waitRollout(e *framework.Env, what string, cond func(*v1alpha1.Rollout) bool) *v1alpha1.Rollout {
	e.T.Helper()
	return e.WaitRollout("web", what, cond)
}

// addAnalysisRun creates an AnalysisRun owned by Rollout "web" with three measurements of
// a metric whose success condition has a threshold, written through the status
// subresource as the analysis controller would: what the page must chart.
func addAnalysisRun(e *framework.Env, ro *v1alpha1.Rollout) {
	e.T.Helper()
	e.Given().Apply(fmt.Sprintf(`apiVersion: serin.dev/v1alpha1
kind: AnalysisRun
metadata:
  name: web-error-rate
  ownerReferences:
  - {apiVersion: serin.dev/v1alpha1, kind: Rollout, name: web, uid: %s, controller: true}
spec:
  metrics:
  - name: error-rate
    interval: 10s
    successCondition: result[0] < 0.05
    provider:
      prometheus:
        address: http://prometheus.invalid:9090
        query: sum(rate(errors[1m]))
`, ro.UID))
	e.Kubectl("patch", "analysisrun", "web-error-rate", "--subresource=status", "--type=merge", "-p", `{"status":{
  "phase":"Running","startedAt":"2026-01-01T00:00:00Z",
  "metricResults":[{"name":"error-rate","phase":"Running","count":3,"successful":2,"failed":1,"measurements":[
    {"phase":"Successful","value":"[0.01]","startedAt":"2026-01-01T00:00:00Z","finishedAt":"2026-01-01T00:00:01Z"},
    {"phase":"Successful","value":"[0.03]","startedAt":"2026-01-01T00:00:10Z","finishedAt":"2026-01-01T00:00:11Z"},
    {"phase":"Failed","value":"[0.09]","startedAt":"2026-01-01T00:00:20Z","finishedAt":"2026-01-01T00:00:21Z"}]}]}}`)
}

// dashboardProc is `kubectl serin dashboard` running as the real plugin binary.
type dashboardProc struct {
	url     string
	logPath string
	stop    func() error // SIGTERM, then wait up to 10s; once
}

func (d *dashboardProc) log() string {
	data, err := os.ReadFile(d.logPath)
	if err != nil {
		return err.Error()
	}
	return string(data)
}

var urlLine = regexp.MustCompile(`^Serin dashboard \(.*\): (http://\S+)$`)

// startDashboard runs bin/kubectl-serin dashboard with args against the package's
// cluster and waits for the line with its URL; the test's cleanup stops it.
func startDashboard(e *framework.Env, args ...string) *dashboardProc {
	t := e.T
	t.Helper()
	bin := e.F.Path("bin", "kubectl-serin")
	if _, err := os.Stat(bin); err != nil {
		t.Fatalf("%v: run `make build`", err)
	}
	logFile, err := os.CreateTemp(e.F.Artifacts, "dashboard-*.log")
	if err != nil {
		t.Fatal(err)
	}
	d := &dashboardProc{logPath: logFile.Name()}
	cmd := exec.Command(bin, append([]string{"dashboard", "--kubeconfig", e.F.Cluster.Kubeconfig}, args...)...)
	cmd.Stderr = logFile
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait(); logFile.Close() }()
	d.stop = sync.OnceValue(func() error {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case err := <-exited:
			if err != nil {
				return fmt.Errorf("dashboard exited with %w after SIGTERM; log %s", err, d.logPath)
			}
			return nil
		case <-time.After(10 * time.Second):
			_ = cmd.Process.Kill()
			return fmt.Errorf("dashboard still running 10s after SIGTERM; log %s", d.logPath)
		}
	})
	t.Cleanup(func() {
		if err := d.stop(); err != nil {
			t.Error(err)
		}
	})
	found := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if m := urlLine.FindStringSubmatch(sc.Text()); m != nil {
				found <- m[1]
			}
		}
		_, _ = io.Copy(io.Discard, stdout)
	}()
	select {
	case d.url = <-found:
	case err := <-exited:
		t.Fatalf("dashboard exited at start: %v\n%s", err, d.log())
	case <-time.After(framework.DefaultTimeout):
		t.Fatalf("no URL from the dashboard within %s\n%s", framework.DefaultTimeout, d.log())
	}
	t.Logf("dashboard %v at %s (log %s)", args, d.url, filepath.Base(d.logPath))
	return d
}

type httpResult struct {
	status int
	body   string
}

// httpDo sends one request, with Host overridden when host is set.
func httpDo(t *testing.T, method, url, host string, headers map[string]string) httpResult {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), method, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	if host != "" {
		req.Host = host
	}
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return httpResult{status: resp.StatusCode, body: strings.TrimSpace(string(body))}
}
