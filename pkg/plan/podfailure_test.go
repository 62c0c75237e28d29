package plan

import (
	"slices"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	"github.com/serin-dev/serin/pkg/apis/rollouts/v1alpha1"
)

// Pod statuses as a kubelet or the scheduler reports them.

func waitingStatus(reason, msg string, started time.Time) *corev1.PodStatus {
	return &corev1.PodStatus{Phase: corev1.PodPending, StartTime: ptr.To(metav1.NewTime(started)),
		Conditions: []corev1.PodCondition{{Type: corev1.PodReady, Status: corev1.ConditionFalse}},
		ContainerStatuses: []corev1.ContainerStatus{{Name: "web",
			State: corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: reason, Message: msg}}}}}
}

func imagePullStatus(started time.Time) *corev1.PodStatus {
	return waitingStatus("ImagePullBackOff", `Back-off pulling image "v2"`, started)
}

func crashLoopStatus(restarts int32) *corev1.PodStatus {
	st := waitingStatus("CrashLoopBackOff", "back-off 20s restarting failed container", t0)
	st.Phase = corev1.PodRunning
	st.ContainerStatuses[0].RestartCount = restarts
	st.ContainerStatuses[0].LastTerminationState.Terminated = &corev1.ContainerStateTerminated{Reason: "OOMKilled", ExitCode: 137}
	return st
}

func unschedulableStatus(since time.Time) *corev1.PodStatus {
	return &corev1.PodStatus{Phase: corev1.PodPending, Conditions: []corev1.PodCondition{{Type: corev1.PodScheduled,
		Status: corev1.ConditionFalse, Reason: corev1.PodReasonUnschedulable, LastTransitionTime: metav1.NewTime(since),
		Message: "0/3 nodes are available: 3 node(s) didn't match Pod's node affinity/selector."}}}
}

func withFailFast(ff v1alpha1.FailFast) rolloutOpt {
	return func(ro *v1alpha1.Rollout) { ro.Spec.FailFast = &ff }
}

func count(events []string, reason string) int {
	n := 0
	for _, e := range events {
		if e == reason {
			n++
		}
	}
	return n
}

func condition(s *sim, t v1alpha1.RolloutConditionType) *v1alpha1.RolloutCondition {
	return findCondition(s.ro.Status.Conditions, t)
}

// Each cause and threshold over one canary: the new revision's pods report status from
// the moment they exist; time passes in the given steps, the pods may recover.
func TestFailFast(t *testing.T) {
	tests := map[string]struct {
		opts []rolloutOpt
		// status is what v2's pods report, given when the update began.
		status func(start time.Time) *corev1.PodStatus
		// waits are the times that pass, syncing after each; recoverAfter, when set, is
		// the wait after which the pods become ready.
		waits        []time.Duration
		recoverAfter int
		defaults     *v1alpha1.FailFast
		reason       string // the PodsFailing reason after the first sync
		detail       string // a part of the PodsFailing message
		aborted      bool
		abortSays    []string // parts of the abort message
	}{
		"image pull without failFast: diagnosed, runs to the progress deadline": {
			status: imagePullStatus, waits: []time.Duration{10 * time.Second, 100 * time.Second},
			reason: v1alpha1.ReasonPodImagePullError, detail: "ImagePullBackOff",
		},
		"image pull past imagePullSeconds aborts": {
			opts:   []rolloutOpt{withFailFast(v1alpha1.FailFast{ImagePullSeconds: ptr.To[int32](30)})},
			status: imagePullStatus, waits: []time.Duration{29 * time.Second, time.Second},
			reason: v1alpha1.ReasonPodImagePullError, detail: `Back-off pulling image "v2"`, aborted: true,
			abortSays: []string{"RolloutAborted: Rollout aborted update to revision 2: failed fast: pod web-", "ImagePullBackOff", "(spec.failFast.imagePullSeconds: 30)"},
		},
		"image pull that recovers before the threshold does not abort": {
			opts:   []rolloutOpt{withFailFast(v1alpha1.FailFast{ImagePullSeconds: ptr.To[int32](30)})},
			status: imagePullStatus, waits: []time.Duration{20 * time.Second, 20 * time.Second}, recoverAfter: 1,
			reason: v1alpha1.ReasonPodImagePullError,
		},
		"the controller's default applies without spec.failFast": {
			defaults: &v1alpha1.FailFast{ImagePullSeconds: ptr.To[int32](10)},
			status:   imagePullStatus, waits: []time.Duration{10 * time.Second},
			reason: v1alpha1.ReasonPodImagePullError, aborted: true, abortSays: []string{"(--fail-fast.imagePullSeconds: 10)"},
		},
		"an empty spec.failFast turns the default off": {
			opts:     []rolloutOpt{withFailFast(v1alpha1.FailFast{})},
			defaults: &v1alpha1.FailFast{ImagePullSeconds: ptr.To[int32](10)},
			status:   imagePullStatus, waits: []time.Duration{time.Minute},
			reason: v1alpha1.ReasonPodImagePullError,
		},
		"config error past configErrorSeconds aborts": {
			opts: []rolloutOpt{withFailFast(v1alpha1.FailFast{ConfigErrorSeconds: ptr.To[int32](5)})},
			status: func(start time.Time) *corev1.PodStatus {
				return waitingStatus("CreateContainerConfigError", `secret "db" not found`, start)
			},
			waits:  []time.Duration{5 * time.Second},
			reason: v1alpha1.ReasonPodConfigError, detail: `secret "db" not found`, aborted: true,
			abortSays: []string{`CreateContainerConfigError: secret "db" not found`, "configErrorSeconds: 5"},
		},
		"crash loop below restarts does not abort": {
			opts:   []rolloutOpt{withFailFast(v1alpha1.FailFast{Restarts: ptr.To[int32](3)})},
			status: func(time.Time) *corev1.PodStatus { return crashLoopStatus(2) }, waits: []time.Duration{time.Minute},
			reason: v1alpha1.ReasonPodCrashLoop, detail: "restarted 2 times, last OOMKilled with exit code 137",
		},
		"crash loop at restarts aborts at once": {
			opts:   []rolloutOpt{withFailFast(v1alpha1.FailFast{Restarts: ptr.To[int32](3)})},
			status: func(time.Time) *corev1.PodStatus { return crashLoopStatus(3) },
			reason: v1alpha1.ReasonPodCrashLoop, aborted: true,
			abortSays: []string{"CrashLoopBackOff (restarted 3 times, last OOMKilled with exit code 137)", "spec.failFast.restarts: 3"},
		},
		"unschedulable past unschedulableSeconds aborts": {
			opts:   []rolloutOpt{withFailFast(v1alpha1.FailFast{UnschedulableSeconds: ptr.To[int32](15)})},
			status: unschedulableStatus, waits: []time.Duration{14 * time.Second, time.Second},
			reason: v1alpha1.ReasonPodUnschedulable, detail: "didn't match Pod's node affinity/selector", aborted: true,
			abortSays: []string{"PodUnschedulable", "unschedulableSeconds: 15"},
		},
		"an unschedulable pod with only an image pull threshold does not abort": {
			opts:   []rolloutOpt{withFailFast(v1alpha1.FailFast{ImagePullSeconds: ptr.To[int32](1)})},
			status: unschedulableStatus, waits: []time.Duration{time.Minute},
			reason: v1alpha1.ReasonPodUnschedulable,
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			s := newSim(t, rollout("web", append([]rolloutOpt{withNginx(), withSteps(setWeight(20), pause())}, tc.opts...)...))
			s.failFast = tc.defaults
			s.settle()
			s.podStatus["v2"] = tc.status(s.now)
			s.setImage("v2")
			s.settle()
			c := condition(s, v1alpha1.PodsFailing)
			if c == nil || c.Reason != tc.reason || !strings.Contains(c.Message, tc.detail) || !s.ro.Status.Abort && !strings.Contains(s.ro.Status.Message, c.Message) {
				t.Fatalf("PodsFailing = %+v, want reason %s saying %q, in the status message %q", c, tc.reason, tc.detail, s.ro.Status.Message)
			}
			for i, d := range tc.waits {
				if i == tc.recoverAfter && tc.recoverAfter > 0 {
					delete(s.podStatus, "v2")
					s.rsOfImage("v2").Spec.Replicas = ptr.To(replicasOf(s.rsOfImage("v2"))) // pods keep their count
					s.podsOf[s.rsOfImage("v2").Name] = nil                                  // and are recreated Ready
				}
				p := s.settle()
				var left time.Duration // until the threshold
				for _, w := range tc.waits[i:] {
					left += w
				}
				if !s.ro.Status.Abort && tc.aborted && (p.RequeueAfter <= 0 || p.RequeueAfter > left) {
					t.Errorf("wait %d: RequeueAfter %v, want at most %v (the threshold)", i, p.RequeueAfter, left)
				}
				s.advance(d)
				s.settle()
			}
			expect(t, "aborted", s.ro.Status.Abort, tc.aborted)
			expect(t, "weight", s.weight(), map[bool]int32{true: 0, false: s.weight()}[tc.aborted])
			expect(t, "events of the cause", count(s.events, tc.reason), 1)
			if tc.aborted {
				expect(t, "phase", s.ro.Status.Phase, v1alpha1.RolloutPhaseDegraded)
				expect(t, "canary selects", s.selects("web-canary"), "v1")
				for _, part := range tc.abortSays {
					if !strings.Contains(s.ro.Status.Message, part) {
						t.Errorf("abort message %q does not say %q", s.ro.Status.Message, part)
					}
				}
				expect(t, "abort events", count(s.events, v1alpha1.ReasonAborted), 1)
				return
			}
			if condition(s, v1alpha1.FailedFast) != nil {
				t.Errorf("FailedFast condition without an abort")
			}
			if tc.recoverAfter > 0 {
				expect(t, "phase after recovering", s.ro.Status.Phase, v1alpha1.RolloutPhasePaused)
				if condition(s, v1alpha1.PodsFailing) != nil {
					t.Errorf("PodsFailing stays after the pods recovered")
				}
			}
		})
	}
}

// After a fail-fast abort, retry runs the steps again as after any abort, and the
// FailedFast condition goes.
func TestFailFastAbortThenRetry(t *testing.T) {
	s := newSim(t, rollout("web", withNginx(), withSteps(setWeight(20), pause()),
		withFailFast(v1alpha1.FailFast{ImagePullSeconds: ptr.To[int32](0)})))
	s.settle()
	s.podStatus["v2"] = imagePullStatus(s.now)
	s.setImage("v2")
	s.settle()
	expect(t, "aborted", s.ro.Status.Abort, true)
	expect(t, "FailedFast reason", condition(s, v1alpha1.FailedFast).Reason, v1alpha1.ReasonPodImagePullError)
	s.advance(30 * time.Second) // abortScaleDownDelaySeconds: the canary goes down
	s.settle()
	expectPods(t, s, []string{"v1", "v2"}, 4, 0)
	if condition(s, v1alpha1.PodsFailing) != nil {
		t.Errorf("PodsFailing stays with no pod left")
	}

	delete(s.podStatus, "v2") // the image is there now
	s.ro.Status.Abort = false
	s.settle()
	expect(t, "step after retry", step(s), 1)
	expect(t, "weight after retry", s.weight(), 20)
	if condition(s, v1alpha1.FailedFast) != nil {
		t.Errorf("FailedFast stays after retry")
	}
	s.promote()
	s.settle()
	expect(t, "phase", s.ro.Status.Phase, v1alpha1.RolloutPhaseHealthy)
}

// Blue-green: the preview's pods abort the update before the active Service moves.
func TestFailFastBlueGreenPreview(t *testing.T) {
	s := newSim(t, rollout("web", withReplicas(2), blueGreen(manual), withFailFast(v1alpha1.FailFast{Restarts: ptr.To[int32](2)})))
	s.settle()
	s.podStatus["v2"] = crashLoopStatus(1)
	s.setImage("v2")
	s.settle()
	expect(t, "aborted before the threshold", s.ro.Status.Abort, false)
	expect(t, "PodsFailing", condition(s, v1alpha1.PodsFailing).Reason, v1alpha1.ReasonPodCrashLoop)
	s.podStatus["v2"] = crashLoopStatus(2)
	s.podsOf[s.rsOfImage("v2").Name] = nil
	s.settle()
	expect(t, "aborted", s.ro.Status.Abort, true)
	expectSelects(t, s, "v1", "v1")
	expect(t, "phase", s.ro.Status.Phase, v1alpha1.RolloutPhaseDegraded)
	expect(t, "crash loop events", count(s.events, v1alpha1.ReasonPodCrashLoop), 1)
}

// Only the current revision's pods count: failing pods of the stable revision, or of a
// revision the current one replaced, neither abort it nor show as its cause.
func TestFailFastIgnoresOtherRevisions(t *testing.T) {
	tests := map[string]struct{ failingImage string }{
		"a pod of the stable revision":   {"v1"},
		"a pod of the superseded canary": {"v2"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			s := newSim(t, rollout("web", withNginx(), withSteps(setWeight(20), pause()),
				withFailFast(v1alpha1.FailFast{ImagePullSeconds: ptr.To[int32](0), Restarts: ptr.To[int32](1)})))
			s.settle()
			s.setImage("v2")
			s.settle()
			var failingHash string
			for _, rs := range s.rss {
				if rs.Spec.Template.Spec.Containers[0].Image == tc.failingImage {
					failingHash = hashOf(rs)
				}
			}
			s.setImage("v3")
			s.settle()
			in := s.input()
			failing := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "old", Labels: map[string]string{v1alpha1.DefaultRolloutUniqueLabelKey: failingHash}},
				Status: *crashLoopStatus(9)}
			in.Pods = append(in.Pods, failing)
			p := Next(in)
			expect(t, "aborted", p.Status.Abort, false)
			if findCondition(p.Status.Conditions, v1alpha1.PodsFailing) != nil || slices.ContainsFunc(p.Events, func(e Event) bool { return e.Reason == v1alpha1.ReasonPodCrashLoop }) {
				t.Errorf("an other revision's pod shows as the cause: %+v %+v", p.Status.Conditions, p.Events)
			}
		})
	}
}
