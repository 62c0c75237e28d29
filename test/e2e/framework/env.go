package framework

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// DefaultTimeout bounds each wait of a Then step; fake pods are Ready in about a
// second, so a wait this long means something is wrong, not slow.
const DefaultTimeout = 60 * time.Second

// Env is one test's view of the cluster: its own namespace, its deadline for waits, and
// a dump of that namespace when the test fails.
type Env struct {
	T         *testing.T
	F         *Framework
	Namespace string
	Timeout   time.Duration // per wait; DefaultTimeout unless changed
}

var namespaceSeq atomic.Int64

// NewEnv creates a namespace for t, named after the test, and waits for its default
// ServiceAccount so that pods can be created in it at once. When t fails, its cleanup
// writes the namespace's objects, events and the controller log to Artifacts and logs a
// summary; the namespace is deleted after a passing test and kept after a failing one.
func NewEnv(t *testing.T) *Env {
	t.Helper()
	f := Current()
	e := &Env{T: t, F: f, Timeout: DefaultTimeout}
	e.Namespace = fmt.Sprintf("%s-%d", sanitize(strings.TrimPrefix(t.Name(), "Test"), 50), namespaceSeq.Add(1))

	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{
		Name:   e.Namespace,
		Labels: map[string]string{"e2e.serin.dev/test": sanitize(t.Name(), 63)},
	}}
	if _, err := f.Kube.CoreV1().Namespaces().Create(e.ctx(), ns, metav1.CreateOptions{}); err != nil {
		t.Fatalf("create namespace %s: %v", e.Namespace, err)
	}
	t.Cleanup(func() {
		if t.Failed() {
			e.dump()
			return
		}
		// The context of t is gone by now; deletion does not wait for finalization.
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := f.Kube.CoreV1().Namespaces().Delete(ctx, e.Namespace, metav1.DeleteOptions{}); err != nil {
			t.Logf("delete namespace %s: %v", e.Namespace, err)
		}
	})
	e.waitFor(Resource("", "v1", "serviceaccounts"), e.Namespace, "default", "the default ServiceAccount exists",
		func(*object) (bool, error) { return true, nil })
	return e
}

// ctx is the test's context: cancelled when the test ends.
func (e *Env) ctx() context.Context { return e.T.Context() }

// Kubectl runs the real kubectl in the test's namespace and returns its stdout; a
// failure fails the test. Use KubectlResult to inspect failures.
func (e *Env) Kubectl(args ...string) string {
	e.T.Helper()
	out, err := e.KubectlResult(args...)
	if err != nil {
		e.T.Fatal(err)
	}
	return out
}

// KubectlResult runs the real kubectl in the test's namespace.
func (e *Env) KubectlResult(args ...string) (string, error) {
	out, err := e.F.Cluster.Kubectl(e.ctx(), append([]string{"--namespace", e.Namespace}, args...)...)
	return string(out), err
}

// dump writes what a person debugging a failure needs into Artifacts/<test>/ and logs
// the short version: the namespace's workloads and events, and the controller log's end.
func (e *Env) dump() {
	t := e.T
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	dir := filepath.Join(e.F.Artifacts, "failures", sanitize(t.Name(), 100))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Logf("dump: %v", err)
		return
	}
	kubectl := func(args ...string) string {
		out, err := e.F.Cluster.Kubectl(ctx, append([]string{"--namespace", e.Namespace}, args...)...)
		if err != nil {
			return fmt.Sprintf("%s\n(error: %v)", out, err)
		}
		return string(out)
	}
	kinds := strings.Fields(strings.ReplaceAll(
		kubectl("api-resources", "--verbs=list", "--namespaced", "-o", "name"), "\n", " "))
	var keep []string
	for _, k := range kinds {
		if k != "events" && k != "events.events.k8s.io" {
			keep = append(keep, k)
		}
	}
	objects := kubectl("get", strings.Join(keep, ","), "--ignore-not-found", "-o", "yaml")
	summary := kubectl("get", strings.Join(keep, ","), "--ignore-not-found", "-o", "wide", "--show-labels")
	events := kubectl("get", "events", "--sort-by=.lastTimestamp", "-o", "wide")
	write := func(name, content string) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Logf("dump: %v", err)
		}
	}
	write("objects.yaml", objects)
	write("events.txt", events)
	controllerLog := "(no controller running in this package)"
	if c := e.F.Controller; c != nil {
		controllerLog = c.Log(64 << 10)
		write("controller.log", controllerLog)
		controllerLog = lastLines(controllerLog, 40)
	}
	t.Logf("namespace %s at failure (full dump in %s):\n%s\nevents:\n%s\ncontroller log (end):\n%s",
		e.Namespace, dir, summary, events, controllerLog)
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
