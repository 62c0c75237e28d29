//go:build e2e

package canary

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/serin-dev/serin/pkg/apis/rollouts/v1alpha1"
	"github.com/serin-dev/serin/test/cluster"
	"github.com/serin-dev/serin/test/e2e/framework"
)

// A canary that cannot start says why within a second of its pod reporting it, and with
// spec.failFast aborts within a second of the threshold being crossed: the fake kubelet
// reports image pull and configuration errors as a kubelet does, the real scheduler
// reports a pod no node can take.
func TestCanaryThatCannotStartSaysWhyAndFailsFast(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		// template is the merge patch of spec.template that breaks the canary.
		template string
		failFast string // spec.failFast as JSON, "" for none
		reason   string // the PodsFailing reason and its event's
		says     string // what the condition and the abort message say
		// reported is when the pod first reports the problem, and since when it counts.
		reported func(*corev1.Pod) (since time.Time, ok bool)
		secs     int // the threshold
	}{
		"missing image": {
			template: failing(cluster.FailImagePull, "web:missing"), failFast: `{"imagePullSeconds": 3}`, secs: 3,
			reason: v1alpha1.ReasonPodImagePullError, says: `ImagePullBackOff: Back-off pulling image "web:missing"`,
			reported: waitingIn("ImagePullBackOff"),
		},
		"missing Secret": {
			template: failing(cluster.FailConfigError, "web:2"), failFast: `{"configErrorSeconds": 2}`, secs: 2,
			reason: v1alpha1.ReasonPodConfigError, says: `CreateContainerConfigError: secret "serin-e2e-missing" not found`,
			reported: waitingIn("CreateContainerConfigError"),
		},
		"no node matches": {
			template: `{"spec":{"nodeSelector":{"serin.dev/e2e-nowhere":"true"},"containers":[{"name":"web","image":"web:2"}]}}`,
			failFast: `{"unschedulableSeconds": 2}`, secs: 2,
			reason: v1alpha1.ReasonPodUnschedulable, says: "didn't match Pod's node affinity/selector",
			reported: func(p *corev1.Pod) (time.Time, bool) {
				for _, c := range p.Status.Conditions {
					if c.Type == corev1.PodScheduled && c.Status == corev1.ConditionFalse && c.Reason == corev1.PodReasonUnschedulable {
						return c.LastTransitionTime.Time, true
					}
				}
				return time.Time{}, false
			},
		},
		"missing image, no failFast: diagnosed only": {
			template: failing(cluster.FailImagePull, "web:missing"),
			reason:   v1alpha1.ReasonPodImagePullError, says: "ImagePullBackOff",
			reported: waitingIn("ImagePullBackOff"),
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			e := framework.NewEnv(t)
			e.Given().Apply(app("web:1", "      - setWeight: 25\n      - pause: {}\n", ""))
			healthy(e)
			pods := record(e, framework.Pods, "app=web", "")
			ros := record(e, framework.Rollouts, "", "metadata.name=web")
			spec := `"template":` + tc.template
			if tc.failFast != "" {
				spec += `,"failFast":` + tc.failFast
			}
			e.When().Patch("rollout", "web", `{"spec":{`+spec+`}}`)
			var ro *v1alpha1.Rollout
			if tc.failFast != "" {
				ro = waitRollout(e, "aborted", func(ro *v1alpha1.Rollout) bool {
					return ro.Status.Abort && ro.Status.Phase == v1alpha1.RolloutPhaseDegraded
				})
			} else {
				ro = waitRollout(e, tc.reason, func(ro *v1alpha1.Rollout) bool { return failingSays(ro, tc.reason, tc.says) })
				rolloutHolds(e, 4*time.Second, "the rollout is not aborted", func(ro *v1alpha1.Rollout) bool { return !ro.Status.Abort })
			}
			// The recorders' watches may deliver a moment after the waiters' did.
			pods.await(t, "the pod reporting the problem", func(o *unstructured.Unstructured) bool { _, ok := tc.reported(toPod(t, o)); return ok })
			ros.await(t, "the abort or the cause", func(o *unstructured.Unstructured) bool {
				ro := toRollout(t, o)
				return ro.Status.Abort == (tc.failFast != "") && failingSays(ro, tc.reason, tc.says)
			})
			pods.stop(t)
			ros.stop(t)

			var since time.Time
			reportedAt, ok := pods.first(func(o *unstructured.Unstructured) bool {
				s, ok := tc.reported(toPod(t, o))
				since = s
				return ok
			})
			if !ok {
				t.Fatal("no pod reported the problem")
			}
			saidAt, ok := ros.first(func(o *unstructured.Unstructured) bool { return failingSays(toRollout(t, o), tc.reason, tc.says) })
			if !ok {
				t.Fatalf("the Rollout never named the cause %s %q", tc.reason, tc.says)
			}
			t.Logf("cause named %s after the pod reported it", saidAt.Sub(reportedAt).Round(time.Millisecond))
			if saidAt.Sub(reportedAt) > time.Second {
				t.Errorf("the cause was named %s after the pod reported it, want within a second", saidAt.Sub(reportedAt))
			}
			expectOneEvent(e, tc.reason)
			if tc.failFast == "" {
				return
			}
			crossed := since.Add(time.Duration(tc.secs) * time.Second)
			abortedAt, ok := ros.first(func(o *unstructured.Unstructured) bool { return toRollout(t, o).Status.Abort })
			if !ok {
				t.Fatal("no watch event shows the abort")
			}
			t.Logf("aborted %s after the threshold (%ds) was crossed", abortedAt.Sub(crossed).Round(time.Millisecond), tc.secs)
			if d := abortedAt.Sub(crossed); d > time.Second {
				t.Errorf("aborted %s after the threshold, want within a second", d)
			}
			for _, part := range []string{"failed fast: pod web-", tc.says, fmt.Sprintf("spec.failFast.%s", strings.Trim(strings.Split(tc.failFast, ":")[0], `{"`))} {
				if !strings.Contains(ro.Status.Message, part) {
					t.Errorf("abort message %q does not say %q", ro.Status.Message, part)
				}
			}
			expectOneEvent(e, v1alpha1.ReasonAborted)
		})
	}
}

// A canary pod that serves traffic and starts crash-looping aborts the update once it
// has restarted spec.failFast.restarts times: the canary weight is 0 within a second of
// the pod reporting that restart.
func TestCrashLoopingCanaryFailsFast(t *testing.T) {
	t.Parallel()
	e := framework.NewEnv(t)
	e.Given().Apply(app("web:1", "      - setWeight: 50\n      - pause: {}\n", ""))
	healthy(e)
	e.When().Patch("rollout", "web", `{"spec":{"failFast":{"restarts":2}}}`)
	setImage(e, "web:2")
	atPause(e, 1)
	waitCanaryWeight(e, "web-web-canary", 50)
	canaryHash := hashOf(e, "web:2")
	list, err := e.F.Kube.CoreV1().Pods(e.Namespace).List(e.T.Context(), metav1.ListOptions{LabelSelector: hashLabel + "=" + canaryHash})
	if err != nil || len(list.Items) == 0 {
		t.Fatalf("canary pods: %v %v", list, err)
	}
	victim := list.Items[0].Name
	pods := record(e, framework.Pods, "", "metadata.name="+victim)
	ings := record(e, framework.Resource("networking.k8s.io", "v1", "ingresses"), "", "metadata.name=web-web-canary")

	e.When().Label("pod", victim, cluster.FailLabel, cluster.FailCrashLoop)
	ro := waitRollout(e, "aborted", func(ro *v1alpha1.Rollout) bool {
		return ro.Status.Abort && ro.Status.Phase == v1alpha1.RolloutPhaseDegraded
	})
	waitCanaryWeight(e, "web-web-canary", 0)
	ings.await(t, "weight 0", func(o *unstructured.Unstructured) bool { return o.GetAnnotations()[weightKey] == "0" })
	pods.stop(t)
	ings.stop(t)

	crossed, ok := pods.first(func(o *unstructured.Unstructured) bool {
		for _, cs := range toPod(t, o).Status.ContainerStatuses {
			if cs.RestartCount >= 2 {
				return true
			}
		}
		return false
	})
	if !ok {
		t.Fatal("no watch event shows the pod at 2 restarts")
	}
	zeroAt, ok := ings.firstAfter(crossed.Add(-time.Millisecond), func(o *unstructured.Unstructured) bool { return o.GetAnnotations()[weightKey] == "0" })
	if !ok {
		t.Fatal("no watch event shows the canary weight at 0 after the threshold")
	}
	t.Logf("canary weight 0 %s after the pod reported its 2nd restart", zeroAt.Sub(crossed).Round(time.Millisecond))
	if d := zeroAt.Sub(crossed); d > time.Second {
		t.Errorf("weight 0 came %s after the threshold was crossed, want within a second", d)
	}
	for _, part := range []string{"failed fast: pod " + victim, "restarted 2 times, last Error with exit code 1", "spec.failFast.restarts: 2"} {
		if !strings.Contains(ro.Status.Message, part) {
			t.Errorf("abort message %q does not say %q", ro.Status.Message, part)
		}
	}
	expectOneEvent(e, v1alpha1.ReasonPodCrashLoop)
}

// failing is the template patch of a pod labelled to fail as kind says, running image.
func failing(kind, image string) string {
	return fmt.Sprintf(`{"metadata":{"labels":{%q:%q}},"spec":{"containers":[{"name":"web","image":%q}]}}`, cluster.FailLabel, kind, image)
}

// waitingIn reports a pod whose first container waits for reason, since its startTime.
func waitingIn(reason string) func(*corev1.Pod) (time.Time, bool) {
	return func(p *corev1.Pod) (time.Time, bool) {
		for _, cs := range p.Status.ContainerStatuses {
			if w := cs.State.Waiting; w != nil && w.Reason == reason && p.Status.StartTime != nil {
				return p.Status.StartTime.Time, true
			}
		}
		return time.Time{}, false
	}
}

// failingSays: the PodsFailing condition has reason and says says.
func failingSays(ro *v1alpha1.Rollout, reason, says string) bool {
	for _, c := range ro.Status.Conditions {
		if c.Type == v1alpha1.PodsFailing {
			return c.Reason == reason && strings.Contains(c.Message, says)
		}
	}
	return false
}

// expectOneEvent checks that the Rollout has exactly one event of reason, counted once.
func expectOneEvent(e *framework.Env, reason string) {
	e.T.Helper()
	ctx, cancel := context.WithTimeout(e.T.Context(), 10*time.Second)
	defer cancel()
	var n int32
	var msgs []string
	// Events are sent after the status: wait for the first.
	for n == 0 && ctx.Err() == nil {
		list, err := e.F.Kube.CoreV1().Events(e.Namespace).List(ctx, metav1.ListOptions{
			FieldSelector: "involvedObject.kind=Rollout,involvedObject.name=web,reason=" + reason})
		if err != nil {
			e.T.Fatal(err)
		}
		n, msgs = 0, nil
		for _, ev := range list.Items {
			n += max(ev.Count, 1)
			msgs = append(msgs, ev.Message)
		}
		if n == 0 {
			time.Sleep(100 * time.Millisecond)
		}
	}
	if n != 1 {
		e.T.Errorf("%d %s events, want 1: %q", n, reason, msgs)
	}
}

func toPod(t *testing.T, o *unstructured.Unstructured) *corev1.Pod {
	t.Helper()
	var p corev1.Pod
	if err := runtime.DefaultUnstructuredConverter.FromUnstructured(o.Object, &p); err != nil {
		t.Fatal(err)
	}
	return &p
}

// Blue-green: a preview whose pods crash-loop aborts the update before the active Service
// leaves the running revision.
func TestBlueGreenPreviewFailsFast(t *testing.T) {
	t.Parallel()
	e := framework.NewEnv(t)
	e.Given().Apply(blueGreenApp("web:1", "      autoPromotionEnabled: true\n"))
	healthy(e)
	e.When().Patch("rollout", "web", `{"spec":{"failFast":{"restarts":1},"template":`+failing(cluster.FailCrashLoop, "web:2")+`}}`)
	ro := waitRollout(e, "aborted", func(ro *v1alpha1.Rollout) bool {
		return ro.Status.Abort && ro.Status.Phase == v1alpha1.RolloutPhaseDegraded
	})
	if got := selectorHash(e, "web-active"); got != hashOf(e, "web:1") {
		t.Errorf("web-active selects %q, want revision 1 (%q)", got, hashOf(e, "web:1"))
	}
	for _, part := range []string{"failed fast: pod web-", "CrashLoopBackOff (restarted 1 time, last Error with exit code 1)", "spec.failFast.restarts: 1"} {
		if !strings.Contains(ro.Status.Message, part) {
			t.Errorf("abort message %q does not say %q", ro.Status.Message, part)
		}
	}
	expectOneEvent(e, v1alpha1.ReasonPodCrashLoop)
}

// await waits, up to 10s, until the recorder holds a change that satisfies cond: its watch
// may deliver a change a moment after another watch (a waiter's) did.
func (r *recorder) await(t *testing.T, what string, cond func(*unstructured.Unstructured) bool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if _, ok := r.first(cond); ok {
			return
		}
	}
	t.Fatalf("the recorder never saw %s", what)
}
