//go:build e2e

package plugin

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/serin-dev/serin/pkg/apis/rollouts/v1alpha1"
	"github.com/serin-dev/serin/pkg/rolloutview"
	"github.com/serin-dev/serin/test/e2e/framework"
)

// blueGreenSmallPreview is Rollout web (2 replicas) with manual promotion and a preview of
// one replica, behind Services web-active and web-preview; the old revision goes down at
// once after promotion.
func blueGreenSmallPreview(image string) string {
	return framework.BlueGreenApp(image, 2, "      autoPromotionEnabled: false\n      previewReplicaCount: 1\n      scaleDownDelaySeconds: 0\n")
}

// `get rollout` of a blue-green rollout names the revision behind the active and the
// preview Service before and after promote, with the roles of each revision.
func TestBlueGreenGet(t *testing.T) {
	t.Parallel()
	e := framework.NewEnv(t)
	e.Given().Apply(blueGreenSmallPreview("web:1"))
	first := waitRollout(e, "Healthy", phase(v1alpha1.RolloutPhaseHealthy))

	mustSerin(e, "set", "image", "web", "web=web:2")
	paused := waitRollout(e, "Paused with revision 2 on preview", func(ro *v1alpha1.Rollout) bool {
		return ro.Status.Phase == v1alpha1.RolloutPhasePaused && ro.Status.CurrentPodHash != first.Status.StableRS &&
			ro.Status.BlueGreen.PreviewSelector == ro.Status.CurrentPodHash
	})
	oldHash, newHash := first.Status.StableRS, paused.Status.CurrentPodHash
	out := mustSerin(e, "get", "rollout", "web")
	wantLines(t, out,
		"Strategy: BlueGreen",
		fmt.Sprintf("Active: web-active → revision 1 (%s)", oldHash),
		fmt.Sprintf("Preview: web-preview → revision 2 (%s)", newHash),
		"Promotion: preview up (1 of 2 available), paused until promote",
		"Images: web:1 (stable)",
		"web:2 (preview)",
	)
	wantPrefix(t, out, "Paused: BlueGreenPause")
	for _, absent := range []string{"Step:", "SetWeight:", "ActualWeight:"} {
		if strings.Contains(out, absent) {
			t.Errorf("blue-green get shows %q:\n%s", absent, out)
		}
	}
	wantRoles(t, e, 1, 2, map[int64][]string{1: {"stable", "active"}, 2: {"preview"}})
	row := strings.Fields(mustSerin(e, "list", "rollouts"))
	// NAME STRATEGY STATUS(icon, word) STEP SET-WEIGHT ACTUAL-WEIGHT ...
	if i := slices.Index(row, "web"); i < 0 || len(row) < i+7 || row[i+1] != "BlueGreen" || row[i+4] != "-" || row[i+5] != "-" || row[i+6] != "-" {
		t.Errorf("list rollouts row for blue-green: want BlueGreen with - for step and weights, got %q", row)
	}

	mustSerin(e, "promote", "web")
	waitRollout(e, "Healthy on revision 2", func(ro *v1alpha1.Rollout) bool {
		return ro.Status.Phase == v1alpha1.RolloutPhaseHealthy && ro.Status.StableRS == newHash
	})
	waitSelector(e, "web-active", newHash)
	out = mustSerin(e, "get", "rollout", "web")
	wantLines(t, out,
		fmt.Sprintf("Active: web-active → revision 2 (%s)", newHash),
		fmt.Sprintf("Preview: web-preview → revision 2 (%s)", newHash),
		"Promotion: stable",
		"Images: web:2 (stable)",
	)
	if strings.Contains(out, "Paused:") {
		t.Errorf("promoted rollout still shows a pause:\n%s", out)
	}
	wantRoles(t, e, 2, 2, map[int64][]string{2: {"stable", "active", "preview"}})
}

// wantLines checks that out has each line, compared with runs of spaces squeezed.
func wantLines(t *testing.T, out string, want ...string) {
	t.Helper()
	have := map[string]bool{}
	for _, l := range strings.Split(out, "\n") {
		have[strings.Join(strings.Fields(l), " ")] = true
	}
	for _, w := range want {
		if !have[w] {
			t.Errorf("get rollout has no line %q:\n%s", w, out)
		}
	}
}

func wantPrefix(t *testing.T, out, prefix string) {
	t.Helper()
	for _, l := range strings.Split(out, "\n") {
		if strings.HasPrefix(strings.Join(strings.Fields(l), " "), prefix) {
			return
		}
	}
	t.Errorf("get rollout has no line starting %q:\n%s", prefix, out)
}

// wantRoles reads `get rollout web -o json` and checks the revisions behind the active and
// preview Services and the roles of the given revisions.
func wantRoles(t *testing.T, e *framework.Env, active, preview int64, want map[int64][]string) {
	t.Helper()
	var v rolloutview.View
	if err := json.Unmarshal([]byte(mustSerin(e, "get", "rollout", "web", "-o", "json")), &v); err != nil {
		t.Fatalf("get -o json: %v", err)
	}
	if v.BlueGreen == nil {
		t.Fatalf("get -o json has no blueGreen: %+v", v)
	}
	if bg := v.BlueGreen; bg.Active.Revision != active || bg.Preview == nil || bg.Preview.Revision != preview {
		t.Errorf("-o json: active %+v, preview %+v; want revisions %d and %d", bg.Active, bg.Preview, active, preview)
	}
	for _, r := range v.Revisions {
		if roles, ok := want[r.Number]; ok && !slices.Equal(r.Roles, roles) {
			t.Errorf("-o json: revision %d has roles %v, want %v", r.Number, r.Roles, roles)
		}
	}
	for n := range want {
		if !slices.ContainsFunc(v.Revisions, func(r rolloutview.Revision) bool { return r.Number == n }) {
			t.Errorf("-o json: no revision %d in %+v", n, v.Revisions)
		}
	}
}
