package framework

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"time"
)

// Prometheus is a real Prometheus (Debian's package, installed by hack/prometheus.sh)
// started by a test: its own config scraping the given targets every second, its own
// storage, a free loopback port. The process is killed when the OS thread that started it
// ends (Pdeathsig), and by Stop.
type Prometheus struct {
	URL string
	cmd *exec.Cmd
}

// FindPrometheus is the binary on PATH, else /usr/bin/prometheus.
func FindPrometheus() (string, error) {
	if p, err := exec.LookPath("prometheus"); err == nil {
		return p, nil
	}
	if _, err := os.Stat("/usr/bin/prometheus"); err == nil {
		return "/usr/bin/prometheus", nil
	}
	return "", errors.New("prometheus is not installed: run hack/prometheus.sh (make e2e does)")
}

var promListening = regexp.MustCompile(`msg="Listening on" address=([0-9.]+:[0-9]+)`)

// StartPrometheus starts Prometheus scraping every target URL (e.g.
// http://127.0.0.1:9100/metrics) every second, with its config, data and log in dir, and
// returns once it is ready to answer queries.
func StartPrometheus(dir string, targets ...string) (*Prometheus, error) {
	bin, err := FindPrometheus()
	if err != nil {
		return nil, err
	}
	config := "global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\n  evaluation_interval: 1s\nscrape_configs:\n"
	for i, target := range targets {
		u, err := url.Parse(target)
		if err != nil || u.Host == "" {
			return nil, fmt.Errorf("prometheus target %q: not a URL with a host", target)
		}
		path := u.Path
		if path == "" {
			path = "/metrics"
		}
		config += fmt.Sprintf("- job_name: serin-e2e-%d\n  metrics_path: %q\n  static_configs:\n  - targets: [%q]\n", i, path, u.Host)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	cfgPath := filepath.Join(dir, "prometheus.yml")
	if err := os.WriteFile(cfgPath, []byte(config), 0o644); err != nil {
		return nil, err
	}
	logFile, err := os.Create(filepath.Join(dir, "prometheus.log"))
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(bin,
		"--config.file="+cfgPath,
		"--storage.tsdb.path="+filepath.Join(dir, "data"),
		"--web.listen-address=127.0.0.1:0",
		"--log.level=info")
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	stderr, err := cmd.StderrPipe()
	if err != nil {
		return nil, err
	}
	cmd.Stdout = logFile
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", bin, err)
	}
	p := &Prometheus{cmd: cmd}
	addr, ready := make(chan string, 1), make(chan struct{})
	go func() {
		// Copy the log and watch it for the bound address and readiness.
		sc := bufio.NewScanner(io.TeeReader(stderr, logFile))
		readyClosed := false
		for sc.Scan() {
			line := sc.Text()
			if m := promListening.FindStringSubmatch(line); m != nil {
				addr <- m[1]
			}
			if !readyClosed && strings.Contains(line, "Server is ready to receive web requests") {
				close(ready)
				readyClosed = true
			}
		}
		_, _ = io.Copy(io.Discard, stderr)
	}()
	timeout := time.After(60 * time.Second)
	select {
	case a := <-addr:
		p.URL = (&url.URL{Scheme: "http", Host: a}).String()
	case <-timeout:
		p.Stop()
		return nil, fmt.Errorf("prometheus did not log its address within 60s; see %s", logFile.Name())
	}
	select {
	case <-ready:
	case <-timeout:
		p.Stop()
		return nil, fmt.Errorf("prometheus was not ready within 60s; see %s", logFile.Name())
	}
	return p, nil
}

// Binary is the path of the Prometheus binary that runs.
func (p *Prometheus) Binary() string { return p.cmd.Path }

// Stop kills Prometheus and waits for it.
func (p *Prometheus) Stop() {
	_ = p.cmd.Process.Kill()
	_ = p.cmd.Wait()
}
