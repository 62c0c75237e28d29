package rollout

import (
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/client-go/tools/cache"

	"github.com/serin-dev/serin/pkg/apis/rollouts/v1alpha1"
	"github.com/serin-dev/serin/pkg/plan"
)

func TestPauseClockWritten(t *testing.T) {
	key := cache.ObjectName{Namespace: ns, Name: "web"}
	at := f0().Add(300 * time.Millisecond)
	later := at.Add(5 * time.Second)
	pause := func(r v1alpha1.PauseReason, start time.Time) v1alpha1.PauseCondition {
		return v1alpha1.PauseCondition{Reason: r, StartTime: metav1.NewTime(start)}
	}
	step, bg := v1alpha1.PauseReasonCanaryPauseStep, v1alpha1.PauseReasonBlueGreenPause
	s1, s2 := f0().Add(time.Second), f0().Add(6*time.Second)
	type write struct {
		before, after []v1alpha1.PauseCondition
		at            time.Time
	}
	tests := map[string]struct {
		writes []write
		want   map[v1alpha1.PauseReason]plan.ObservedPause
	}{
		"a pause begins": {[]write{{nil, []v1alpha1.PauseCondition{pause(step, s1)}, at}},
			map[v1alpha1.PauseReason]plan.ObservedPause{step: {StartTime: s1, At: at}}},
		"a later write keeps when it began": {[]write{
			{nil, []v1alpha1.PauseCondition{pause(step, s1)}, at},
			{[]v1alpha1.PauseCondition{pause(step, s1)}, []v1alpha1.PauseCondition{pause(step, s1)}, later},
		}, map[v1alpha1.PauseReason]plan.ObservedPause{step: {StartTime: s1, At: at}}},
		"a pause already there when this controller started is not timed": {[]write{
			{[]v1alpha1.PauseCondition{pause(step, s1)}, []v1alpha1.PauseCondition{pause(step, s1)}, later},
		}, nil},
		"a pause that ended is forgotten": {[]write{
			{nil, []v1alpha1.PauseCondition{pause(step, s1)}, at},
			{[]v1alpha1.PauseCondition{pause(step, s1)}, nil, later},
		}, nil},
		"the next pause of the same reason replaces it": {[]write{
			{nil, []v1alpha1.PauseCondition{pause(step, s1)}, at},
			{[]v1alpha1.PauseCondition{pause(step, s1)}, []v1alpha1.PauseCondition{pause(step, s2)}, later},
		}, map[v1alpha1.PauseReason]plan.ObservedPause{step: {StartTime: s2, At: later}}},
		"each reason on its own": {[]write{
			{nil, []v1alpha1.PauseCondition{pause(bg, s1)}, at},
			{[]v1alpha1.PauseCondition{pause(bg, s1)}, []v1alpha1.PauseCondition{pause(bg, s1), pause(step, s2)}, later},
		}, map[v1alpha1.PauseReason]plan.ObservedPause{bg: {StartTime: s1, At: at}, step: {StartTime: s2, At: later}}},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			c := newPauseClock()
			for _, w := range tc.writes {
				c.written(key, w.before, w.after, w.at)
			}
			got := c.of(key)
			if len(got) != len(tc.want) {
				t.Fatalf("of = %v, want %v", got, tc.want)
			}
			for r, o := range tc.want {
				if g := got[r]; !g.StartTime.Equal(o.StartTime) || !g.At.Equal(o.At) {
					t.Errorf("of[%s] = %+v, want %+v", r, g, o)
				}
			}
		})
	}
}

// A pause of 2s that begins 300ms into a second lasts 2s from the status write that
// began it; a restarted controller, which did not see it begin, times it from the
// rounded start in status: longer, never shorter.
func TestSyncTimesAPauseFromWhenItBegan(t *testing.T) {
	tests := map[string]struct {
		restarted bool
		overAt    time.Duration // after the write that began the pause
	}{
		"seen by this controller": {false, 2 * time.Second},
		"after a restart":         {true, 2*time.Second + 700*time.Millisecond},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			two := intstr.FromString("2s")
			ro := testRollout("web", withServices(), withSteps(setWeight(50), v1alpha1.CanaryStep{Pause: &v1alpha1.RolloutPause{Duration: &two}}))
			f := newFixture(t, basicObjects(ro))
			f.settle("web")
			f.clock.Step(300 * time.Millisecond)
			f.setImage("web", "img:v2")
			f.settle("web")
			began := f.clock.Now()
			if p := f.rollout("web").Status.PauseConditions; len(p) != 1 || !p[0].StartTime.Time.Equal(f0().Add(time.Hour+time.Second)) {
				t.Fatalf("pause conditions %v, want one that began at 12:00:01 in status", p)
			}
			if tc.restarted {
				f.c.pauses = newPauseClock()
			}
			f.clock.SetTime(began.Add(tc.overAt - time.Millisecond))
			f.settle("web")
			if len(f.rollout("web").Status.PauseConditions) != 1 {
				t.Fatalf("the pause ended before %s", tc.overAt)
			}
			f.clock.SetTime(began.Add(tc.overAt))
			f.settle("web")
			if p := f.rollout("web").Status.PauseConditions; len(p) != 0 {
				t.Errorf("still paused %s after it began: %v", tc.overAt, p)
			}
		})
	}
}
