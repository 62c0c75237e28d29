package diagnosis

import (
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	"github.com/serin-dev/serin/pkg/apis/rollouts/v1alpha1"
)

var t0 = time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)

type podOpt func(*corev1.Pod)

func pod(name string, opts ...podOpt) *corev1.Pod {
	p := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: name, CreationTimestamp: metav1.NewTime(t0)}}
	p.Status.Conditions = []corev1.PodCondition{{Type: corev1.PodReady, Status: corev1.ConditionFalse, LastTransitionTime: metav1.NewTime(t0)}}
	for _, o := range opts {
		o(p)
	}
	return p
}

func startedAtT(d time.Duration) podOpt {
	return func(p *corev1.Pod) { p.Status.StartTime = ptr.To(metav1.NewTime(t0.Add(d))) }
}

func waiting(reason, msg string) podOpt {
	return func(p *corev1.Pod) {
		p.Status.ContainerStatuses = append(p.Status.ContainerStatuses, corev1.ContainerStatus{Name: "app",
			State: corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: reason, Message: msg}}})
	}
}

func crashed(restarts int32, reason string, code int32, running bool) podOpt {
	return func(p *corev1.Pod) {
		cs := corev1.ContainerStatus{Name: "app", RestartCount: restarts,
			LastTerminationState: corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{Reason: reason, ExitCode: code}}}
		if running {
			cs.State.Running = &corev1.ContainerStateRunning{StartedAt: metav1.NewTime(t0)}
		} else {
			cs.State.Waiting = &corev1.ContainerStateWaiting{Reason: "CrashLoopBackOff", Message: "back-off 40s restarting failed container"}
		}
		p.Status.ContainerStatuses = append(p.Status.ContainerStatuses, cs)
	}
}

func running(since time.Duration) podOpt {
	return func(p *corev1.Pod) {
		p.Status.ContainerStatuses = append(p.Status.ContainerStatuses, corev1.ContainerStatus{Name: "app",
			State: corev1.ContainerState{Running: &corev1.ContainerStateRunning{StartedAt: metav1.NewTime(t0.Add(since))}}})
	}
}

func readyChanged(status corev1.ConditionStatus, at time.Duration) podOpt {
	return func(p *corev1.Pod) {
		p.Status.Conditions[0] = corev1.PodCondition{Type: corev1.PodReady, Status: status, LastTransitionTime: metav1.NewTime(t0.Add(at)),
			Message: map[corev1.ConditionStatus]string{corev1.ConditionFalse: "containers with unready status: [app]"}[status]}
	}
}

func unschedulable(at time.Duration) podOpt {
	return func(p *corev1.Pod) {
		p.Status.Conditions = append(p.Status.Conditions, corev1.PodCondition{Type: corev1.PodScheduled, Status: corev1.ConditionFalse,
			Reason: corev1.PodReasonUnschedulable, Message: "0/3 nodes are available: 3 node(s) didn't match Pod's node affinity/selector.",
			LastTransitionTime: metav1.NewTime(t0.Add(at))})
	}
}

func TestPod(t *testing.T) {
	tests := map[string]struct {
		pod      *corev1.Pod
		reason   string // "" for no problem
		detail   string // a part of the detail
		since    time.Time
		restarts int32
	}{
		"image pull back-off": {pod: pod("a", startedAtT(2*time.Second), waiting("ImagePullBackOff", `Back-off pulling image "web:nope"`)),
			reason: v1alpha1.ReasonPodImagePullError, detail: `container app: ImagePullBackOff: Back-off pulling image "web:nope"`, since: t0.Add(2 * time.Second)},
		"err image pull": {pod: pod("a", startedAtT(0), waiting("ErrImagePull", "not found")),
			reason: v1alpha1.ReasonPodImagePullError, detail: "ErrImagePull: not found", since: t0},
		"invalid image name, no start time: since creation": {pod: pod("a", waiting("InvalidImageName", `couldn't parse image name "Web:"`)),
			reason: v1alpha1.ReasonPodImagePullError, detail: "InvalidImageName", since: t0},
		"config error": {pod: pod("a", startedAtT(time.Second), waiting("CreateContainerConfigError", `secret "db" not found`)),
			reason: v1alpha1.ReasonPodConfigError, detail: `CreateContainerConfigError: secret "db" not found`, since: t0.Add(time.Second)},
		"crash loop, OOMKilled": {pod: pod("a", crashed(5, "OOMKilled", 137, false)),
			reason: v1alpha1.ReasonPodCrashLoop, detail: "CrashLoopBackOff (restarted 5 times, last OOMKilled with exit code 137)", restarts: 5},
		"crash loop, running between two crashes": {pod: pod("a", crashed(1, "Error", 1, true)),
			reason: v1alpha1.ReasonPodCrashLoop, detail: "container app (restarted 1 time, last Error with exit code 1)", restarts: 1},
		"crash loop in an init container": {pod: func() *corev1.Pod {
			p := pod("a", crashed(3, "Error", 2, false))
			p.Status.InitContainerStatuses, p.Status.ContainerStatuses = p.Status.ContainerStatuses, nil
			return p
		}(), reason: v1alpha1.ReasonPodCrashLoop, detail: "last Error with exit code 2", restarts: 3},
		"unschedulable": {pod: pod("a", unschedulable(3*time.Second)),
			reason: v1alpha1.ReasonPodUnschedulable, detail: "didn't match Pod's node affinity/selector", since: t0.Add(3 * time.Second)},
		"readiness lost after the container started: flapping": {pod: pod("a", running(time.Second), readyChanged(corev1.ConditionFalse, 20*time.Second)),
			reason: v1alpha1.ReasonPodReadinessFlapping, detail: "was ready, and lost it", since: t0.Add(20 * time.Second)},
		"never ready since it started: only not ready yet": {pod: pod("a", running(time.Second), readyChanged(corev1.ConditionFalse, 0))},
		"ready, though it restarted once":                  {pod: pod("a", crashed(1, "Error", 1, true), readyChanged(corev1.ConditionTrue, 0))},
		"creating containers":                              {pod: pod("a", waiting("ContainerCreating", ""))},
		"pending, no status yet":                           {pod: pod("a")},
		"being deleted": {pod: func() *corev1.Pod {
			p := pod("a", waiting("ImagePullBackOff", ""))
			p.DeletionTimestamp = ptr.To(metav1.NewTime(t0))
			return p
		}()},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			pr, ok := Pod(tc.pod)
			if ok != (tc.reason != "") || pr.Reason != tc.reason {
				t.Fatalf("Pod = %+v, %v; want reason %q", pr, ok, tc.reason)
			}
			if !strings.Contains(pr.Detail, tc.detail) {
				t.Errorf("detail %q does not say %q", pr.Detail, tc.detail)
			}
			if !pr.Since.Equal(tc.since) {
				t.Errorf("since %v, want %v", pr.Since, tc.since)
			}
			if pr.Restarts != tc.restarts {
				t.Errorf("restarts %d, want %d", pr.Restarts, tc.restarts)
			}
		})
	}
}

func TestPodsGroupsByCauseInOrder(t *testing.T) {
	causes := Pods([]*corev1.Pod{
		pod("c", unschedulable(0)),
		pod("b", waiting("ImagePullBackOff", "x")),
		pod("a", waiting("ErrImagePull", "x")),
		pod("d", running(0), readyChanged(corev1.ConditionTrue, 0)),
	})
	if len(causes) != 2 || causes[0].Reason != v1alpha1.ReasonPodImagePullError || causes[1].Reason != v1alpha1.ReasonPodUnschedulable {
		t.Fatalf("causes %+v", causes)
	}
	if got := causes[0].String(); got != "PodImagePullError: 2 pods, e.g. pod a: container app: ErrImagePull: x" {
		t.Errorf("String() = %q", got)
	}
	s := Summary(causes)
	for reason, want := range map[string]bool{v1alpha1.ReasonPodImagePullError: true, v1alpha1.ReasonPodUnschedulable: true, v1alpha1.ReasonPodCrashLoop: false} {
		if Mentions(s, reason) != want {
			t.Errorf("Mentions(%q, %s) = %v, want %v", s, reason, !want, want)
		}
	}
}

func TestExceeded(t *testing.T) {
	ff := &v1alpha1.FailFast{ImagePullSeconds: ptr.To[int32](30), Restarts: ptr.To[int32](3),
		UnschedulableSeconds: ptr.To[int32](10), ConfigErrorSeconds: ptr.To[int32](0)}
	pull := Problem{Reason: v1alpha1.ReasonPodImagePullError, Since: t0}
	tests := map[string]struct {
		pr        Problem
		ff        *v1alpha1.FailFast
		now       time.Time
		exceeded  bool
		threshold string
		at        time.Time
	}{
		"image pull before its threshold": {pr: pull, ff: ff, now: t0.Add(29 * time.Second), threshold: "spec.failFast.imagePullSeconds: 30", at: t0.Add(30 * time.Second)},
		"image pull at its threshold":     {pr: pull, ff: ff, now: t0.Add(30 * time.Second), exceeded: true, threshold: "spec.failFast.imagePullSeconds: 30", at: t0.Add(30 * time.Second)},
		"no threshold for image pulls":    {pr: pull, ff: &v1alpha1.FailFast{Restarts: ptr.To[int32](1)}, now: t0.Add(time.Hour)},
		"no failFast":                     {pr: pull, now: t0.Add(time.Hour)},
		"config error at 0 seconds":       {pr: Problem{Reason: v1alpha1.ReasonPodConfigError, Since: t0}, ff: ff, now: t0, exceeded: true, threshold: "spec.failFast.configErrorSeconds: 0", at: t0},
		"unschedulable past":              {pr: Problem{Reason: v1alpha1.ReasonPodUnschedulable, Since: t0}, ff: ff, now: t0.Add(11 * time.Second), exceeded: true, threshold: "spec.failFast.unschedulableSeconds: 10", at: t0.Add(10 * time.Second)},
		"restarts below":                  {pr: Problem{Reason: v1alpha1.ReasonPodCrashLoop, Restarts: 2}, ff: ff, now: t0},
		"restarts reached":                {pr: Problem{Reason: v1alpha1.ReasonPodCrashLoop, Restarts: 3}, ff: ff, now: t0, exceeded: true, threshold: "spec.failFast.restarts: 3"},
		"flapping has no threshold":       {pr: Problem{Reason: v1alpha1.ReasonPodReadinessFlapping, Since: t0}, ff: ff, now: t0.Add(time.Hour)},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			v := Exceeded(tc.pr, tc.ff, "spec.failFast", tc.now)
			if v.Exceeded != tc.exceeded || v.At != tc.at || (tc.threshold != "" && v.Threshold != tc.threshold) {
				t.Errorf("Exceeded = %+v, want exceeded %v threshold %q at %v", v, tc.exceeded, tc.threshold, tc.at)
			}
		})
	}
}
