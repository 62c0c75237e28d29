package plan

import (
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/utils/ptr"

	"github.com/serin-dev/serin/pkg/apis/rollouts/v1alpha1"
)

// The phase at each point of a promotion whose old ReplicaSet waits out
// scaleDownDelaySeconds (30s): Healthy as soon as the new revision is stable, fully
// available and carries all traffic; the old ReplicaSet goes down in the background.
// A rollback to the old ReplicaSet before its delay ran out is an update like any other.
func TestPhaseThroughAPromotionWithAScaleDownDelay(t *testing.T) {
	canary := func() *sim {
		return newSim(t, rollout("web", withNginx(), withSteps(setWeight(50), pause()),
			withCanary(func(c *v1alpha1.CanaryStrategy) { c.ScaleDownDelaySeconds = int32p(30) })))
	}
	bg := func() *sim {
		return newSim(t, rollout("web", blueGreen(func(bg *v1alpha1.BlueGreenStrategy) {
			bg.AutoPromotionEnabled = ptr.To(false)
			bg.ScaleDownDelaySeconds = int32p(30)
		})))
	}
	// Each point is reached by the steps before it; then is what happens last.
	toPause := func(s *sim) { s.settle(); s.setImage("v2"); s.settle() }
	promoted := func(s *sim) { toPause(s); s.promote(); s.settle() }
	then := func(steps ...func(*sim)) func(*sim) {
		return func(s *sim) {
			for _, f := range steps {
				f(s)
			}
		}
	}
	wait := func(d time.Duration) func(*sim) { return func(s *sim) { s.advance(d); s.settle() } }
	rollBack := func(s *sim) { s.setImage("v1"); s.settle() }

	type want struct {
		phase              v1alpha1.RolloutPhase
		healthy, completed corev1.ConditionStatus
		v1, v2             int32 // pods
		v1Deadline         bool  // the old ReplicaSet carries a scale-down deadline
	}
	tests := map[string]struct {
		sim  func() *sim
		run  func(*sim)
		want want
	}{
		"canary: paused at the last step": {canary, toPause,
			want{v1alpha1.RolloutPhasePaused, corev1.ConditionFalse, corev1.ConditionFalse, 4, 2, false}},
		"canary: promoted, the old stable waits out its delay": {canary, promoted,
			want{v1alpha1.RolloutPhaseHealthy, corev1.ConditionTrue, corev1.ConditionTrue, 4, 4, true}},
		"canary: half the delay run": {canary, then(promoted, wait(15*time.Second)),
			want{v1alpha1.RolloutPhaseHealthy, corev1.ConditionTrue, corev1.ConditionTrue, 4, 4, true}},
		"canary: the delay run out, the old stable down": {canary, then(promoted, wait(31*time.Second)),
			want{v1alpha1.RolloutPhaseHealthy, corev1.ConditionTrue, corev1.ConditionTrue, 0, 4, true}},
		"canary: rolled back to the old stable within its delay": {canary, then(promoted, wait(10*time.Second), rollBack),
			want{v1alpha1.RolloutPhasePaused, corev1.ConditionFalse, corev1.ConditionFalse, 2, 4, false}},
		"blue-green: paused before promotion": {bg, toPause,
			want{v1alpha1.RolloutPhasePaused, corev1.ConditionFalse, corev1.ConditionFalse, 4, 4, false}},
		"blue-green: promoted, the old active waits out its delay": {bg, promoted,
			want{v1alpha1.RolloutPhaseHealthy, corev1.ConditionTrue, corev1.ConditionTrue, 4, 4, true}},
		"blue-green: half the delay run": {bg, then(promoted, wait(15*time.Second)),
			want{v1alpha1.RolloutPhaseHealthy, corev1.ConditionTrue, corev1.ConditionTrue, 4, 4, true}},
		"blue-green: the delay run out, the old active down": {bg, then(promoted, wait(31*time.Second)),
			want{v1alpha1.RolloutPhaseHealthy, corev1.ConditionTrue, corev1.ConditionTrue, 0, 4, true}},
		"blue-green: rolled back to the old active within its delay": {bg, then(promoted, wait(10*time.Second), rollBack),
			want{v1alpha1.RolloutPhasePaused, corev1.ConditionFalse, corev1.ConditionFalse, 4, 4, false}},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			s := tc.sim()
			s.t = t
			tc.run(s)
			st := &s.ro.Status
			expect(t, "phase", st.Phase, tc.want.phase)
			expect(t, "Healthy condition", conditionStatus(st, v1alpha1.RolloutHealthy), tc.want.healthy)
			expect(t, "Completed condition", conditionStatus(st, v1alpha1.RolloutCompleted), tc.want.completed)
			expectPods(t, s, []string{"v1", "v2"}, tc.want.v1, tc.want.v2)
			_, deadline := scaleDownDeadline(s.rsOfImage("v1"))
			expect(t, "old ReplicaSet has a scale-down deadline", deadline, tc.want.v1Deadline)
		})
	}
}

// The status write that promotes is already Healthy: nothing waits for the old
// ReplicaSet, so `kubectl serin status` returns as soon as the promotion is done.
func TestHealthyInTheStatusThatPromotes(t *testing.T) {
	tests := map[string]rolloutOpt{
		"canary with a router": withSteps(setWeight(50), pause()),
		"blue-green":           blueGreen(func(bg *v1alpha1.BlueGreenStrategy) { bg.AutoPromotionEnabled = ptr.To(false) }),
	}
	for name, opt := range tests {
		t.Run(name, func(t *testing.T) {
			s := newSim(t, rollout("web", withNginx(), opt))
			s.settle()
			s.setImage("v2")
			s.settle()
			s.promote()
			for i := 0; i < 20 && s.ro.Status.StableRS != hashOf(s.rsOfImage("v2")); i++ {
				s.podsUp()
				s.sync()
			}
			expect(t, "stable", s.ro.Status.StableRS, hashOf(s.rsOfImage("v2")))
			expect(t, "phase in the promoting status", s.ro.Status.Phase, v1alpha1.RolloutPhaseHealthy)
			expectPods(t, s, []string{"v1", "v2"}, 4, 4)
		})
	}
}

func conditionStatus(st *v1alpha1.RolloutStatus, t v1alpha1.RolloutConditionType) corev1.ConditionStatus {
	if c := findCondition(st.Conditions, t); c != nil {
		return c.Status
	}
	return ""
}
