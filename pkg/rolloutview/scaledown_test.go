package rolloutview_test

import (
	"slices"
	"testing"
	"time"

	"github.com/serin-dev/serin/pkg/rolloutview"
	"github.com/serin-dev/serin/pkg/rolloutview/viewtest"
)

// An old ReplicaSet waiting out its scale-down delay is shown with its deadline and a
// countdown against the snapshot's time.
func TestScaleDown(t *testing.T) {
	deadline := viewtest.Now.Add(25 * time.Second)
	tests := map[string]struct {
		snap   func() *rolloutview.Snapshot
		change func(*rolloutview.Snapshot)
		at     map[int64]time.Time // revision → deadline shown
		text   []string            // View.ScaleDowns
	}{
		"canary promoted, the old stable waiting": {viewtest.CanaryPromotedScalingDown, func(*rolloutview.Snapshot) {},
			map[int64]time.Time{1: deadline}, []string{"web-aaa (revision 1) scales down in 25s"}},
		"a part of a second counts as a second": {viewtest.CanaryPromotedScalingDown, func(s *rolloutview.Snapshot) { s.Now = s.Now.Add(-400 * time.Millisecond) },
			map[int64]time.Time{1: deadline}, []string{"web-aaa (revision 1) scales down in 26s"}},
		"the deadline passed": {viewtest.CanaryPromotedScalingDown, func(s *rolloutview.Snapshot) { s.Now = s.Now.Add(time.Minute) },
			map[int64]time.Time{1: deadline}, []string{"web-aaa (revision 1) scaling down"}},
		"a snapshot without a time keeps the deadline, says nothing": {viewtest.CanaryPromotedScalingDown, func(s *rolloutview.Snapshot) { s.Now = time.Time{} },
			map[int64]time.Time{1: deadline}, nil},
		"rolled back to it: the controller removes the deadline": {viewtest.CanaryPromotedScalingDown, func(s *rolloutview.Snapshot) { s.Rollout.Status.CurrentPodHash = "aaa" },
			nil, nil},
		"aborted back from it: it waits out the abort delay": {viewtest.CanaryPromotedScalingDown, func(s *rolloutview.Snapshot) {
			s.Rollout.Status.CurrentPodHash, s.Rollout.Status.Abort = "aaa", true
		}, map[int64]time.Time{1: deadline}, []string{"web-aaa (revision 1) scales down in 25s"}},
		"already scaled to 0": {viewtest.CanaryPromotedScalingDown, func(s *rolloutview.Snapshot) { *s.ReplicaSets[0].Spec.Replicas = 0 },
			nil, nil},
		"blue-green promoted, the old active waiting": {viewtest.BlueGreenPromotedScalingDown, func(*rolloutview.Snapshot) {},
			map[int64]time.Time{1: deadline}, []string{"web-aaa (revision 1) scales down in 25s"}},
		"no deadline": {viewtest.BlueGreenStable, func(*rolloutview.Snapshot) {}, nil, nil},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			s := tc.snap()
			tc.change(s)
			v := rolloutview.New(s.Owned())
			for _, r := range v.Revisions {
				want, ok := tc.at[r.Number]
				switch got := r.ReplicaSet.ScaleDownAt; {
				case ok && (got == nil || !got.Equal(want)):
					t.Errorf("revision %d ScaleDownAt = %v, want %s", r.Number, got, want)
				case !ok && got != nil:
					t.Errorf("revision %d ScaleDownAt = %s, want none", r.Number, got)
				}
			}
			if got := v.ScaleDowns(); !slices.Equal(got, tc.text) {
				t.Errorf("ScaleDowns = %q, want %q", got, tc.text)
			}
		})
	}
}
