//go:build e2e

package dashboard

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/serin-dev/serin/pkg/apis/rollouts/v1alpha1"
	"github.com/serin-dev/serin/test/e2e/framework"
)

// blueGreenApp is Rollout "web" (2 replicas, blue-green with manual promotion and a
// preview of 1 pod) with its active and preview Services.
func blueGreenApp(image string) string {
	return framework.BlueGreenApp(image, 2, "      autoPromotionEnabled: false\n      previewReplicaCount: 1\n")
}

// blueGreenSeen is what browser.cjs saw of the blue-green rollout.
type blueGreenSeen struct {
	ListRow              string   `json:"listRow"`
	StatusLine           string   `json:"statusLine"`
	CurrentStage         string   `json:"currentStage"`
	Timelines            int      `json:"timelines"`
	Weights              int      `json:"weights"`
	RevisionsPaused      []string `json:"revisionsPaused"`
	PromoteFeedback      string   `json:"promoteFeedback"`
	RevisionsPromoted    []string `json:"revisionsPromoted"`
	SamePageAfterPromote bool     `json:"samePageAfterPromote"`
}

// A blue-green rollout paused before promotion shows active on revision 1 and preview on
// revision 2, in the list and the detail; Promote switches active to revision 2 in the
// open page. Screenshots go to .cache/e2e/<cluster>/screenshots.
func TestDashboardBlueGreen(t *testing.T) {
	e := framework.NewEnv(t)
	e.Given().Apply(blueGreenApp("web:1"))
	waitRollout(e, "Healthy", func(ro *v1alpha1.Rollout) bool { return ro.Status.Phase == v1alpha1.RolloutPhaseHealthy })
	e.Kubectl("patch", "rollout", "web", "--type=json",
		"-p", `[{"op":"replace","path":"/spec/template/spec/containers/0/image","value":"web:2"}]`)
	paused := waitRollout(e, "Paused (BlueGreenPause), preview on the new revision", func(ro *v1alpha1.Rollout) bool {
		s := ro.Status
		return s.Phase == v1alpha1.RolloutPhasePaused && len(s.PauseConditions) == 1 &&
			s.PauseConditions[0].Reason == v1alpha1.PauseReasonBlueGreenPause &&
			s.BlueGreen.PreviewSelector == s.CurrentPodHash && s.BlueGreen.ActiveSelector == s.StableRS
	})
	newHash := paused.Status.CurrentPodHash

	d := startDashboard(e, "--namespace", e.Namespace, "--port", "0")
	shots := filepath.Join(e.F.Artifacts, "screenshots")
	if err := os.MkdirAll(shots, 0o755); err != nil {
		t.Fatal(err)
	}
	var seen blueGreenSeen
	runBrowserInto(t, e, map[string]string{"MODE": "bluegreen", "DASHBOARD_URL": d.url,
		"NAMESPACE": e.Namespace, "SCREENSHOTS": shots}, &seen)
	t.Logf("browser saw: %+v; screenshots in %s", seen, shots)

	if !strings.Contains(seen.ListRow, "paused until promoted") || !strings.Contains(seen.ListRow, "active rev 1 · preview rev 2") {
		t.Errorf("list row %q: want the stage and active rev 1 · preview rev 2", seen.ListRow)
	}
	if !strings.Contains(seen.CurrentStage, "paused until promoted") || !strings.Contains(seen.StatusLine, "BlueGreenPause") {
		t.Errorf("current stage %q, status line %q: want the pause and BlueGreenPause", seen.CurrentStage, seen.StatusLine)
	}
	if seen.Timelines != 0 || seen.Weights != 0 {
		t.Errorf("%d canary step timelines and %d weights on a blue-green rollout; want none", seen.Timelines, seen.Weights)
	}
	if want := []string{"Revision 2 new preview", "Revision 1 stable active"}; !slices.Equal(seen.RevisionsPaused, want) {
		t.Errorf("revisions while paused %q, want %q", seen.RevisionsPaused, want)
	}
	if !strings.Contains(seen.PromoteFeedback, "BlueGreenPause") || !seen.SamePageAfterPromote {
		t.Errorf("after promote: feedback %q, same page %v", seen.PromoteFeedback, seen.SamePageAfterPromote)
	}
	if len(seen.RevisionsPromoted) == 0 || seen.RevisionsPromoted[0] != "Revision 2 stable active preview" {
		t.Errorf("revisions after promote %q: want revision 2 stable, active and preview first", seen.RevisionsPromoted)
	}

	// The cluster agrees with the page: active selects the new revision, now stable.
	waitRollout(e, "active on the new revision, stable", func(ro *v1alpha1.Rollout) bool {
		return ro.Status.StableRS == newHash && ro.Status.BlueGreen.ActiveSelector == newHash
	})
}
