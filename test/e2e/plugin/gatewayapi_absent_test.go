//go:build e2e

package plugin

import (
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"

	"github.com/serin-dev/serin/pkg/apis/rollouts/v1alpha1"
	"github.com/serin-dev/serin/test/e2e/framework"
)

// This package's cluster has no Gateway API CRDs: the controller started all the same
// (the other tests run on it), and a Rollout that routes through the Gateway API gets a
// TrafficRoutingError condition saying what to do.
func TestGatewayAPIWithoutCRDs(t *testing.T) {
	t.Parallel()
	e := framework.NewEnv(t)
	e.Given().Apply(framework.CanaryServices + framework.RolloutWeb("web:1", 2, `    canary:
      canaryService: web-canary
      stableService: web-stable
      trafficRouting:
        plugins:
          argoproj-labs/gatewayAPI: {httpRoute: web}
      steps:
      - setWeight: 20
      - pause: {}
`))
	want := "the gatewayAPI router reads HTTPRoutes, which the API server did not serve when the controller started: install their CRDs, then restart the controller"
	ro := e.WaitRollout("web", "a TrafficRoutingError condition about the CRDs", func(ro *v1alpha1.Rollout) bool {
		for _, c := range ro.Status.Conditions {
			if c.Type == v1alpha1.TrafficRoutingError && c.Status == corev1.ConditionTrue {
				return strings.Contains(c.Message, want)
			}
		}
		return false
	})
	t.Logf("phase %s: %s", ro.Status.Phase, ro.Status.Message)
}
