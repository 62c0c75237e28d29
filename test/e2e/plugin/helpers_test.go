//go:build e2e

package plugin

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/serin-dev/serin/pkg/apis/rollouts/v1alpha1"
	"github.com/serin-dev/serin/test/e2e/framework"
)

const (
	hashLabel = v1alpha1.DefaultRolloutUniqueLabelKey
	weightKey = "nginx.ingress.kubernetes.io/canary-weight"
)

var ingresses = framework.Resource("networking.k8s.io", "v1", "ingresses")

// pluginEnv is the environment kubectl runs in: the cluster's KUBECONFIG, and PATH with
// bin/ (where make build puts kubectl-serin) and the cluster's kubectl first.
func pluginEnv(e *framework.Env) []string {
	bin := e.F.Path("bin")
	return append(os.Environ(),
		"KUBECONFIG="+e.F.Cluster.Kubeconfig,
		"PATH="+bin+string(os.PathListSeparator)+e.F.Cluster.BinDir+string(os.PathListSeparator)+os.Getenv("PATH"),
		"NO_COLOR=",
	)
}

// serin runs `kubectl serin ARGS -n <test namespace>` through the real kubectl and
// returns its stdout, stderr and exit code. The plugin binary must be built.
func serin(e *framework.Env, args ...string) (stdout, stderr string, code int) {
	e.T.Helper()
	if _, err := os.Stat(e.F.Path("bin", "kubectl-serin")); err != nil {
		e.T.Fatalf("bin/kubectl-serin: %v (run make build)", err)
	}
	// kubectl looks for a plugin only when the plugin's name comes before any flag.
	full := append([]string{"serin"}, args...)
	full = append(full, "--namespace", e.Namespace)
	cmd := exec.CommandContext(e.T.Context(), filepath.Join(e.F.Cluster.BinDir, "kubectl"), full...)
	cmd.Env = pluginEnv(e)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	var exit *exec.ExitError
	switch {
	case errors.As(err, &exit):
		code = exit.ExitCode()
	case err != nil:
		e.T.Fatalf("kubectl %v: %v", full, err)
	}
	e.T.Logf("kubectl %s → exit %d\n%s%s", strings.Join(full, " "), code, out.String(), errOut.String())
	return out.String(), errOut.String(), code
}

// mustSerin is serin that fails the test on a non-zero exit.
func mustSerin(e *framework.Env, args ...string) string {
	e.T.Helper()
	out, errOut, code := serin(e, args...)
	if code != 0 {
		e.T.Fatalf("kubectl serin %v: exit %d: %s", args, code, errOut)
	}
	return out
}

// app is Rollout "web" (4 replicas, nginx routing, scaleDownDelaySeconds 0,
// abortScaleDownDelaySeconds 2) with its
// Services and stable Ingress; steps are YAML list items indented 6.
func app(image, steps string) string {
	return framework.NginxCanaryApp(image, 4,
		"        managedRoutes: [{name: beta}]\n      scaleDownDelaySeconds: 0\n      abortScaleDownDelaySeconds: 2\n", steps)
}

// waitRollout waits until Rollout web has observed its generation and satisfies cond.
func waitRollout(e *framework.Env, what string, cond func(*v1alpha1.Rollout) bool) *v1alpha1.Rollout {
	e.T.Helper()
	var last v1alpha1.Rollout
	e.Then().Object(framework.Rollouts, "web", what, func(o *unstructured.Unstructured) (bool, error) {
		last = v1alpha1.Rollout{}
		if err := runtime.DefaultUnstructuredConverter.FromUnstructured(o.Object, &last); err != nil {
			return false, err
		}
		return last.Status.ObservedGeneration == last.Generation && cond(&last), nil
	})
	return &last
}

func phase(p v1alpha1.RolloutPhase) func(*v1alpha1.Rollout) bool {
	return func(ro *v1alpha1.Rollout) bool { return ro.Status.Phase == p }
}

func atPause(e *framework.Env, idx int32) *v1alpha1.Rollout {
	e.T.Helper()
	return waitRollout(e, fmt.Sprintf("Paused at step index %d", idx), func(ro *v1alpha1.Rollout) bool {
		return ro.Status.Phase == v1alpha1.RolloutPhasePaused && ro.Status.CurrentStepIndex != nil && *ro.Status.CurrentStepIndex == idx
	})
}

// waitWeight waits until the canary Ingress web-web-canary carries weight.
func waitWeight(e *framework.Env, weight int32) {
	e.T.Helper()
	e.Then().Object(ingresses, "web-web-canary", fmt.Sprintf("canary-weight %d", weight), func(o *unstructured.Unstructured) (bool, error) {
		return o.GetAnnotations()[weightKey] == strconv.Itoa(int(weight)), nil
	})
}

// waitRS waits until ReplicaSet name wants replicas and has them available.
func waitRS(e *framework.Env, name string, replicas int64) {
	e.T.Helper()
	e.Then().Object(framework.ReplicaSets, name, fmt.Sprintf("%d replicas, all available", replicas), func(o *unstructured.Unstructured) (bool, error) {
		want, _, _ := unstructured.NestedInt64(o.Object, "spec", "replicas")
		avail, _, _ := unstructured.NestedInt64(o.Object, "status", "availableReplicas")
		return want == replicas && avail == replicas, nil
	})
}

// waitSelector waits until Service svc selects the pods of hash.
func waitSelector(e *framework.Env, svc, hash string) {
	e.T.Helper()
	e.Then().Object(framework.Services, svc, "selects "+hash, func(o *unstructured.Unstructured) (bool, error) {
		sel, _, _ := unstructured.NestedStringMap(o.Object, "spec", "selector")
		return sel[hashLabel] == hash, nil
	})
}

// writeFile writes content to a file in the test's temporary directory.
func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// lines is the stdout of a plugin process that keeps running (a --watch), line by line.
type lines struct {
	e  *framework.Env
	ch chan string
}

// startSerin starts `kubectl serin ARGS -n <namespace>` through the real kubectl; it is
// killed when the test ends.
func startSerin(e *framework.Env, args ...string) *lines {
	e.T.Helper()
	full := append(append([]string{"serin"}, args...), "--namespace", e.Namespace)
	cmd := exec.CommandContext(e.T.Context(), filepath.Join(e.F.Cluster.BinDir, "kubectl"), full...)
	cmd.Env = pluginEnv(e)
	out, err := cmd.StdoutPipe()
	if err != nil {
		e.T.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		e.T.Fatal(err)
	}
	e.T.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	l := &lines{e: e, ch: make(chan string, 1024)}
	go func() {
		defer close(l.ch)
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			l.ch <- sc.Text()
		}
	}()
	return l
}

// waitLine waits for a line satisfying cond, up to the Env's timeout.
func (l *lines) waitLine(what string, cond func(string) bool) string {
	l.e.T.Helper()
	deadline := time.NewTimer(l.e.Timeout)
	defer deadline.Stop()
	for {
		select {
		case line, ok := <-l.ch:
			if !ok {
				l.e.T.Fatalf("the process ended before printing %s", what)
			}
			l.e.T.Logf("watch: %s", line)
			if cond(line) {
				return line
			}
		case <-deadline.C:
			l.e.T.Fatalf("no line with %s within %s", what, l.e.Timeout)
		}
	}
}
