package dashboard

import (
	"testing"

	"github.com/serin-dev/serin/pkg/rolloutview"
	"github.com/serin-dev/serin/pkg/rolloutview/viewtest"
)

// An old revision waiting out its scale-down delay carries its deadline, which the page
// counts down to; the others carry none.
func TestScaleDownAt(t *testing.T) {
	tests := map[string]struct {
		snap func() *rolloutview.Snapshot
		want map[string]string // revision → scaleDownAt
	}{
		"canary promoted, the old stable waiting":     {viewtest.CanaryPromotedScalingDown, map[string]string{"1": "2026-05-01T12:00:25Z", "2": ""}},
		"blue-green promoted, the old active waiting": {viewtest.BlueGreenPromotedScalingDown, map[string]string{"1": "2026-05-01T12:00:25Z", "2": ""}},
		"blue-green, the old one down":                {viewtest.BlueGreenStable, map[string]string{"1": "", "2": ""}},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			s := tc.snap()
			v := BuildView(s.Owned())
			if len(v.Revisions) != len(tc.want) {
				t.Fatalf("revisions %+v", v.Revisions)
			}
			for _, r := range v.Revisions {
				if r.ScaleDownAt != tc.want[r.Revision] {
					t.Errorf("revision %s scaleDownAt = %q, want %q", r.Revision, r.ScaleDownAt, tc.want[r.Revision])
				}
			}
		})
	}
}
