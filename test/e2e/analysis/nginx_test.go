//go:build e2e

package analysis

import (
	"strings"
	"sync"
	"testing"

	"github.com/serin-dev/serin/pkg/apis/rollouts/v1alpha1"
	"github.com/serin-dev/serin/test/e2e/framework"
)

var applyNginxTemplates sync.Once

// The shipped ClusterAnalysisTemplates (manifests/analysis), applied with the real
// kubectl, against series in ingress-nginx's format: a canary with few errors and fast
// answers passes both; one with many errors and slow answers fails both. The stable
// version's series (canary="") fail both checks badly: the templates must ignore them.
func TestNginxTemplates(t *testing.T) {
	tests := map[string]struct {
		errorRatio, latency float64
		want                v1alpha1.AnalysisPhase
		// wantRate and wantMillis are the success rate (percent) and mean latency the
		// templates must compute from the canary's series alone.
		wantRate, wantMillis float64
	}{
		"healthy canary": {errorRatio: 0.005, latency: 0.12, want: v1alpha1.AnalysisPhaseSuccessful, wantRate: 99.5, wantMillis: 120},
		"broken canary":  {errorRatio: 0.1, latency: 0.8, want: v1alpha1.AnalysisPhaseFailed, wantRate: 90, wantMillis: 800},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			e := framework.NewEnv(t)
			applyNginxTemplates.Do(func() { e.Kubectl("apply", "-k", e.F.Path("manifests", "analysis")) })
			serveApp(e, true, tc.errorRatio, tc.latency)
			runFromTemplates(e, "nginx", []string{"cluster:serin-nginx-request-success-rate", "cluster:serin-nginx-request-duration"},
				args("namespace", e.Namespace, "ingress", "web", "interval", "5s", "prometheus-address", prom.URL))
			run := waitPhase(e, "nginx", tc.want)
			rate := metricResult(t, run, "request-success-rate").Measurements[0]
			dur := metricResult(t, run, "request-duration").Measurements[0]
			if !near(t, rate.Value, tc.wantRate) || !near(t, dur.Value, tc.wantMillis) {
				t.Errorf("values %s and %s, want [%v] and [%v]", rate.Value, dur.Value, tc.wantRate, tc.wantMillis)
			}
			if tc.want == v1alpha1.AnalysisPhaseFailed {
				for _, w := range []string{
					`metric "request-success-rate" Failed: value ` + rate.Value + `: successCondition "len(result) > 0 && result[0] >= 99" is false`,
					`metric "request-duration" Failed: value ` + dur.Value + `: successCondition "len(result) > 0 && result[0] <= 500" is false`,
				} {
					if !strings.Contains(run.Status.Message, w) {
						t.Errorf("message %q lacks %q", run.Status.Message, w)
					}
				}
			}
		})
	}
}
