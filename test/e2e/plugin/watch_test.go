//go:build e2e

package plugin

import (
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/serin-dev/serin/pkg/apis/rollouts/v1alpha1"
	"github.com/serin-dev/serin/test/e2e/framework"
)

// pane is a tmux session (on its own server socket) whose output streams into a FIFO:
// each chunk the program writes is an event the test waits on, and capture-pane shows
// the screen as a person sees it.
type pane struct {
	t      *testing.T
	tmux   string
	socket string
	mu     sync.Mutex
	stream strings.Builder
	more   chan struct{} // a value after each chunk of output
}

func newPane(t *testing.T, name string) *pane {
	t.Helper()
	tmux, err := exec.LookPath("tmux")
	if err != nil {
		t.Fatalf("tmux is not installed: run hack/install-tmux.sh (make e2e runs it)")
	}
	p := &pane{t: t, tmux: tmux, socket: "serin-e2e-" + name, more: make(chan struct{}, 1)}
	fifo := filepath.Join(t.TempDir(), "pane.fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	p.run("-f", "/dev/null", "new-session", "-d", "-s", "w", "-x", "200", "-y", "60", "sh")
	t.Cleanup(func() { _ = exec.Command(p.tmux, "-L", p.socket, "kill-server").Run() })
	go p.read(fifo)
	p.run("pipe-pane", "-t", "w", "-o", "cat > "+fifo)
	return p
}

func (p *pane) run(args ...string) string {
	p.t.Helper()
	out, err := exec.Command(p.tmux, append([]string{"-L", p.socket}, args...)...).CombinedOutput()
	if err != nil {
		p.t.Fatalf("tmux %v: %v: %s", args, err, out)
	}
	return string(out)
}

func (p *pane) read(fifo string) {
	f, err := os.Open(fifo) // blocks until tmux's cat opens it for writing
	if err != nil {
		return
	}
	defer f.Close()
	buf := make([]byte, 64<<10)
	for {
		n, err := f.Read(buf)
		if n > 0 {
			p.mu.Lock()
			p.stream.Write(buf[:n])
			p.mu.Unlock()
			select {
			case p.more <- struct{}{}:
			default:
			}
		}
		if err != nil {
			if !errors.Is(err, io.EOF) {
				p.t.Logf("pane stream: %v", err)
			}
			return
		}
	}
}

func (p *pane) output() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.stream.String()
}

// screen is what the pane shows now.
func (p *pane) screen() string { return p.run("capture-pane", "-p", "-t", "w") }

// waitScreen waits, on each chunk of output, until the screen satisfies cond.
func (p *pane) waitScreen(what string, cond func(screen string) bool) string {
	p.t.Helper()
	deadline := time.NewTimer(framework.DefaultTimeout)
	defer deadline.Stop()
	for {
		s := p.screen()
		if cond(s) {
			return s
		}
		select {
		case <-p.more:
		case <-deadline.C:
			p.t.Fatalf("the pane never showed %s; screen:\n%s", what, s)
		}
	}
}

// get rollout --watch in a terminal redraws in place as the rollout advances: one
// header on screen at a time, the screen cleared once at the start only.
func TestGetWatchRedrawsInTmux(t *testing.T) {
	t.Parallel()
	e := framework.NewEnv(t)
	p := newPane(t, e.Namespace)
	e.Given().Apply(app("web:1", "      - setWeight: 25\n      - pause: {}\n"))
	waitRollout(e, "Healthy", phase(v1alpha1.RolloutPhaseHealthy))

	var path, kubeconfig string
	for _, kv := range pluginEnv(e) {
		if v, ok := strings.CutPrefix(kv, "PATH="); ok {
			path = v
		}
		if v, ok := strings.CutPrefix(kv, "KUBECONFIG="); ok {
			kubeconfig = v
		}
	}
	p.run("send-keys", "-t", "w", fmt.Sprintf("exec env KUBECONFIG='%s' PATH='%s' kubectl serin get rollout web --watch -n %s", kubeconfig, path, e.Namespace), "Enter")

	oneHeader := func(s string) bool { return strings.Count(s, "Name:") == 1 && strings.Count(s, "Status:") == 1 }
	p.waitScreen("web:1 Healthy", func(s string) bool {
		return oneHeader(s) && strings.Contains(s, "✔ Healthy") && strings.Contains(s, "web:1 (stable)")
	})

	mustSerin(e, "set", "image", "web", "web=web:2")
	atPause(e, 1)
	p.waitScreen("the canary paused at step 2/2", func(s string) bool {
		return oneHeader(s) && strings.Contains(s, "‖ Paused") && strings.Contains(s, "Step:         2/2") &&
			strings.Contains(s, "web:2 (canary)") && strings.Contains(s, "ActualWeight: 25") && !strings.Contains(s, "✔ Healthy\n")
	})

	mustSerin(e, "promote", "web")
	waitRollout(e, "Healthy on web:2", func(ro *v1alpha1.Rollout) bool {
		return ro.Status.Phase == v1alpha1.RolloutPhaseHealthy && ro.Status.StableRS == ro.Status.CurrentPodHash
	})
	final := p.waitScreen("web:2 Healthy and stable", func(s string) bool {
		return oneHeader(s) && strings.Contains(s, "web:2 (stable)") && !strings.Contains(s, "(canary)") && !strings.Contains(s, "Paused")
	})
	t.Logf("final screen:\n%s", final)

	out := p.output()
	if n := strings.Count(out, "\x1b[2J"); n != 1 {
		t.Errorf("the screen was cleared %d times; want once, at the start (redraws overwrite in place)", n)
	}
	if n := strings.Count(out, "\x1b[H"); n < 3 {
		t.Errorf("%d redraws from the top; want one per change (at least 3)", n)
	}
}
