//go:build e2e

package dashboard

import (
	"bufio"
	"encoding/json"
	"net/url"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/serin-dev/serin/pkg/apis/rollouts/v1alpha1"
	"github.com/serin-dev/serin/test/e2e/framework"
)

// The page reconnects by itself: the dashboard stops under an open page, which says it is
// reconnecting; a new dashboard on the same port comes up, and the page — never reloaded —
// is live again and shows a change made meanwhile.
func TestPageReconnectsByItself(t *testing.T) {
	e := framework.NewEnv(t)
	e.Given().Apply(app("web:1"))
	waitRollout(e, "Healthy", func(ro *v1alpha1.Rollout) bool { return ro.Status.Phase == v1alpha1.RolloutPhaseHealthy })
	first := startDashboard(e, "--namespace", e.Namespace, "--port", "0")
	u, err := url.Parse(first.url)
	if err != nil {
		t.Fatal(err)
	}

	cmd, stdin, lines := startBrowser(t, e, map[string]string{"MODE": "reconnect", "DASHBOARD_URL": first.url,
		"NAMESPACE": e.Namespace, "SCREENSHOTS": t.TempDir()})
	expectLine(t, lines, "stop-dashboard")
	if err := first.stop(); err != nil {
		t.Fatal(err)
	}
	expectLine(t, lines, "saw-reconnecting")
	startDashboard(e, "--namespace", e.Namespace, "--port", u.Port())
	e.Kubectl("patch", "rollout", "web", "--type=json",
		"-p", `[{"op":"replace","path":"/spec/template/spec/containers/0/image","value":"web:2"}]`)
	if _, err := stdin.Write([]byte("restarted\n")); err != nil {
		t.Fatal(err)
	}
	var res struct {
		SamePage bool   `json:"samePage"`
		Row      string `json:"row"`
	}
	if err := json.Unmarshal([]byte(expectLine(t, lines, "{")), &res); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("browser.cjs: %v", err)
	}
	if !res.SamePage || !strings.Contains(res.Row, "Paused") {
		t.Errorf("after the restart: same page %v, row %q; want the same page showing Paused", res.SamePage, res.Row)
	}
}

// startBrowser runs browser.cjs for a scenario that talks with the test: it prints lines
// on stdout and reads lines on stdin.
func startBrowser(t *testing.T, e *framework.Env, vars map[string]string) (*exec.Cmd, interface{ Write([]byte) (int, error) }, <-chan string) {
	t.Helper()
	cmd := exec.CommandContext(t.Context(), "node", "browser.cjs")
	cmd.Env = append(os.Environ(), "NODE_PATH="+e.F.Path("ui", "node_modules"))
	for k, v := range vars {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { t.Logf("browser log:\n%s", stderr.String()) })
	lines := make(chan string, 16)
	go func() {
		defer close(lines)
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			lines <- sc.Text()
		}
	}()
	return cmd, stdin, lines
}

// expectLine waits for the next line from the browser and checks its prefix.
func expectLine(t *testing.T, lines <-chan string, prefix string) string {
	t.Helper()
	select {
	case l, ok := <-lines:
		if !ok || !strings.HasPrefix(l, prefix) {
			t.Fatalf("browser said %q (open %v), want %q…", l, ok, prefix)
		}
		return l
	case <-time.After(2 * framework.DefaultTimeout):
		t.Fatalf("browser silent; want %q", prefix)
	}
	return ""
}
