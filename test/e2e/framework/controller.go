package framework

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"syscall"
	"time"
)

// Controller is bin/serin-controller running against the package's cluster as its real
// binary, out of process, the way a user runs it.
type Controller struct {
	Binary  string
	Args    []string
	LogPath string // its stdout and stderr, under Artifacts
	cmd     *exec.Cmd
	exited  chan struct{}
	err     error // the process' exit status, valid once exited is closed
}

// ControllerBinary is where `make build` puts the controller.
func (f *Framework) ControllerBinary() string { return f.Path("bin", "serin-controller") }

// StartController starts bin/serin-controller with --kubeconfig for the cluster and args,
// logging to Artifacts/controller.log, and records it as f.Controller so that failure
// dumps include its log and tear-down stops it. Tests (or Main via WithController) call
// it once per package, after the CRDs are installed; it fails when the binary has not
// been built (`make build`) or exits within its first second.
func (f *Framework) StartController(args ...string) (*Controller, error) {
	if f.Controller != nil {
		return nil, errors.New("controller already started")
	}
	c, err := f.startController(filepath.Join(f.Artifacts, "controller.log"), args)
	if err != nil {
		return nil, err
	}
	f.Controller = c
	return c, nil
}

// StartReplica starts one more bin/serin-controller, as StartController does, logging to
// Artifacts/controller-<name>.log; tear-down stops it. Tests running several replicas
// (leader election) call it once per replica; the replica is not f.Controller.
func (f *Framework) StartReplica(name string, args ...string) (*Controller, error) {
	c, err := f.startController(filepath.Join(f.Artifacts, "controller-"+name+".log"), args)
	if err != nil {
		return nil, err
	}
	f.replicasMu.Lock()
	f.replicas = append(f.replicas, c)
	f.replicasMu.Unlock()
	return c, nil
}

func (f *Framework) startController(logPath string, args []string) (*Controller, error) {
	bin := f.ControllerBinary()
	if _, err := os.Stat(bin); err != nil {
		return nil, fmt.Errorf("controller binary: %w (run `make build`)", err)
	}
	c := &Controller{
		Binary: bin,
		// Free ports by default so that e2e packages running at once never collide; a
		// test's own --metrics-addr or --health-addr comes later and wins.
		Args: append([]string{"--kubeconfig", f.Cluster.Kubeconfig,
			"--metrics-addr=127.0.0.1:0", "--health-addr=127.0.0.1:0"}, args...),
		LogPath: logPath,
		exited:  make(chan struct{}),
	}
	logFile, err := os.Create(c.LogPath)
	if err != nil {
		return nil, err
	}
	c.cmd = exec.Command(c.Binary, c.Args...)
	c.cmd.Stdout, c.cmd.Stderr = logFile, logFile
	c.cmd.Env = f.Cluster.Env()
	if err := c.cmd.Start(); err != nil {
		logFile.Close()
		return nil, fmt.Errorf("start %s: %w", bin, err)
	}
	go func() {
		c.err = c.cmd.Wait()
		logFile.Close()
		close(c.exited)
	}()
	// A controller that cannot start (bad flags, no RBAC, no CRDs) exits at once: report
	// that here rather than as a confusing timeout in the first test.
	select {
	case <-c.exited:
		return nil, fmt.Errorf("%s exited at start: %v; log: %s", bin, c.err, c.LogPath)
	case <-time.After(time.Second):
	}
	return c, nil
}

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
func (c *Controller) Log(max int64) string {
	return tail(c.LogPath, max)
}

func tail(path string, max int64) string {
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
