package rolloutview_test

import (
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"

	"github.com/serin-dev/serin/pkg/apis/rollouts/v1alpha1"
	"github.com/serin-dev/serin/pkg/rolloutview"
	"github.com/serin-dev/serin/pkg/rolloutview/viewtest"
)

// The blue-green view names the revision behind each Service and the roles of each
// revision, and says where the promotion stands.
func TestBlueGreenView(t *testing.T) {
	tests := map[string]struct {
		snap             *rolloutview.Snapshot
		active, preview  int64
		promotion        string
		roles1, roles2   string
		runTypes         []string
		stable, newImage string
	}{
		"paused": {viewtest.BlueGreenPaused(), 1, 2, "preview up (1 of 2 available), paused until promote",
			"stable,active", "preview", []string{"PrePromotion"}, "nginx:1.27", "nginx:1.28"},
		"switched": {viewtest.BlueGreenSwitched(), 2, 2, "switched: post-promotion analysis running",
			"stable", "active,preview", []string{"PostPromotion", "PrePromotion"}, "nginx:1.27", "nginx:1.28"},
		"stable": {viewtest.BlueGreenStable(), 2, 2, "stable", "", "stable,active,preview", []string{"PostPromotion"}, "nginx:1.28", ""},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			v := rolloutview.New(tc.snap.Owned())
			if v.Step != "" || v.SetWeight != nil || v.ActualWeight != nil {
				t.Errorf("step %q, set weight %v, actual weight %v: want none for blue-green", v.Step, v.SetWeight, v.ActualWeight)
			}
			bg := v.BlueGreen
			if bg == nil {
				t.Fatal("no blue-green view")
			}
			if bg.Active.Revision != tc.active || bg.Preview == nil || bg.Preview.Revision != tc.preview {
				t.Errorf("active %+v, preview %+v: want revisions %d and %d", bg.Active, bg.Preview, tc.active, tc.preview)
			}
			if bg.Promotion != tc.promotion {
				t.Errorf("promotion %q, want %q", bg.Promotion, tc.promotion)
			}
			roles := map[int64]string{}
			var runTypes []string
			for _, r := range v.Revisions {
				roles[r.Number] = strings.Join(r.Roles, ",")
				for _, ar := range r.AnalysisRuns {
					runTypes = append(runTypes, ar.Type)
				}
			}
			if roles[1] != tc.roles1 || roles[2] != tc.roles2 {
				t.Errorf("roles %q / %q, want %q / %q", roles[1], roles[2], tc.roles1, tc.roles2)
			}
			if strings.Join(runTypes, ",") != strings.Join(tc.runTypes, ",") {
				t.Errorf("analysis run types %v, want %v", runTypes, tc.runTypes)
			}
			if strings.Join(v.StableImages, ",") != tc.stable || strings.Join(v.CanaryImages, ",") != tc.newImage {
				t.Errorf("images stable %v new %v, want %q %q", v.StableImages, v.CanaryImages, tc.stable, tc.newImage)
			}
		})
	}
}

// The promotion state in words follows the status the plan writes at each stage.
func TestBlueGreenPromotion(t *testing.T) {
	tests := map[string]struct {
		change func(ro *v1alpha1.Rollout, newRS *appsv1.ReplicaSet)
		want   string
		roles2 string
	}{
		"coming up": {func(ro *v1alpha1.Rollout, newRS *appsv1.ReplicaSet) {
			ro.Status.PauseConditions, ro.Status.ControllerPause = nil, false
			ro.Status.BlueGreen = v1alpha1.BlueGreenStatus{ActiveSelector: "aaa", PreviewSelector: "aaa"}
			newRS.Status.AvailableReplicas = 0
		}, "new revision coming up (0 of 2 available)", "new"},
		"pre-promotion analysis": {func(ro *v1alpha1.Rollout, _ *appsv1.ReplicaSet) {
			ro.Status.PauseConditions, ro.Status.ControllerPause = nil, false
			ro.Status.BlueGreen.PrePromotionAnalysisRunStatus.Status = v1alpha1.AnalysisPhaseRunning
		}, "preview up (1 of 2 available), pre-promotion analysis running", "preview"},
		"paused until promote": {func(*v1alpha1.Rollout, *appsv1.ReplicaSet) {},
			"preview up (1 of 2 available), paused until promote", "preview"},
		"auto-promotion pause": {func(ro *v1alpha1.Rollout, _ *appsv1.ReplicaSet) {
			ro.Spec.Strategy.BlueGreen.AutoPromotionEnabled, ro.Spec.Strategy.BlueGreen.AutoPromotionSeconds = nil, 30
		}, "preview up (1 of 2 available), paused: promotes 30s after the pause began", "preview"},
		"spec.paused": {func(ro *v1alpha1.Rollout, _ *appsv1.ReplicaSet) {
			ro.Spec.Paused, ro.Status.PauseConditions, ro.Status.ControllerPause = true, nil, false
		}, "preview up (1 of 2 available), paused by spec.paused until resume", "preview"},
		"scaling to full": {func(ro *v1alpha1.Rollout, _ *appsv1.ReplicaSet) {
			ro.Status.PauseConditions, ro.Status.ControllerPause = nil, false
			ro.Status.BlueGreen.ScaleUpPreviewCheckPoint = true
		}, "promoting: new revision scaling to full (1 of 2 available), then active switches", "preview"},
		"switched without post-promotion analysis": {func(ro *v1alpha1.Rollout, _ *appsv1.ReplicaSet) {
			ro.Status.PauseConditions, ro.Status.ControllerPause = nil, false
			ro.Status.BlueGreen.ActiveSelector = "bbb"
		}, "switched: becoming stable", "active,preview"},
		"aborted": {func(ro *v1alpha1.Rollout, _ *appsv1.ReplicaSet) {
			ro.Status.PauseConditions, ro.Status.ControllerPause, ro.Status.Abort = nil, false, true
			ro.Status.BlueGreen.PreviewSelector = "aaa"
		}, "aborted: active back on the stable revision", "new"},
		"no preview Service": {func(ro *v1alpha1.Rollout, _ *appsv1.ReplicaSet) {
			ro.Spec.Strategy.BlueGreen.PreviewService, ro.Status.BlueGreen.PreviewSelector = "", ""
		}, "new revision up (1 of 2 available), paused until promote", "new"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			s := viewtest.BlueGreenPaused()
			tc.change(s.Rollout, s.ReplicaSets[1])
			v := rolloutview.New(s.Owned())
			if v.BlueGreen.Promotion != tc.want {
				t.Errorf("promotion %q, want %q", v.BlueGreen.Promotion, tc.want)
			}
			if got := strings.Join(v.Revisions[0].Roles, ","); got != tc.roles2 {
				t.Errorf("revision %d roles %q, want %q", v.Revisions[0].Number, got, tc.roles2)
			}
			if (v.BlueGreen.Preview == nil) != (s.Rollout.Spec.Strategy.BlueGreen.PreviewService == "") {
				t.Errorf("preview %+v with previewService %q", v.BlueGreen.Preview, s.Rollout.Spec.Strategy.BlueGreen.PreviewService)
			}
		})
	}
}
