package framework

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/serin-dev/serin/test/cluster"
)

// Given, When and Then group a test's steps: what exists, what changes, what must
// follow. Every step runs in the test's namespace, fails the test itself on error, and
// returns its group so steps chain:
//
//	e.Given().Apply(rs).
//		When().Label("pod", name, cluster.HealthLabel, cluster.HealthNotReady).
//		Then().PodsReady("app=web", 2)
//
// Then steps wait on watch events (or `kubectl wait`) up to Env.Timeout; none sleeps.
type (
	Given struct{ e *Env }
	When  struct{ e *Env }
	Then  struct{ e *Env }
)

func (e *Env) Given() Given { return Given{e} }
func (e *Env) When() When   { return When{e} }
func (e *Env) Then() Then   { return Then{e} }

func (g Given) When() When { return When(g) }
func (g Given) Then() Then { return Then(g) }
func (w When) Then() Then  { return Then(w) }
func (t Then) When() When  { return When(t) }

// Apply applies YAML (one or more documents) with `kubectl apply -f -`.
func (g Given) Apply(manifest string) Given { g.e.T.Helper(); g.e.apply(manifest); return g }

// ApplyFile applies a file or directory with `kubectl apply -f`.
func (g Given) ApplyFile(path string) Given {
	g.e.T.Helper()
	g.e.Kubectl("apply", "-f", path)
	return g
}

// Apply applies YAML with `kubectl apply -f -`.
func (w When) Apply(manifest string) When { w.e.T.Helper(); w.e.apply(manifest); return w }

// Label sets (overwrites) a label, e.g. Label("pod", name, cluster.HealthLabel, "false").
func (w When) Label(kind, name, key, value string) When {
	w.e.T.Helper()
	w.e.Kubectl("label", "--overwrite", kind, name, key+"="+value)
	return w
}

// Patch merge-patches an object, e.g. Patch("rs", "web", `{"spec":{"replicas":5}}`).
func (w When) Patch(kind, name, patch string) When {
	w.e.T.Helper()
	w.e.Kubectl("patch", kind, name, "--type=merge", "-p", patch)
	return w
}

// Scale sets the replicas of a scalable object.
func (w When) Scale(kind, name string, replicas int) When {
	w.e.T.Helper()
	w.e.Kubectl("scale", kind, name, "--replicas="+strconv.Itoa(replicas))
	return w
}

// Delete deletes an object without waiting for it to go.
func (w When) Delete(kind, name string) When {
	w.e.T.Helper()
	w.e.Kubectl("delete", kind, name, "--wait=false")
	return w
}

// Run runs a free-form action, for what the steps above do not cover.
func (w When) Run(action func(e *Env)) When { w.e.T.Helper(); action(w.e); return w }

func (e *Env) apply(manifest string) {
	e.T.Helper()
	out, err := e.F.Cluster.KubectlStdin(e.ctx(), strings.NewReader(manifest), "--namespace", e.Namespace, "apply", "-f", "-")
	if err != nil {
		e.T.Fatalf("%v\nmanifest:\n%s", err, manifest)
	}
	e.T.Logf("applied: %s", strings.TrimSpace(string(out)))
}

// KubectlWait runs `kubectl wait --timeout=<Env.Timeout>` with args, e.g.
// KubectlWait("--for=condition=Available", "deployment/web").
func (t Then) KubectlWait(args ...string) Then {
	t.e.T.Helper()
	t.e.Kubectl(append([]string{"wait", "--timeout=" + t.e.Timeout.String()}, args...)...)
	return t
}

// Object waits until the named object of gvr in the test namespace satisfies cond.
func (t Then) Object(gvr schema.GroupVersionResource, name, what string, cond func(*object) (bool, error)) Then {
	t.e.T.Helper()
	t.e.waitFor(gvr, t.e.Namespace, name, fmt.Sprintf("%s %s: %s", gvr.Resource, name, what), cond)
	return t
}

// Pods waits until cond holds for the pods matching the label selector.
func (t Then) Pods(selector, what string, cond func([]corev1.Pod) bool) Then {
	t.e.T.Helper()
	t.e.waitForSet(Pods, t.e.Namespace, selector, "", fmt.Sprintf("pods %s: %s", selector, what),
		func(objs []*object) (bool, error) {
			pods, err := toPods(objs)
			return err == nil && cond(pods), err
		})
	return t
}

// PodsReady waits until exactly n pods match the selector and all of them are Ready.
func (t Then) PodsReady(selector string, n int) Then {
	t.e.T.Helper()
	return t.Pods(selector, fmt.Sprintf("%d pods, all Ready", n), func(pods []corev1.Pod) bool {
		return len(pods) == n && countReady(pods) == n
	})
}

// PodsNotReady waits until exactly n pods match the selector and none of them is Ready
// although the fake kubelet has handled each (it set container statuses): pods labelled
// cluster.HealthNotReady or cluster.HealthNever, or relabelled.
func (t Then) PodsNotReady(selector string, n int) Then {
	t.e.T.Helper()
	return t.Pods(selector, fmt.Sprintf("%d pods, none Ready", n), func(pods []corev1.Pod) bool {
		if len(pods) != n || countReady(pods) != 0 {
			return false
		}
		for _, p := range pods {
			if len(p.Status.ContainerStatuses) == 0 {
				return false
			}
		}
		return true
	})
}

// PodsStayNotReady watches the pods matching the selector for d and fails the test if any
// of them turns Ready meanwhile.
func (t Then) PodsStayNotReady(selector string, d time.Duration) Then {
	t.e.T.Helper()
	t.e.holdsFor(d, Pods, t.e.Namespace, selector, fmt.Sprintf("no pod %s is Ready", selector),
		func(objs []*object) (bool, error) {
			pods, err := toPods(objs)
			return err == nil && countReady(pods) == 0, err
		})
	return t
}

// Expect runs free-form assertions, for what the steps above do not cover.
func (t Then) Expect(check func(e *Env)) Then { t.e.T.Helper(); check(t.e); return t }

func toPods(objs []*object) ([]corev1.Pod, error) {
	pods := make([]corev1.Pod, len(objs))
	for i, o := range objs {
		if err := runtime.DefaultUnstructuredConverter.FromUnstructured(o.Object, &pods[i]); err != nil {
			return nil, err
		}
	}
	return pods, nil
}

// IsReady reports whether the pod's Ready condition is True.
func IsReady(p *corev1.Pod) bool {
	for _, c := range p.Status.Conditions {
		if c.Type == corev1.PodReady {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}

// PodReadyIs is a Then().Object condition on a pod: its Ready condition is want.
func PodReadyIs(want bool) func(*unstructured.Unstructured) (bool, error) {
	return func(u *unstructured.Unstructured) (bool, error) {
		var p corev1.Pod
		if err := runtime.DefaultUnstructuredConverter.FromUnstructured(u.Object, &p); err != nil {
			return false, err
		}
		return IsReady(&p) == want, nil
	}
}

func countReady(pods []corev1.Pod) int {
	n := 0
	for i := range pods {
		if IsReady(&pods[i]) {
			n++
		}
	}
	return n
}

// Health values, re-exported for tests: see cluster.HealthLabel.
const (
	HealthLabel    = cluster.HealthLabel
	HealthReady    = cluster.HealthReady
	HealthNotReady = cluster.HealthNotReady
	HealthNever    = cluster.HealthNever
)
