// Package diagnosis names, from a pod's own status, why it is not becoming available:
// an image that cannot be pulled, a container that keeps crashing, a configuration the
// kubelet cannot apply, no node to run on, or readiness that comes and goes. It is pure
// (no client, no clock): the plan calls it on the pods the controller gathered, and says
// what it found in the Rollout's status, its events, and — when spec.failFast asks — an
// abort (see Exceeded).
//
// Every time it reports comes from the pod's status, never from memory, so a restarted
// controller reaches the same answer (docs/design.md invariant 5):
//
//   - image pull and configuration errors: since the kubelet started the pod
//     (status.startTime; the container's waiting state carries no time of its own);
//   - unschedulable: since the PodScheduled condition last turned False;
//   - crash loops: counted in restarts, not time;
//   - flapping readiness: a pod is flapping when it is not Ready and its Ready condition
//     last changed after every container was last started — it was ready since its
//     containers started and lost it without a restart (a readiness probe that fails now
//     and then). A pod that never became ready (Ready False since before its containers
//     started) is only "not ready yet".
package diagnosis

import (
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"

	"github.com/serin-dev/serin/pkg/apis/rollouts/v1alpha1"
	"github.com/serin-dev/serin/pkg/replicaset"
)

// Problem is what one pod shows.
type Problem struct {
	Pod string
	// Reason is one of v1alpha1.ReasonPod*.
	Reason string
	// Detail is what the kubelet or the scheduler said, with the container it concerns:
	// e.g. `container app: ImagePullBackOff: Back-off pulling image "web:nope"`.
	Detail string
	// Since is when the problem began, as the pod's status tells; zero when it does not
	// (a crash loop is counted in Restarts).
	Since time.Time
	// Restarts is the highest restart count of the pod's containers.
	Restarts int32
}

// waitingReasons maps the kubelet's waiting reasons to the cause they show.
var waitingReasons = map[string]string{
	"ErrImagePull":               v1alpha1.ReasonPodImagePullError,
	"ImagePullBackOff":           v1alpha1.ReasonPodImagePullError,
	"InvalidImageName":           v1alpha1.ReasonPodImagePullError,
	"ErrImageNeverPull":          v1alpha1.ReasonPodImagePullError,
	"RegistryUnavailable":        v1alpha1.ReasonPodImagePullError,
	"CreateContainerConfigError": v1alpha1.ReasonPodConfigError,
	"CreateContainerError":       v1alpha1.ReasonPodConfigError,
	"CrashLoopBackOff":           v1alpha1.ReasonPodCrashLoop,
}

// Pod is what pod shows, and false when it shows nothing wrong: it is Ready, being
// deleted, or simply not up yet.
func Pod(pod *corev1.Pod) (Problem, bool) {
	if pod.DeletionTimestamp != nil || replicaset.PodReady(pod) {
		return Problem{}, false
	}
	pr := Problem{Pod: pod.Name}
	if c := condition(pod, corev1.PodScheduled); c != nil && c.Status == corev1.ConditionFalse && c.Reason == corev1.PodReasonUnschedulable {
		pr.Reason, pr.Detail, pr.Since = v1alpha1.ReasonPodUnschedulable, c.Message, c.LastTransitionTime.Time
		return pr, true
	}
	statuses := append(append([]corev1.ContainerStatus(nil), pod.Status.InitContainerStatuses...), pod.Status.ContainerStatuses...)
	for _, cs := range statuses {
		pr.Restarts = max(pr.Restarts, cs.RestartCount)
	}
	for _, cs := range statuses {
		if w := cs.State.Waiting; w != nil && waitingReasons[w.Reason] != "" {
			pr.Reason = waitingReasons[w.Reason]
			pr.Detail = fmt.Sprintf("container %s: %s", cs.Name, w.Reason)
			if pr.Reason == v1alpha1.ReasonPodCrashLoop {
				pr.Detail += crashDetail(cs)
			} else if w.Message != "" {
				pr.Detail += ": " + w.Message
			}
			if pr.Reason != v1alpha1.ReasonPodCrashLoop {
				pr.Since = startedAt(pod)
			}
			return pr, true
		}
	}
	// Between two crashes a container runs for a moment: it still crash-loops.
	for _, cs := range statuses {
		if cs.RestartCount > 0 && cs.LastTerminationState.Terminated != nil && !cs.Ready {
			pr.Reason = v1alpha1.ReasonPodCrashLoop
			pr.Detail = fmt.Sprintf("container %s%s", cs.Name, crashDetail(cs))
			return pr, true
		}
	}
	if flapping(pod, pod.Status.ContainerStatuses) {
		ready := condition(pod, corev1.PodReady)
		pr.Reason, pr.Since = v1alpha1.ReasonPodReadinessFlapping, ready.LastTransitionTime.Time
		pr.Detail = "was ready, and lost it without a restart"
		if ready.Message != "" {
			pr.Detail += ": " + ready.Message
		}
		return pr, true
	}
	return Problem{}, false
}

// crashDetail is the restart count and the last termination of cs.
func crashDetail(cs corev1.ContainerStatus) string {
	out := fmt.Sprintf(" (restarted %d %s", cs.RestartCount, plural(int(cs.RestartCount), "time", "times"))
	if t := cs.LastTerminationState.Terminated; t != nil {
		reason := t.Reason
		if reason == "" {
			reason = "exited"
		}
		out += fmt.Sprintf(", last %s with exit code %d", reason, t.ExitCode)
	}
	return out + ")"
}

// flapping: not Ready, every container running, and Ready last changed after the
// latest container start (see the package comment).
func flapping(pod *corev1.Pod, statuses []corev1.ContainerStatus) bool {
	ready := condition(pod, corev1.PodReady)
	if ready == nil || ready.Status != corev1.ConditionFalse || len(statuses) == 0 {
		return false
	}
	for _, cs := range statuses {
		r := cs.State.Running
		if r == nil || !ready.LastTransitionTime.After(r.StartedAt.Time) {
			return false
		}
	}
	return true
}

// startedAt is when the kubelet started pod: status.startTime, else when it was
// scheduled, else when it was created.
func startedAt(pod *corev1.Pod) time.Time {
	if pod.Status.StartTime != nil {
		return pod.Status.StartTime.Time
	}
	if c := condition(pod, corev1.PodScheduled); c != nil && c.Status == corev1.ConditionTrue {
		return c.LastTransitionTime.Time
	}
	return pod.CreationTimestamp.Time
}

func condition(pod *corev1.Pod, t corev1.PodConditionType) *corev1.PodCondition {
	for i := range pod.Status.Conditions {
		if pod.Status.Conditions[i].Type == t {
			return &pod.Status.Conditions[i]
		}
	}
	return nil
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
