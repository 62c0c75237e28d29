//go:build e2e

package traffic

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/serin-dev/serin/pkg/apis/rollouts/v1alpha1"
	"github.com/serin-dev/serin/test/e2e/framework"
	"github.com/serin-dev/serin/test/traffic"
)

// confidence is the level of every share check: the expected share must lie in the
// Wilson interval of the measured one.
const confidence = 0.999

// hashLabel is the pod label with a pod's revision (its template hash).
const hashLabel = v1alpha1.DefaultRolloutUniqueLabelKey

// app is Rollout "web" (pods app=web, port 8080) canarying through nginx: Services
// web-stable and web-canary, and Ingress "web" of class nginx for host to web-stable port
// 80. fields are more canary fields (indented 6; 8 to go on under trafficRouting), steps
// the YAML list items (indented 6).
func app(host, image string, replicas int, fields, steps string) string {
	return framework.CanaryServices + fmt.Sprintf(`apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: web}
spec:
  ingressClassName: %s
  rules:
  - host: %s
    http:
      paths:
      - path: /
        pathType: Prefix
        backend: {service: {name: web-stable, port: {number: 80}}}
---
`, framework.IngressClassNGINX, host) + framework.RolloutWeb(image, replicas, `    canary:
      canaryService: web-canary
      stableService: web-stable
      trafficRouting:
        nginx: {stableIngress: web}
`+fields+"      steps:\n"+steps)
}

// route is how a test reaches Rollout web through Traefik: the host of its Ingress and
// the names of Traefik's weighted service for it and of the canary child in it.
type route struct {
	e           *framework.Env
	host        string
	wrr, canary string
}

func newRoute(e *framework.Env) route {
	base := framework.NGINXServiceName(e.Namespace, "web", "web-stable", "80")
	return route{e: e, host: e.Namespace + ".example.com",
		wrr: base + "-wrr@" + framework.TraefikNGINXProvider, canary: base + "-canary"}
}

// config is a bounded burst of n requests to the route, as fast as 4 workers go.
func (r route) config(n int) traffic.Config {
	return traffic.Config{URL: r.e.F.Traefik.WebURL + "/", Host: r.host, Concurrency: 4, Count: n, Duration: 60 * time.Second}
}

// run sends c and fails the test on any failed request.
func (r route) run(c traffic.Config) traffic.Records {
	t := r.e.T
	t.Helper()
	rs, err := traffic.Run(t.Context(), c)
	if err != nil {
		t.Fatal(err)
	}
	if failed := rs.Failed(); len(failed) > 0 {
		t.Fatalf("%d of %d requests failed (%s); first: %s", len(failed), len(rs), rs.Summary(), failed[0])
	}
	ownNamespace(t, rs, r.e.Namespace)
	return rs
}

// ownNamespace fails the test if a pod of another namespace answered one of rs: the
// simulator would have answered for an address that is no longer that pod's.
func ownNamespace(t *testing.T, rs traffic.Records, ns string) {
	t.Helper()
	if other := rs.Filter(func(x traffic.Record) bool { return x.Namespace != "" && x.Namespace != ns }); len(other) > 0 {
		t.Errorf("%d of %d requests were answered by pods of another namespace; first: %s", len(other), len(rs), other[0])
	}
}

// waitWeight waits until Traefik gives the canary the weight w.
func (r route) waitWeight(w int) {
	r.e.T.Helper()
	waitWeight(r.e.T, r.e.F.Traefik, r.wrr, r.canary, w)
}

// waitOnly sends batches of 50 requests of c until a whole batch is answered by revision
// (Traefik applies a change within its provider's throttle, about 2 s), within 60 s.
func (r route) waitOnly(c traffic.Config, revision string) {
	t := r.e.T
	t.Helper()
	c.Count = 50
	deadline := time.Now().Add(60 * time.Second)
	for {
		rs, err := traffic.Run(t.Context(), c)
		if err != nil {
			t.Fatal(err)
		}
		if k, n := rs.Share(revision); k == n && n == len(rs) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("requests to %s are not all answered by revision %s within 60s: %s", r.host, revision, rs.Summary())
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// all fails the test unless every record was answered by revision.
func all(t *testing.T, what string, rs traffic.Records, revision string) {
	t.Helper()
	k, n := rs.Share(revision)
	t.Logf("%s: %d of %d requests answered by revision %s", what, k, n, revision)
	if k != n || n != len(rs) || n == 0 {
		t.Errorf("%s: want every request answered by revision %s; %s", what, revision, rs.Summary())
	}
}

// share checks the canary's share of rs against weight (percent) and logs the split error.
func share(t *testing.T, what string, rs traffic.Records, canary string, weight int) {
	t.Helper()
	k, n := rs.Share(canary)
	lo, hi := traffic.Wilson(k, n, confidence)
	want := float64(weight) / 100
	t.Logf("%s: canary answered %d of %d = %.2f%% (weight %d%%: split error %+.2f points; %.1f%% Wilson interval [%.2f%%, %.2f%%])",
		what, k, n, 100*float64(k)/float64(n), weight, 100*(float64(k)/float64(n)-want), 100*confidence, 100*lo, 100*hi)
	if err := rs.CheckShare(canary, want, confidence); err != nil {
		t.Errorf("%s: %v", what, err)
	}
}

// atPause waits until Rollout web is paused at step index idx.
func atPause(e *framework.Env, idx int32) *v1alpha1.Rollout {
	e.T.Helper()
	return e.WaitRollout("web", fmt.Sprintf("Paused at step index %d", idx), func(ro *v1alpha1.Rollout) bool {
		return ro.Status.Phase == v1alpha1.RolloutPhasePaused && ro.Status.CurrentStepIndex != nil && *ro.Status.CurrentStepIndex == idx
	})
}

// healthyOn waits until Rollout web is Healthy with its current template stable.
func healthyOn(e *framework.Env) *v1alpha1.Rollout {
	e.T.Helper()
	return e.WaitRollout("web", "Healthy, current template stable", func(ro *v1alpha1.Rollout) bool {
		return ro.Status.Phase == v1alpha1.RolloutPhaseHealthy && ro.Status.StableRS == ro.Status.CurrentPodHash
	})
}

// serin runs `kubectl serin ARGS -n <namespace>` through the real kubectl (bin/kubectl-serin
// must be built) and fails the test on a non-zero exit.
func serin(e *framework.Env, args ...string) string {
	e.T.Helper()
	if _, err := os.Stat(e.F.Path("bin", "kubectl-serin")); err != nil {
		e.T.Fatalf("bin/kubectl-serin: %v (run make build)", err)
	}
	full := append(append([]string{"serin"}, args...), "--namespace", e.Namespace)
	cmd := exec.CommandContext(e.T.Context(), filepath.Join(e.F.Cluster.BinDir, "kubectl"), full...)
	cmd.Env = append(os.Environ(), "KUBECONFIG="+e.F.Cluster.Kubeconfig,
		"PATH="+e.F.Path("bin")+string(os.PathListSeparator)+os.Getenv("PATH"), "NO_COLOR=")
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	if err != nil {
		e.T.Fatalf("kubectl %s: %v\n%s%s", strings.Join(full, " "), err, out.String(), errOut.String())
	}
	e.T.Logf("kubectl %s:\n%s", strings.Join(full, " "), strings.TrimSpace(out.String()))
	return out.String()
}
