//go:build e2e

// Package dashboard tests `kubectl serin dashboard` end to end: the real plugin binary
// serving against the real local control plane while the real serin-controller runs the
// rollout, driven in real headless Chromium (browser.cjs, playwright-core).
package dashboard

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/serin-dev/serin/pkg/apis/rollouts/v1alpha1"
	"github.com/serin-dev/serin/test/e2e/framework"
)

func TestMain(m *testing.M) {
	framework.Main(m, framework.WithController("--leader-elect=false"))
}

// browserResult is what browser.cjs saw.
type browserResult struct {
	ListRow              string            `json:"listRow"`
	CurrentStep          string            `json:"currentStep"`
	PromoteFeedback      string            `json:"promoteFeedback"`
	SamePageAfterPromote bool              `json:"samePageAfterPromote"`
	Attacker             map[string]string `json:"attacker"`
	RebindStatus         int               `json:"rebindStatus"`
	RebindBody           string            `json:"rebindBody"`
	AbortFeedback        string            `json:"abortFeedback"`
	StatusLine           string            `json:"statusLine"`
	SamePageAfterAbort   bool              `json:"samePageAfterAbort"`
	NarrowOverflow       bool              `json:"narrowOverflow"`
	KeyboardReachesRetry bool              `json:"keyboardReachesRetry"`
	ReadOnlyButtons      int               `json:"readOnlyButtons"`
	ReadOnlyBadge        int               `json:"readOnlyBadge"`
	ForbiddenAlert       string            `json:"forbiddenAlert"`
	Analysis             struct {
		Points     int    `json:"points"`
		Thresholds int    `json:"thresholds"`
		Label      string `json:"label"`
	} `json:"analysis"`
}

// The browser scenario: open the list, open the paused rollout, promote and see
// the step advance without a reload, abort and see the weight go to 0; a cross-origin
// POST and a wrong Host are refused; a --read-only dashboard shows no action. Screenshots
// go to .cache/e2e/<cluster>/screenshots.
func TestDashboardInChromium(t *testing.T) {
	e := framework.NewEnv(t)
	e.Given().Apply(app("web:1"))
	waitRollout(e, "Healthy", func(ro *v1alpha1.Rollout) bool { return ro.Status.Phase == v1alpha1.RolloutPhaseHealthy })
	e.Kubectl("patch", "rollout", "web", "--type=json",
		"-p", `[{"op":"replace","path":"/spec/template/spec/containers/0/image","value":"web:2"}]`)
	paused := waitRollout(e, "Paused at step 1 with weight 20", func(ro *v1alpha1.Rollout) bool {
		return ro.Status.Phase == v1alpha1.RolloutPhasePaused && ro.Status.CurrentStepIndex != nil &&
			*ro.Status.CurrentStepIndex == 1 && ro.Status.Canary.Weights != nil && ro.Status.Canary.Weights.Canary.Weight == 20
	})

	addAnalysisRun(e, paused)

	d := startDashboard(e, "--namespace", e.Namespace, "--port", "0", "--log-level", "debug")
	readOnly := startDashboard(e, "--namespace", e.Namespace, "--port", "0", "--read-only")
	checkRefusals(t, e, d, readOnly)

	attacker := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		fmt.Fprint(w, attackerPage)
	}))
	defer attacker.Close()

	shots := filepath.Join(e.F.Artifacts, "screenshots")
	if err := os.MkdirAll(shots, 0o755); err != nil {
		t.Fatal(err)
	}
	res := runBrowser(t, e, map[string]string{
		"DASHBOARD_URL": d.url, "READONLY_URL": readOnly.url, "ATTACKER_URL": attacker.URL + "/",
		"NAMESPACE": e.Namespace, "SCREENSHOTS": shots,
	})
	t.Logf("browser saw: %+v; screenshots in %s", res, shots)

	if !strings.Contains(res.ListRow, "Paused") || !strings.Contains(res.ListRow, "1/6") || !strings.Contains(res.ListRow, "web:2") {
		t.Errorf("list row %q: want Paused, step 1/6, image web:2", res.ListRow)
	}
	if !strings.Contains(res.CurrentStep, "pause until promoted") || !strings.Contains(res.CurrentStep, "CanaryPauseStep") {
		t.Errorf("current step %q: want the pause step with its reason", res.CurrentStep)
	}
	if res.Analysis.Points != 3 || res.Analysis.Thresholds != 1 || !strings.Contains(res.Analysis.Label, "threshold 0.05") {
		t.Errorf("analysis chart %+v: want 3 points and the threshold 0.05", res.Analysis)
	}
	if !res.SamePageAfterPromote || !res.SamePageAfterAbort {
		t.Errorf("the page reloaded (after promote: %v, after abort: %v)", !res.SamePageAfterPromote, !res.SamePageAfterAbort)
	}
	if !strings.Contains(res.PromoteFeedback, "promoted") || !strings.Contains(res.AbortFeedback, "abort") {
		t.Errorf("feedback after promote %q, after abort %q", res.PromoteFeedback, res.AbortFeedback)
	}
	// The simple POST goes out blind: its answer is opaque, or an error since the answer
	// is same-origin only (Cross-Origin-Resource-Policy); the log check below proves the
	// dashboard received and refused it.
	if res.Attacker["withToken"] != "blocked" || res.Attacker["noCors"] == "" {
		t.Errorf("attacker page: %v; want the preflighted POST blocked and the simple one sent", res.Attacker)
	}
	if res.RebindStatus != http.StatusMisdirectedRequest || strings.Contains(res.RebindBody, `"key"`) {
		t.Errorf("rebinding host got %d %s; want 421 and no data", res.RebindStatus, res.RebindBody)
	}
	if res.NarrowOverflow {
		t.Error("the detail page scrolls sideways in a 420px window")
	}
	if !res.KeyboardReachesRetry {
		t.Error("Tab never reached the Retry button")
	}
	if res.ReadOnlyButtons != 0 || res.ReadOnlyBadge != 1 {
		t.Errorf("read-only page: %d buttons, %d read-only badges; want 0 and 1", res.ReadOnlyButtons, res.ReadOnlyBadge)
	}

	// The cluster agrees with what the page showed: aborted, weight 0, never promoted full.
	ro := waitRollout(e, "aborted with canary weight 0", func(ro *v1alpha1.Rollout) bool {
		return ro.Status.Abort && ro.Status.Canary.Weights != nil && ro.Status.Canary.Weights.Canary.Weight == 0
	})
	if ro.Status.PromoteFull {
		t.Error("status.promoteFull is set: the cross-origin POST got through")
	}
	// The attacker's simple POST reached the server and was refused for its Origin.
	if log := d.log(); !strings.Contains(log, fmt.Sprintf(`origin="%s"`, attacker.URL)) || !strings.Contains(log, "refused: Origin") {
		t.Errorf("the dashboard log shows no refusal of %s:\n%s", attacker.URL, log)
	}
}

// attackerPage is another origin's page trying to promote through the user's browser:
// once with the token header (a preflighted request the dashboard does not allow) and
// once as a "simple" no-cors POST the browser sends blind.
const attackerPage = `<!doctype html><title>evil</title><script>
const target = new URLSearchParams(location.search).get('target');
window.result = {};
(async () => {
  try { await fetch(target, {method: 'POST', headers: {'X-Serin-Token': 'guess'}}); window.result.withToken = 'sent'; }
  catch (e) { window.result.withToken = 'blocked'; }
  try { const r = await fetch(target, {method: 'POST', mode: 'no-cors'}); window.result.noCors = r.type; }
  catch (e) { window.result.noCors = 'error: ' + e.message; }
  document.title = 'done';
})();
</script>`

var tokenMeta = regexp.MustCompile(`<meta name="serin-token" content="([0-9a-f]{64})">`)

// checkRefusals sends what a browser could not be made to send, straight over HTTP: the
// right token with a wrong Origin, a wrong Host, and an action on the read-only server.
func checkRefusals(t *testing.T, e *framework.Env, d, readOnly *dashboardProc) {
	t.Helper()
	page := httpDo(t, "GET", d.url, "", nil)
	m := tokenMeta.FindStringSubmatch(page.body)
	if m == nil {
		t.Fatalf("no session token in the served page:\n%s", page.body)
	}
	token, origin := m[1], strings.TrimSuffix(d.url, "/")
	abort := d.url + "api/rollouts/" + e.Namespace + "/web/abort"
	tests := map[string]struct {
		url, host string
		headers   map[string]string
		want      int
	}{
		"token but a foreign Origin": {abort, "", map[string]string{"Origin": "http://evil.example", "X-Serin-Token": token}, 403},
		"Origin but no token":        {abort, "", map[string]string{"Origin": origin}, 403},
		"rebinding Host":             {abort, "evil.example:80", map[string]string{"Origin": "http://evil.example:80", "X-Serin-Token": token}, 421},
		"read-only server":           {readOnly.url + "api/rollouts/" + e.Namespace + "/web/abort", "", map[string]string{"Origin": strings.TrimSuffix(readOnly.url, "/"), "X-Serin-Token": token}, 403},
	}
	for name, tc := range tests {
		if r := httpDo(t, "POST", tc.url, tc.host, tc.headers); r.status != tc.want {
			t.Errorf("%s: %d %s, want %d", name, r.status, r.body, tc.want)
		}
	}
	if r := httpDo(t, "GET", d.url+"api/rollouts", "rebind.example:80", nil); r.status != 421 || strings.Contains(r.body, "web") {
		t.Errorf("GET with a foreign Host: %d %s, want 421 and no data", r.status, r.body)
	}
	waitRollout(e, "not aborted by the refused requests", func(ro *v1alpha1.Rollout) bool { return !ro.Status.Abort })
}

// runBrowser runs browser.cjs with node and playwright-core from ui/node_modules.
func runBrowser(t *testing.T, e *framework.Env, vars map[string]string) browserResult {
	t.Helper()
	var res browserResult
	runBrowserInto(t, e, vars, &res)
	return res
}

// runBrowserInto runs browser.cjs and decodes what it printed into res.
func runBrowserInto(t *testing.T, e *framework.Env, vars map[string]string, res any) {
	t.Helper()
	if _, err := os.Stat("/usr/bin/chromium"); err != nil {
		t.Fatalf("no /usr/bin/chromium (%v): run `make ui-deps`", err)
	}
	modules := e.F.Path("ui", "node_modules")
	if _, err := os.Stat(filepath.Join(modules, "playwright-core")); err != nil {
		t.Fatalf("no playwright-core in %s (%v): run `make ui-deps`", modules, err)
	}
	cmd := exec.CommandContext(t.Context(), "node", "browser.cjs")
	cmd.Env = append(os.Environ(), "NODE_PATH="+modules)
	for k, v := range vars {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	t.Logf("browser log:\n%s", stderr.String())
	if err != nil {
		t.Fatalf("browser.cjs: %v\nstdout: %s", err, out)
	}
	if err := json.Unmarshal(out, res); err != nil {
		t.Fatalf("browser.cjs printed %q: %v", out, err)
	}
}
