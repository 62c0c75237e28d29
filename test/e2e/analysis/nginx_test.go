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
		wantMessage         []string
	}{
		"healthy canary": {errorRatio: 0.005, latency: 0.12, want: v1alpha1.AnalysisPhaseSuccessful},
		"broken canary": {errorRatio: 0.1, latency: 0.8, want: v1alpha1.AnalysisPhaseFailed, wantMessage: []string{
			`metric "request-success-rate" Failed: value [90]`, `metric "request-duration" Failed: value [800]`}},
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
			for _, w := range tc.wantMessage {
				if !strings.Contains(run.Status.Message, w) {
					t.Errorf("message %q lacks %q", run.Status.Message, w)
				}
			}
			if tc.want == v1alpha1.AnalysisPhaseSuccessful {
				rate := metricResult(t, run, "request-success-rate").Measurements[0]
				dur := metricResult(t, run, "request-duration").Measurements[0]
				if rate.Value != "[99.5]" || dur.Value != "[120]" {
					t.Errorf("values %s and %s, want [99.5] and [120]", rate.Value, dur.Value)
				}
			}
		})
	}
}
