//go:build e2e

package analysis

import (
	"slices"
	"strings"
	"testing"

	"github.com/serin-dev/serin/pkg/apis/rollouts/v1alpha1"
	"github.com/serin-dev/serin/test/e2e/framework"
)

// The shipped Traefik ClusterAnalysisTemplates (manifests/analysis), applied with the
// real kubectl, against series in Traefik v3.7's format for the canary service its
// kubernetesingressnginx provider names: a canary with few errors and fast answers
// passes both; one with many errors and slow answers fails both; one whose every request
// failed (no code="200" series at all) measures 0 %, not nothing. The stable service's
// series (all failing, slow) must be ignored.
func TestTraefikTemplates(t *testing.T) {
	// The 95th percentile, interpolated in Traefik's default buckets (0.1, 0.3, 1.2, 5 s)
	// as histogram_quantile does: every answer in (0.1, 0.3] gives 0.1 + 0.2*0.95 s.
	fastP95, slowP95 := 1000*(0.1+0.2*0.95), 1000*(0.3+0.9*0.95)
	tests := map[string]struct {
		errorRatio, latency  float64
		want                 v1alpha1.AnalysisPhase
		wantRate, wantMillis float64
		wantFailed           []string // metrics that must fail
	}{
		"healthy canary": {errorRatio: 0.005, latency: 0.12, want: v1alpha1.AnalysisPhaseSuccessful, wantRate: 99.5, wantMillis: fastP95},
		"broken canary": {errorRatio: 0.1, latency: 0.8, want: v1alpha1.AnalysisPhaseFailed, wantRate: 90, wantMillis: slowP95,
			wantFailed: []string{"request-success-rate", "request-duration"}},
		"every request failed": {errorRatio: 1, latency: 0.12, want: v1alpha1.AnalysisPhaseFailed, wantRate: 0, wantMillis: fastP95,
			wantFailed: []string{"request-success-rate"}},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			e := framework.NewEnv(t)
			applyNginxTemplates.Do(func() { e.Kubectl("apply", "-k", e.F.Path("manifests", "analysis")) })
			if err := load.serveTraefik(e.Namespace, tc.errorRatio, tc.latency, e.Timeout); err != nil {
				t.Fatal(err)
			}
			canary, _ := traefikServices(e.Namespace)
			runFromTemplates(e, "traefik", []string{"cluster:serin-traefik-request-success-rate", "cluster:serin-traefik-request-duration"},
				args("service", canary, "interval", "5s", "prometheus-address", prom.URL))
			run := waitPhase(e, "traefik", tc.want)
			rate := metricResult(t, run, "request-success-rate").Measurements[0]
			dur := metricResult(t, run, "request-duration").Measurements[0]
			if !near(t, rate.Value, tc.wantRate) || !near(t, dur.Value, tc.wantMillis) {
				t.Errorf("values %s and %s, want [%v] and [%v]", rate.Value, dur.Value, tc.wantRate, tc.wantMillis)
			}
			value := map[string]string{"request-success-rate": rate.Value, "request-duration": dur.Value}
			condition := map[string]string{"request-success-rate": "result[0] >= 99", "request-duration": "result[0] <= 500"}
			for _, m := range []string{"request-success-rate", "request-duration"} {
				w := `metric "` + m + `" Failed: value ` + value[m] + `: successCondition "len(result) > 0 && ` + condition[m] + `" is false`
				if got := strings.Contains(run.Status.Message, w); got != slices.Contains(tc.wantFailed, m) {
					t.Errorf("message %q: contains %q is %v", run.Status.Message, w, got)
				}
			}
		})
	}
}
