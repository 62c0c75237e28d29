package plan

import (
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
)

// The reliability e2e saw it: a canary scaled 3→0 (its pods terminating), its template
// back, and the scale-up keeping a status that still counted 3 available. The pods, not
// the status, say whether it can carry traffic: no weight and the canary Service stays on
// stable until pods of it are Ready again.
func TestStaleStatusOfTerminatingPodsCarriesNoTraffic(t *testing.T) {
	s := newSim(t, rollout("web", withNginx(), withReplicas(3), withSteps(setWeight(34), pause(), setWeight(100), pause())))
	s.settle()
	s.setImage("v2")
	s.settle()
	s.promote()
	s.settle()
	expectPods(t, s, []string{"v1", "v2"}, 3, 3)
	expect(t, "weight with every canary pod up", s.weight(), 100)

	// A new template: v2 goes down (weight first), and its pods start terminating while
	// its status still says 3 available.
	s.setImage("v3")
	s.sync()
	expect(t, "weight after the new template", s.weight(), 0)
	expectPods(t, s, []string{"v1", "v2"}, 3, 0)
	s.PodsTerminating()
	// Rolled back to v2 before its status caught up.
	s.setImage("v2")
	s.sync()
	s.sync()
	expectPods(t, s, []string{"v2"}, 2)
	expect(t, "v2's status (stale)", s.rsOfImage("v2").Status.AvailableReplicas, 3)
	expect(t, "weight to pods that are all terminating", s.weight(), 0)
	expect(t, "canary selects", s.selects("web-canary"), "v1")

	// Its pods come up again: the weight follows.
	s.settle()
	expect(t, "weight once a v2 pod is Ready", s.weight(), 34)
	expect(t, "canary selects", s.selects("web-canary"), "v2")
}

// The plan's available pods: the status' count, no more than the pods Ready and not
// terminating (Input.ReadyPods), counting a pod once Ready for minReadySeconds.
func TestAvailableFromPods(t *testing.T) {
	now := t0
	ago := func(d time.Duration) time.Time { return now.Add(-d) }
	tests := map[string]struct {
		available       int32
		minReadySeconds int32
		ready           []time.Time // nil: pods not known
		want            int32
		requeue         time.Duration
	}{
		"pods not known: the status":             {available: 3, want: 3},
		"all terminating, status stale":          {available: 3, ready: []time.Time{}, want: 0},
		"some terminating":                       {available: 3, ready: []time.Time{ago(time.Hour)}, want: 1},
		"status behind its pods":                 {available: 1, ready: []time.Time{ago(time.Hour), ago(time.Hour)}, want: 1},
		"ready, no transition time":              {available: 2, ready: []time.Time{{}, {}}, want: 2},
		"ready for less than minReadySeconds":    {available: 2, minReadySeconds: 10, ready: []time.Time{ago(time.Hour), ago(4 * time.Second)}, want: 1, requeue: 6 * time.Second},
		"ready for exactly minReadySeconds":      {available: 2, minReadySeconds: 10, ready: []time.Time{ago(10 * time.Second), ago(time.Hour)}, want: 2},
		"minReadySeconds: the status says fewer": {available: 0, minReadySeconds: 10, ready: []time.Time{ago(time.Hour)}, want: 0},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			rs := &appsv1.ReplicaSet{ObjectMeta: metav1.ObjectMeta{Name: "web-a"}}
			rs.Spec.Replicas, rs.Spec.MinReadySeconds = ptr.To(int32(3)), tc.minReadySeconds
			rs.Status.Replicas, rs.Status.AvailableReplicas = 3, tc.available
			in := Input{Now: now}
			if tc.ready != nil {
				in.ReadyPods = map[string]ReadyPods{rs.Name: {Since: tc.ready}}
			}
			p := &planner{in: in, now: now}
			expect(t, "available", p.available(rs), tc.want)
			expect(t, "requeue", p.requeue, tc.requeue)
		})
	}
}

// Only Ready pods without a deletionTimestamp count, with the time their Ready condition
// turned True.
func TestReadyPodsOf(t *testing.T) {
	at := metav1.NewTime(t0)
	pod := func(status corev1.ConditionStatus, deleting bool) *corev1.Pod {
		p := &corev1.Pod{Status: corev1.PodStatus{Conditions: []corev1.PodCondition{
			{Type: corev1.PodScheduled, Status: corev1.ConditionTrue},
			{Type: corev1.PodReady, Status: status, LastTransitionTime: at},
		}}}
		if deleting {
			p.DeletionTimestamp = &at
		}
		return p
	}
	got := ReadyPodsOf([]*corev1.Pod{pod(corev1.ConditionTrue, false), pod(corev1.ConditionTrue, true),
		pod(corev1.ConditionFalse, false), pod(corev1.ConditionUnknown, false), {}})
	if len(got.Since) != 1 || !got.Since[0].Equal(t0) {
		t.Errorf("ReadyPodsOf = %v, want one pod Ready since %v", got.Since, t0)
	}
	if none := ReadyPodsOf(nil); none.Since == nil {
		t.Error("ReadyPodsOf(nil) is not a known zero count")
	}
}
