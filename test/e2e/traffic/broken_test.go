//go:build e2e

package traffic

import (
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/serin-dev/serin/pkg/apis/rollouts/v1alpha1"
	"github.com/serin-dev/serin/test/e2e/framework"
	"github.com/serin-dev/serin/test/traffic"
)

// analysisSteps sends the canary 20 % of the requests for 10 s (so that Prometheus has
// a rate of them), then runs the shipped Traefik success-rate template on the canary's
// Traefik service: three measurements 5 s apart over a 5 s window, 99 % at least.
func analysisSteps(service, prometheus string) string {
	return fmt.Sprintf(`      - setWeight: 20
      - pause: {duration: 10s}
      - analysis:
          templates: [{templateName: serin-traefik-request-success-rate, clusterScope: true}]
          args:
          - {name: service, value: %q}
          - {name: interval, value: 5s}
          - {name: count, value: "3"}
          - {name: prometheus-address, value: %q}
      - pause: {}
`, service, prometheus)
}

// startPrometheus starts a real Prometheus for the test, scraping Traefik's metrics
// every second.
func startPrometheus(e *framework.Env) *framework.Prometheus {
	t := e.T
	t.Helper()
	p, err := framework.StartPrometheus(t.TempDir(), e.F.Traefik.MetricsURL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.Stop)
	t.Logf("prometheus %s at %s scraping %s", p.Binary(), p.URL, e.F.Traefik.MetricsURL)
	return p
}

// applyTemplates installs the shipped (cluster-scoped) templates once for the package.
var applyTemplates sync.Once

// analysedRelease starts a real Prometheus scraping Traefik, installs the shipped
// templates (kubectl apply -k manifests/analysis) and Rollout web (4 pods of web:1) with
// analysisSteps, waits until every request reaches the stable revision, and starts the
// steady stream; it returns the route, the stable revision and the stream.
func analysedRelease(t *testing.T) (*framework.Env, route, string, *traffic.Stream) {
	e := framework.NewEnv(t)
	r := newRoute(e)
	prom := startPrometheus(e)
	applyTemplates.Do(func() { e.Kubectl("apply", "-k", e.F.Path("manifests", "analysis")) })
	service := framework.NGINXServiceName(e.Namespace, "web", "web-stable", "80") + "-canary@" + framework.TraefikNGINXProvider
	e.Given().Apply(app(r.host, "web:1", 4, shortDelays, analysisSteps(service, prom.URL)))
	v1 := healthyOn(e).Status.StableRS
	r.waitOnly(r.config(50), v1)
	return e, r, v1, r.steadyLoad()
}

// newTemplate updates Rollout web's template to image, whose pods fail the share
// errorRate of their answers (the pod simulator's SERIN_SIM_ERROR_RATE).
func newTemplate(e *framework.Env, image, errorRate string) {
	e.T.Helper()
	e.When().Patch("rollout", "web", fmt.Sprintf(`{"spec":{"template":{"spec":{"containers":[{"name":"web","image":%q,`+
		`"ports":[{"containerPort":8080}],"env":[{"name":"SERIN_SIM_ERROR_RATE","value":%q}]}]}}}}`, image, errorRate))
}

// A broken release is aborted by the shipped analysis on real metrics of real traffic:
// under a steady stream (80 requests a second) through Traefik, the new template fails
// 30 % of its answers (SERIN_SIM_ERROR_RATE); the step analysis with the shipped
// serin-traefik-request-success-rate template, measuring the canary's Traefik service in
// a real Prometheus that scrapes Traefik, fails; the Rollout aborts with the AnalysisRun
// named as the cause, Traefik's canary weight returns to 0, and the canary answers no
// request sent after that. The test reports how many requests the canary failed before
// the abort and the time from its first failed answer to the abort.
func TestBrokenReleaseAbortedByAnalysis(t *testing.T) {
	t.Parallel()
	e, r, v1, stream := analysedRelease(t)
	start := time.Now()
	newTemplate(e, "web:2", "0.3")
	e.WaitRollout("web", "status.abort set", func(ro *v1alpha1.Rollout) bool { return ro.Status.Abort })
	// The watch sees the abort within milliseconds; status.abortedAt has whole seconds.
	abortAt := time.Now()
	ro := e.WaitRollout("web", "aborted by its analysis, Degraded", func(ro *v1alpha1.Rollout) bool {
		return ro.Status.Abort && ro.Status.Phase == v1alpha1.RolloutPhaseDegraded
	})
	v2 := ro.Status.CurrentPodHash
	if !strings.Contains(ro.Status.Message, "AnalysisRun") || !strings.Contains(ro.Status.Message, string(v1alpha1.AnalysisPhaseFailed)) {
		t.Errorf("aborted Rollout's message %q does not name the failed AnalysisRun", ro.Status.Message)
	}
	if st := ro.Status.Canary.CurrentStepAnalysisRunStatus; st == nil || st.Status != v1alpha1.AnalysisPhaseFailed {
		t.Errorf("current step AnalysisRun status %+v, want Failed", st)
	}
	t.Logf("aborted (status.abortedAt %v): %s", ro.Status.AbortedAt, ro.Status.Message)

	r.waitWeight(0)
	zeroAt := time.Now()
	waitQuiet(t, stream, v2, 5*time.Second)
	rs := stream.Stop()
	t.Logf("across the release (%s): %s", time.Since(start).Round(time.Second), rs.Summary())
	ownNamespace(t, rs, e.Namespace)
	report(t, rs, v2, abortAt)
	if late := rs.Filter(func(x traffic.Record) bool { return x.Revision == v2 && x.Sent.After(zeroAt) }); len(late) > 0 {
		t.Errorf("%d requests sent after Traefik set the canary weight to 0 were answered by the canary; first: %s", len(late), late[0])
	}
	if k, _ := rs.Filter(func(x traffic.Record) bool { return x.Sent.After(zeroAt) }).Share(v1); k == 0 {
		t.Errorf("no request after the abort was answered by the stable revision %s: %s", v1, rs.Summary())
	}
}

// report logs what the broken canary cost before the abort at abortAt: its answers, the
// failed ones, and the time from its first failed answer to the abort; it fails the test
// if the canary failed no request (the analysis then aborted on nothing it saw).
func report(t *testing.T, rs traffic.Records, canary string, abortAt time.Time) {
	t.Helper()
	before := rs.Filter(func(x traffic.Record) bool { return x.Revision == canary && !x.Done().After(abortAt) })
	failed := before.Failed()
	if len(failed) == 0 {
		t.Fatalf("the canary %s failed no request before the abort: %s", canary, rs.Summary())
	}
	first := failed[0]
	for _, f := range failed {
		if f.Done().Before(first.Done()) {
			first = f
		}
	}
	after := rs.Filter(func(x traffic.Record) bool { return x.Revision == canary && x.Done().After(abortAt) })
	last, _ := rs.LastServedBy(canary)
	t.Logf("broken canary: failed %d of its %d answers before the abort (%.1f%%); first failed answer %s before the abort; the canary's last answer ended %s after the abort (negative: before it); %d canary answers after it (%d failed); %d requests failed in all",
		len(failed), len(before), 100*float64(len(failed))/float64(len(before)), abortAt.Sub(first.Done()).Round(time.Millisecond),
		last.Done().Sub(abortAt).Round(time.Millisecond), len(after), len(after.Failed()), len(rs.Failed()))
}

// The same analysis passes a healthy release under the same stream: the Rollout goes on
// to the pause after the analysis step, the AnalysisRun is Successful, and no request
// failed.
func TestBrokenReleaseCheckPassesHealthyOne(t *testing.T) {
	t.Parallel()
	e, r, _, stream := analysedRelease(t)
	newTemplate(e, "web:2", "0")
	atPause(e, 3)
	r.waitWeight(20)
	phase := e.Kubectl("get", "analysisruns", "-o", "jsonpath={.items[*].status.phase}")
	if phase != string(v1alpha1.AnalysisPhaseSuccessful) {
		t.Errorf("AnalysisRun phases %q, want one Successful", phase)
	}
	rs := stream.Stop()
	t.Logf("healthy release through its analysis: %s", rs.Summary())
	ownNamespace(t, rs, e.Namespace)
	if failed := rs.Failed(); len(failed) > 0 {
		t.Errorf("%d of %d requests failed; first: %s", len(failed), len(rs), failed[0])
	}
}
