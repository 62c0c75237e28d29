//go:build e2e

package analysis

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

// promServer is a real Prometheus (Debian's package, installed by hack/prometheus.sh)
// started for the package: its own config scraping the test's metrics target every
// second, its own storage, a free loopback port. It dies with the test binary.
type promServer struct {
	URL string
	cmd *exec.Cmd
}

// findPrometheus is the binary on PATH, else /usr/bin/prometheus.
func findPrometheus() (string, error) {
	if p, err := exec.LookPath("prometheus"); err == nil {
		return p, nil
	}
	if _, err := os.Stat("/usr/bin/prometheus"); err == nil {
		return "/usr/bin/prometheus", nil
	}
	return "", errors.New("prometheus is not installed: run hack/prometheus.sh (make e2e does)")
}

var listening = regexp.MustCompile(`msg="Listening on" address=([0-9.]+:[0-9]+)`)

// startPrometheus starts Prometheus scraping target (host:port) with its data and log in
// dir, and returns once it is ready to answer queries.
func startPrometheus(dir, target string) (*promServer, error) {
	bin, err := findPrometheus()
	if err != nil {
		return nil, err
	}
	config := fmt.Sprintf(`global:
  scrape_interval: 1s
  scrape_timeout: 1s
  evaluation_interval: 1s
scrape_configs:
- job_name: serin-e2e
  static_configs:
  - targets: [%q]
`, target)
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
	// Killed with the test binary: TestMain's os.Exit runs no deferred stop. (The thread
	// that starts it is locked for the life of the process; see TestMain.)
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	stderr, err := cmd.StderrPipe()
	if err != nil {
		return nil, err
	}
	cmd.Stdout = logFile
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", bin, err)
	}
	p := &promServer{cmd: cmd}
	addr, ready := make(chan string, 1), make(chan struct{})
	go func() {
		// Copy the log and watch it for the bound address and readiness.
		sc := bufio.NewScanner(io.TeeReader(stderr, logFile))
		readyClosed := false
		for sc.Scan() {
			line := sc.Text()
			if m := listening.FindStringSubmatch(line); m != nil {
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
		p.stop()
		return nil, fmt.Errorf("prometheus did not log its address within 60s; see %s", logFile.Name())
	}
	select {
	case <-ready:
	case <-timeout:
		p.stop()
		return nil, fmt.Errorf("prometheus was not ready within 60s; see %s", logFile.Name())
	}
	return p, nil
}

func (p *promServer) stop() {
	_ = p.cmd.Process.Kill()
	_ = p.cmd.Wait()
}
