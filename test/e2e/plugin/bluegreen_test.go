//go:build e2e

package plugin

import (
	"strings"
	"testing"

	"github.com/serin-dev/serin/pkg/apis/rollouts/v1alpha1"
	"github.com/serin-dev/serin/test/e2e/framework"
)

func blueGreenApp(image string) string {
	return framework.BlueGreenApp(image, 3, "      autoPromotionEnabled: false\n      scaleDownDelaySeconds: 0\n")
}

// A blue-green rollout waits for promote with its new revision on the preview Service;
// promote switches the active Service to it.
func TestBlueGreenPromote(t *testing.T) {
	t.Parallel()
	e := framework.NewEnv(t)
	e.Given().Apply(blueGreenApp("web:1"))
	first := waitRollout(e, "Healthy", phase(v1alpha1.RolloutPhaseHealthy))
	if _, errOut, code := serin(e, "promote", "web"); code == 0 || !strings.Contains(errOut, "no update to promote") {
		t.Errorf("promote of a healthy rollout: exit %d, stderr %q", code, errOut)
	}

	if out := mustSerin(e, "set", "image", "web", "web=web:2"); !strings.Contains(out, "behind the preview Service web-preview") {
		t.Errorf("set image said %q", out)
	}
	paused := waitRollout(e, "Paused with the new revision on preview", func(ro *v1alpha1.Rollout) bool {
		return ro.Status.Phase == v1alpha1.RolloutPhasePaused && ro.Status.CurrentPodHash != first.Status.StableRS
	})
	waitSelector(e, "web-preview", paused.Status.CurrentPodHash)
	waitSelector(e, "web-active", first.Status.StableRS)
	if out := mustSerin(e, "get", "rollout", "web"); !strings.Contains(out, "web:2 (preview)") || !strings.Contains(out, "web:1 (stable)") {
		t.Errorf("get rollout:\n%s", out)
	}

	if out := mustSerin(e, "promote", "web"); !strings.Contains(out, "pause cleared") || !strings.Contains(out, "switches the active Service") {
		t.Errorf("promote said %q", out)
	}
	waitRollout(e, "Healthy on web:2", func(ro *v1alpha1.Rollout) bool {
		return ro.Status.Phase == v1alpha1.RolloutPhaseHealthy && ro.Status.StableRS == paused.Status.CurrentPodHash
	})
	waitSelector(e, "web-active", paused.Status.CurrentPodHash)
}
