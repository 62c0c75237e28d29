package cluster

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"time"
)

// InstallCRDs installs the CRDs in dir with the real kubectl, server-side (CRDs with full
// pod templates outgrow the client-side apply annotation): `apply -k dir` when dir has a
// kustomization.yaml, else every YAML file in it. It waits until each is Established and
// returns their names; an empty or missing dir installs nothing and returns none.
func (c *Cluster) InstallCRDs(ctx context.Context, dir string) ([]string, error) {
	args := []string{"apply", "--server-side", "--force-conflicts", "-o", "name"}
	if _, err := os.Stat(filepath.Join(dir, "kustomization.yaml")); err == nil {
		args = append(args, "-k", dir)
	} else {
		var files []string
		for _, pattern := range []string{"*.yaml", "*.yml"} {
			m, _ := filepath.Glob(filepath.Join(dir, pattern))
			files = append(files, m...)
		}
		if len(files) == 0 {
			return nil, nil
		}
		for _, file := range files {
			args = append(args, "-f", file)
		}
	}
	out, err := c.Kubectl(ctx, args...)
	if err != nil {
		return nil, fmt.Errorf("install CRDs from %s: %w", dir, err)
	}
	names := strings.Fields(string(out))
	if _, err := c.Kubectl(ctx, append([]string{"wait", "--for=condition=Established", "--timeout=60s"}, names...)...); err != nil {
		return nil, fmt.Errorf("wait for CRDs from %s: %w", dir, err)
	}
	return names, nil
}

// Controller is a controller binary (bin/serin-controller) running against a cluster as
// its real binary, out of process, the way a user runs it.
type Controller struct {
	Binary  string
	Args    []string
	LogPath string // its stdout and stderr
	cmd     *exec.Cmd
	exited  chan struct{}
	err     error // the process' exit status, valid once exited is closed
}

// StartController starts bin with --kubeconfig for c, free loopback ports for its metrics
// and health servers, and args (which come later and win), logging to logPath. It fails
// when the binary is missing (`make build`) or exits within its first second.
func (c *Cluster) StartController(bin, logPath string, args ...string) (*Controller, error) {
	if _, err := os.Stat(bin); err != nil {
		return nil, fmt.Errorf("controller binary: %w (run `make build`)", err)
	}
	ctl := &Controller{
		Binary: bin,
		Args: append([]string{"--kubeconfig", c.Kubeconfig,
			"--metrics-addr=127.0.0.1:0", "--health-addr=127.0.0.1:0"}, args...),
		LogPath: logPath,
		exited:  make(chan struct{}),
	}
	logFile, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	ctl.cmd = exec.Command(ctl.Binary, ctl.Args...)
	ctl.cmd.Stdout, ctl.cmd.Stderr = logFile, logFile
	ctl.cmd.Env = c.Env()
	if err := ctl.cmd.Start(); err != nil {
		logFile.Close()
		return nil, fmt.Errorf("start %s: %w", bin, err)
	}
	go func() {
		ctl.err = ctl.cmd.Wait()
		logFile.Close()
		close(ctl.exited)
	}()
	// A controller that cannot start (bad flags, no RBAC, no CRDs) exits at once: report
	// that here rather than as a confusing timeout later.
	select {
	case <-ctl.exited:
		return nil, fmt.Errorf("%s exited at start: %v; log: %s", bin, ctl.err, logPath)
	case <-time.After(time.Second):
	}
	return ctl, nil
}

// PID is the controller's process id.
func (c *Controller) PID() int { return c.cmd.Process.Pid }

// Running reports whether the controller process is still alive.
func (c *Controller) Running() bool {
	select {
	case <-c.exited:
		return false
	default:
		return true
	}
}

// Stop sends SIGTERM, waits up to 10s for a clean exit (leader election released), then
// kills it.
func (c *Controller) Stop() {
	if !c.Running() {
		return
	}
	_ = c.cmd.Process.Signal(syscall.SIGTERM)
	_ = c.cmd.Process.Signal(syscall.SIGCONT) // a frozen one handles SIGTERM once thawed
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	select {
	case <-c.exited:
	case <-ctx.Done():
		_ = c.cmd.Process.Kill()
		<-c.exited
	}
}

// Freeze stops the process (SIGSTOP) as a long GC pause, a frozen VM or a starved node
// would: it neither runs nor exits until thawed.
func (c *Controller) Freeze() error { return c.cmd.Process.Signal(syscall.SIGSTOP) }

// Thaw lets a frozen process run on (SIGCONT).
func (c *Controller) Thaw() error { return c.cmd.Process.Signal(syscall.SIGCONT) }

// Kill ends the process at once (SIGKILL), as a crash or an OOM kill would, and waits
// for it to be gone.
func (c *Controller) Kill() {
	_ = c.cmd.Process.Kill()
	<-c.exited
}

// Exited is closed when the process has exited; ExitErr is then its exit status.
func (c *Controller) Exited() <-chan struct{} { return c.exited }

// ExitErr is the process' exit status once Exited is closed (nil: exit code 0).
func (c *Controller) ExitErr() error {
	<-c.exited
	return c.err
}

// Log returns the end of the controller's log (at most max bytes).
func (c *Controller) Log(max int64) string { return Tail(c.LogPath, max) }

// Tail returns the end of the file at path, at most max bytes (or why it cannot be read).
func Tail(path string, max int64) string {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Sprintf("(cannot read %s: %v)", path, err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return err.Error()
	}
	off := st.Size() - max
	if off < 0 {
		off = 0
	}
	buf := make([]byte, st.Size()-off)
	if _, err := f.ReadAt(buf, off); err != nil {
		return err.Error()
	}
	return string(buf)
}

// Addr returns the address the controller's "metrics" or "health" server bound, read from
// the "serving" line it logs at start (text log format).
func (c *Controller) Addr(server string) (string, error) {
	data, err := os.ReadFile(c.LogPath)
	if err != nil {
		return "", err
	}
	re := regexp.MustCompile(`msg=serving addr="?([^" ]+)"? server=` + regexp.QuoteMeta(server) + `\b`)
	m := re.FindSubmatch(data)
	if m == nil {
		return "", fmt.Errorf("no %q server address in %s", server, c.LogPath)
	}
	return string(m[1]), nil
}
