package plan

import (
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/serin-dev/serin/pkg/apis/rollouts/v1alpha1"
)

func TestPauseStart(t *testing.T) {
	stored := metav1.NewTime(t0.Add(time.Second))
	cond := &v1alpha1.PauseCondition{Reason: v1alpha1.PauseReasonCanaryPauseStep, StartTime: stored}
	exact := t0.Add(300 * time.Millisecond)
	tests := map[string]struct {
		observed map[v1alpha1.PauseReason]ObservedPause
		want     time.Time
	}{
		"none observed (a restarted controller)": {nil, stored.Time},
		"observed this pause":                    {map[v1alpha1.PauseReason]ObservedPause{cond.Reason: {StartTime: stored.Time, At: exact}}, exact},
		"observed this pause, stored after the second turned": {
			map[v1alpha1.PauseReason]ObservedPause{cond.Reason: {StartTime: stored.Time, At: stored.Add(20 * time.Millisecond)}}, stored.Add(20 * time.Millisecond)},
		"observed an earlier pause of the same reason": {
			map[v1alpha1.PauseReason]ObservedPause{cond.Reason: {StartTime: stored.Add(-5 * time.Second), At: exact.Add(-5 * time.Second)}}, stored.Time},
		"observed a pause of another reason": {
			map[v1alpha1.PauseReason]ObservedPause{v1alpha1.PauseReasonBlueGreenPause: {StartTime: stored.Time, At: exact}}, stored.Time},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			if got := pauseStart(cond, tc.observed); !got.Equal(tc.want) {
				t.Errorf("pauseStart = %s, want %s", got.Format(time.StampMilli), tc.want.Format(time.StampMilli))
			}
		})
	}
}

// A 2s pause that began 300ms into a second: its condition's startTime is rounded up to
// the next second. Timed from the start the controller observed, it lasts 2s; without
// one (after a restart), 2s from the rounded start, never less.
func TestPauseEnd(t *testing.T) {
	began := t0.Add(300 * time.Millisecond)
	stored := t0.Add(time.Second)
	seen := func(at time.Time) map[v1alpha1.PauseReason]ObservedPause {
		return map[v1alpha1.PauseReason]ObservedPause{
			v1alpha1.PauseReasonCanaryPauseStep: {StartTime: stored, At: at},
			v1alpha1.PauseReasonBlueGreenPause:  {StartTime: stored, At: at},
		}
	}
	canary := func() *sim {
		return newSim(t, rollout("web", withNginx(), withSteps(setWeight(50), pauseFor("2s"))))
	}
	bg := func() *sim {
		return newSim(t, rollout("web", blueGreen(func(bg *v1alpha1.BlueGreenStrategy) { bg.AutoPromotionSeconds = 2 })))
	}
	tests := map[string]struct {
		sim      func() *sim
		observed map[v1alpha1.PauseReason]ObservedPause
		now      time.Time
		over     bool
		requeue  time.Duration // when not over
	}{
		"canary, observed: 1ms before 2s":           {canary, seen(began), began.Add(2*time.Second - time.Millisecond), false, time.Millisecond},
		"canary, observed: over at 2s":              {canary, seen(began), began.Add(2 * time.Second), true, 0},
		"canary, restarted: not over at 2s":         {canary, nil, began.Add(2 * time.Second), false, 700 * time.Millisecond},
		"canary, restarted: over 2s after rounding": {canary, nil, stored.Add(2 * time.Second), true, 0},
		"canary, observed as stored 20ms late: not over 2s after the plan": {canary, seen(stored.Add(20 * time.Millisecond)),
			stored.Add(2 * time.Second), false, 20 * time.Millisecond},
		"blue-green, observed: 1ms before 2s":   {bg, seen(began), began.Add(2*time.Second - time.Millisecond), false, time.Millisecond},
		"blue-green, observed: over at 2s":      {bg, seen(began), began.Add(2 * time.Second), true, 0},
		"blue-green, restarted: not over at 2s": {bg, nil, began.Add(2 * time.Second), false, 700 * time.Millisecond},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			s := tc.sim()
			s.settle()
			s.advance(300 * time.Millisecond)
			s.setImage("v2")
			s.settle()
			if len(s.ro.Status.PauseConditions) != 1 || !s.ro.Status.PauseConditions[0].StartTime.Equal(&metav1.Time{Time: stored}) {
				t.Fatalf("pause conditions %v, want one that began at %s", s.ro.Status.PauseConditions, stored)
			}
			in := s.input()
			in.Now, in.ObservedPauses = tc.now, tc.observed
			p := Next(in)
			expect(t, "pause over", len(p.Status.PauseConditions) == 0, tc.over)
			if !tc.over {
				expect(t, "RequeueAfter", p.RequeueAfter, tc.requeue)
			}
		})
	}
}
