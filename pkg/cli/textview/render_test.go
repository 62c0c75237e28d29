package textview

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/serin-dev/serin/pkg/apis/rollouts/v1alpha1"
	"github.com/serin-dev/serin/pkg/rolloutview"
	"github.com/serin-dev/serin/pkg/rolloutview/viewtest"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

func TestRenderGolden(t *testing.T) {
	paused := viewtest.CanaryPaused()
	unobserved := &rolloutview.Snapshot{Rollout: viewtest.Rollout(v1alpha1.RolloutPhaseHealthy, 0)}
	unobserved.Rollout.Generation = 3
	tests := map[string]struct {
		snap  *rolloutview.Snapshot
		style Style
	}{
		"paused":             {paused, Style{}},
		"paused-color":       {paused, Style{Color: true}},
		"unobserved":         {unobserved, Style{}},
		"bluegreen-paused":   {viewtest.BlueGreenPaused(), Style{}},
		"bluegreen-switched": {viewtest.BlueGreenSwitched(), Style{}},
		"bluegreen-stable":   {viewtest.BlueGreenStable(), Style{}},
		// Promoted and Healthy while the old revision waits out scaleDownDelaySeconds.
		"canary-promoted-scaling-down":    {viewtest.CanaryPromotedScalingDown(), Style{}},
		"bluegreen-promoted-scaling-down": {viewtest.BlueGreenPromotedScalingDown(), Style{}},
		// The canary's pods cannot pull their image: a line under the revision says so.
		"canary-image-pull": {viewtest.CanaryImagePullBackOff(), Style{}},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := Render(&buf, rolloutview.New(tc.snap.Owned()), viewtest.Now, tc.style); err != nil {
				t.Fatal(err)
			}
			golden := filepath.Join("testdata", name+".golden")
			if *update {
				if err := os.WriteFile(golden, buf.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test -update to create it)", err)
			}
			if buf.String() != string(want) {
				t.Errorf("output differs from %s (go test -update rewrites it):\n--- got\n%s--- want\n%s", golden, buf.String(), want)
			}
		})
	}
}
