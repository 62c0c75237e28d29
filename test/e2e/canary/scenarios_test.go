//go:build e2e

package canary

import (
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/yaml"

	"github.com/serin-dev/serin/pkg/apis/rollouts/v1alpha1"
	"github.com/serin-dev/serin/test/e2e/framework"
)

// Scenario 1: setCanaryScale sizes the canary apart from the traffic weight, until a
// matchTrafficWeight hands the size back to the weight.
func TestCanaryScalePerStep(t *testing.T) {
	t.Parallel()
	e := framework.NewEnv(t)
	w := watchWeights(e)
	steps := `      - pause: {}
      - setCanaryScale: {replicas: 1}
      - setWeight: 25
      - pause: {}
      - setCanaryScale: {weight: 75}
      - pause: {}
      - setCanaryScale: {matchTrafficWeight: true}
      - pause: {}
`
	e.Given().Apply(app("web:1", steps, "      scaleDownDelaySeconds: 2\n"))
	healthy(e)
	waitReplicas(e, map[string]int32{"web:1": 4})

	setImage(e, "web:2")
	for i, at := range []struct {
		step   int32
		canary int32 // pods of web:2; web:1 keeps 4 throughout
		weight int
	}{
		{step: 0, canary: 0, weight: 0},  // nothing has run yet
		{step: 3, canary: 1, weight: 25}, // replicas 1, then a weight that leaves it at 1
		{step: 5, canary: 3, weight: 25}, // 75% of 4 pods, the weight unchanged
		{step: 7, canary: 1, weight: 25}, // back to the weight's share: 25% of 4
	} {
		if i > 0 {
			promote(e)
		}
		atPause(e, at.step)
		waitReplicas(e, map[string]int32{"web:1": 4, "web:2": at.canary})
		waitCanaryWeight(e, "web-web-canary", at.weight)
		if at.canary == 0 {
			expectServices(e, "web:1", "web:1")
		} else {
			expectServices(e, "web:1", "web:2")
		}
	}

	promote(e)
	ro := healthy(e)
	waitReplicas(e, map[string]int32{"web:1": 0, "web:2": 4}) // after scaleDownDelaySeconds
	waitCanaryWeight(e, "web-web-canary", 0)
	expectServices(e, "web:2", "web:2")
	if ro.Status.StableRS != hashOf(e, "web:2") {
		t.Errorf("stableRS %q, want web:2's hash", ro.Status.StableRS)
	}
	w.check(t)
}

// webServices are the stable and canary Services of "web".
const webServices = framework.CanaryServices

// Two stable Ingresses (one with two hosts) get a canary Ingress each, owned by the
// Rollout, carrying the same weight.
func TestTwoStableIngresses(t *testing.T) {
	t.Parallel()
	e := framework.NewEnv(t)
	w := watchWeights(e)
	ingresses := `apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: web
spec:
  ingressClassName: nginx
  rules:
  - host: web.example.com
    http:
      paths:
      - path: /
        pathType: Prefix
        backend: {service: {name: web-stable, port: {name: http}}}
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: web-internal
spec:
  ingressClassName: nginx
  rules:
  - host: web.internal.example.com
    http:
      paths:
      - path: /
        pathType: Prefix
        backend: {service: {name: web-stable, port: {name: http}}}
  - host: admin.internal.example.com
    http:
      paths:
      - path: /admin
        pathType: Prefix
        backend: {service: {name: web-stable, port: {name: http}}}
---
`
	strategy := `      canaryService: web-canary
      stableService: web-stable
      scaleDownDelaySeconds: 2
      trafficRouting:
        nginx:
          stableIngresses: [web, web-internal]
`
	e.Given().Apply(webServices + ingresses + rollout("web:1", "      - setWeight: 20\n      - pause: {}\n", strategy))
	healthy(e)
	setImage(e, "web:2")
	ro := atPause(e, 1)
	waitReplicas(e, map[string]int32{"web:1": 4, "web:2": 1})
	expectServices(e, "web:1", "web:2")

	canaries := map[string]string{"web": "web-web-canary", "web-internal": "web-web-internal-canary"}
	for stableName, canaryName := range canaries {
		waitCanaryWeight(e, canaryName, 20)
		canary, stable := ingress(e, canaryName), ingress(e, stableName)
		if refs := canary.OwnerReferences; len(refs) != 1 || refs[0].Kind != "Rollout" || refs[0].Name != "web" ||
			refs[0].UID != ro.UID || refs[0].Controller == nil || !*refs[0].Controller {
			t.Errorf("%s owners %+v, want the Rollout web (uid %s) as controller", canaryName, refs, ro.UID)
		}
		if got, want := routes(canary), routes(stable); !slices.Equal(got, want) {
			t.Errorf("%s routes %v, want the hosts and paths of %s: %v", canaryName, got, stableName, want)
		}
		for _, r := range canary.Spec.Rules {
			for _, p := range r.HTTP.Paths {
				if b := p.Backend.Service.Name; b != canarySvc {
					t.Errorf("%s routes %s%s to %q, want %q", canaryName, r.Host, p.Path, b, canarySvc)
				}
			}
		}
	}

	promote(e)
	healthy(e)
	waitReplicas(e, map[string]int32{"web:1": 0, "web:2": 4})
	for stableName, canaryName := range canaries {
		waitCanaryWeight(e, canaryName, 0)
		for k := range ingress(e, stableName).Annotations {
			if strings.Contains(k, "canary") {
				t.Errorf("stable Ingress %s got a canary annotation %s", stableName, k)
			}
		}
	}
	expectServices(e, "web:2", "web:2")
	w.check(t)
}

// routes lists an Ingress's host and path pairs.
func routes(ing *networkingv1.Ingress) []string {
	var out []string
	for _, r := range ing.Spec.Rules {
		for _, p := range r.HTTP.Paths {
			out = append(out, r.Host+p.Path)
		}
	}
	return out
}

// argoManifest reads testdata/file, an Argo Rollouts manifest with one Rollout, and
// changes its apiVersion (the only change a user coming from Argo makes).
func argoManifest(t *testing.T, file string) string {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("testdata", file))
	if err != nil {
		t.Fatal(err)
	}
	const argoAPI, serinAPI = "apiVersion: argoproj.io/v1alpha1", "apiVersion: serin.dev/v1alpha1"
	if n := strings.Count(string(raw), argoAPI); n != 1 {
		t.Fatalf("the manifest has %d %q lines, want 1", n, argoAPI)
	}
	return strings.Replace(string(raw), argoAPI, serinAPI, 1)
}

// A canary written for Argo Rollouts applies with only its apiVersion changed.
func TestArgoManifestApplies(t *testing.T) {
	t.Parallel()
	e := framework.NewEnv(t)
	manifest := argoManifest(t, "argo-canary-nginx.yaml")

	// What the file asks for: the first pause and the weight in force there.
	spec := rolloutOf(t, manifest)
	name, replicas := spec.Name, *spec.Spec.Replicas
	canary := spec.Spec.Strategy.Canary
	pauseAt, weight := int32(-1), int32(0)
	for i, s := range canary.Steps {
		if s.SetWeight != nil {
			weight = *s.SetWeight
		}
		if s.Pause != nil {
			pauseAt = int32(i)
			break
		}
	}
	if pauseAt < 0 {
		t.Fatal("the manifest's steps have no pause")
	}
	oldImage := spec.Spec.Template.Spec.Containers[0].Image
	newImage := oldImage + "-next"
	selector := "app=" + spec.Spec.Selector.MatchLabels["app"]
	canaryIngress := name + "-" + canary.TrafficRouting.Nginx.StableIngress + "-canary"

	e.Given().Apply(manifest)
	e.WaitRollout(name, "Healthy", func(ro *v1alpha1.Rollout) bool { return ro.Status.Phase == v1alpha1.RolloutPhaseHealthy })
	waitReplicasOf(e, selector, map[string]int32{oldImage: replicas})

	e.Kubectl("patch", "rollout", name, "--type=json",
		"-p", fmt.Sprintf(`[{"op":"replace","path":"/spec/template/spec/containers/0/image","value":%q}]`, newImage))
	e.WaitRollout(name, fmt.Sprintf("Paused at step %d", pauseAt), func(ro *v1alpha1.Rollout) bool {
		return ro.Status.Phase == v1alpha1.RolloutPhasePaused && ro.Status.CurrentStepIndex != nil && *ro.Status.CurrentStepIndex == pauseAt
	})
	waitCanaryWeight(e, canaryIngress, int(weight))
	canaryPods := (replicas*weight + 99) / 100 // the weight's share of the replicas, rounded up
	waitReplicasOf(e, selector, map[string]int32{oldImage: replicas, newImage: canaryPods})
	if got, want := selectorHash(e, canary.CanaryService), hashOf(e, newImage); got != want {
		t.Errorf("%s selects %q, want %q", canary.CanaryService, got, want)
	}
	if got, want := selectorHash(e, canary.StableService), hashOf(e, oldImage); got != want {
		t.Errorf("%s selects %q, want %q", canary.StableService, got, want)
	}
	a := ingress(e, canaryIngress).Annotations
	for k, v := range canary.TrafficRouting.Nginx.AdditionalIngressAnnotations {
		if a[nginxPrefix+"/"+k] != v {
			t.Errorf("%s: annotation %s/%s = %q, want %q (additionalIngressAnnotations)", canaryIngress, nginxPrefix, k, a[nginxPrefix+"/"+k], v)
		}
	}
}

// rolloutOf decodes the Rollout document of a multi-document manifest.
func rolloutOf(t *testing.T, manifest string) *v1alpha1.Rollout {
	t.Helper()
	for _, doc := range strings.Split(manifest, "\n---\n") {
		var ro v1alpha1.Rollout
		if err := yaml.Unmarshal([]byte(doc), &ro); err != nil {
			t.Fatalf("decode %q: %v", doc, err)
		}
		if ro.Kind == "Rollout" {
			return &ro
		}
	}
	t.Fatal("no Rollout in the manifest")
	return nil
}

// Scenario 10: restartAt while paused replaces every pod older than it, within
// maxUnavailable (25% of 4), and leaves the step alone. The canary's only pod goes too.
func TestRestartAtWhilePaused(t *testing.T) {
	t.Parallel()
	r := restartWhilePaused(t)
	t.Logf("canary weights during the restart: %v", r.weights)
}

// Scenario 10 and invariant 1: the canary's only pod restarts with its traffic at 0, and
// gets traffic back only once its replacement is Ready.
func TestRestartAtKeepsTrafficOffRestartingCanary(t *testing.T) {
	t.Parallel()
	r := restartWhilePaused(t)
	servedWeights(t, r.ingresses, r.services, r.pods, "web-web-canary")
	r.weightWatch.check(t)
}

// A restartAt in the future is acted on once its time comes.
func TestRestartAtInTheFuture(t *testing.T) {
	t.Parallel()
	e := framework.NewEnv(t)
	e.Given().Apply(app("web:1", fourSteps, ""))
	healthy(e)
	now := serverNow(e)
	at := metav1.NewTime(now.Add(3 * time.Second))
	e.Kubectl("patch", "rollout", "web", "--type=merge", "-p", fmt.Sprintf(`{"spec":{"restartAt":%q}}`, at.UTC().Format(time.RFC3339)))
	waitRollout(e, "status.restartedAt = restartAt", func(ro *v1alpha1.Rollout) bool {
		return ro.Status.RestartedAt != nil && ro.Status.RestartedAt.Equal(&at)
	})
	e.Then().Pods("app=web", "4 Ready pods, none created before restartAt", func(ps []corev1.Pod) bool {
		return countCurrent(ps, at) == 4
	})
}

// countCurrent counts the Ready pods not being deleted, and 0 if any pod was created
// before at.
func countCurrent(ps []corev1.Pod, at metav1.Time) int {
	ready := 0
	for i := range ps {
		if ps[i].CreationTimestamp.Before(&at) {
			return 0
		}
		if ps[i].DeletionTimestamp == nil && framework.IsReady(&ps[i]) {
			ready++
		}
	}
	return ready
}

// restarted is what restartWhilePaused recorded from just before restartAt was set until
// the restart was over.
type restarted struct {
	pods, ingresses, services *recorder
	weightWatch               *weightWatch // since the Rollout was created
	weights                   []string     // of the canary Ingress, in order
}

// restartWhilePaused pauses a canary at step 1 (1 canary pod, 4 stable), sets restartAt
// and checks that every pod was replaced, never more than maxUnavailable at once, without
// the step moving.
func restartWhilePaused(t *testing.T) *restarted {
	t.Helper()
	e := framework.NewEnv(t)
	w := watchWeights(e)
	e.Given().Apply(app("web:1", fourSteps, ""))
	healthy(e)
	setImage(e, "web:2")
	atPause(e, 1)
	waitReplicas(e, map[string]int32{"web:1": 4, "web:2": 1})
	waitCanaryWeight(e, "web-web-canary", 20)
	stableHash, canaryHash := hashOf(e, "web:1"), hashOf(e, "web:2")

	// restartAt is whole seconds and a pod "older" than it was created in an earlier
	// second: watch the paused rollout for a second first (a pause without duration must
	// hold), so that every pod running now is older than the server's clock after it.
	pausedAtStep1 := func(ro *v1alpha1.Rollout) bool {
		return ro.Status.Phase == v1alpha1.RolloutPhasePaused && ro.Status.CurrentStepIndex != nil && *ro.Status.CurrentStepIndex == 1
	}
	rolloutHolds(e, time.Second, "the rollout stays Paused at step 1", pausedAtStep1)
	at := serverNow(e)
	before, err := e.F.Kube.CoreV1().Pods(e.Namespace).List(t.Context(), metav1.ListOptions{LabelSelector: "app=web"})
	if err != nil {
		t.Fatal(err)
	}
	if len(before.Items) != 5 {
		t.Fatalf("%d pods before the restart, want 5", len(before.Items))
	}
	for _, p := range before.Items {
		if !p.CreationTimestamp.Before(&at) {
			t.Fatalf("pod %s created at %s, not before restartAt %s", p.Name, p.CreationTimestamp, at)
		}
	}

	r := &restarted{
		weightWatch: w,
		pods:        record(e, framework.Pods, "app=web", ""),
		ingresses:   record(e, framework.Resource("networking.k8s.io", "v1", "ingresses"), "", "metadata.name=web-web-canary"),
		services:    record(e, framework.Services, "", "metadata.name="+canarySvc),
	}
	ros := record(e, framework.Rollouts, "", "metadata.name=web")
	e.Kubectl("patch", "rollout", "web", "--type=merge", "-p", fmt.Sprintf(`{"spec":{"restartAt":%q}}`, at.UTC().Format(time.RFC3339)))
	ro := waitRollout(e, "status.restartedAt = restartAt", func(ro *v1alpha1.Rollout) bool {
		return ro.Status.RestartedAt != nil && ro.Status.RestartedAt.Equal(&at)
	})
	if !pausedAtStep1(ro) {
		t.Errorf("after the restart: phase %s, step %v; want Paused at step 1", ro.Status.Phase, ro.Status.CurrentStepIndex)
	}
	e.Then().Pods("app=web", "5 Ready pods, none created before restartAt", func(ps []corev1.Pod) bool {
		return countCurrent(ps, at) == 5
	})
	waitReplicas(e, map[string]int32{"web:1": 4, "web:2": 1})
	waitCanaryWeight(e, "web-web-canary", 20)
	expectServices(e, "web:1", "web:2")
	for _, rec := range []*recorder{r.pods, r.ingresses, r.services, ros} {
		rec.stop(t)
	}

	if least, rv := r.pods.leastReady(t, func(p *corev1.Pod) bool { return p.Labels[hashLabel] == stableHash }); least < 3 {
		t.Errorf("the stable revision had %d Ready pods at resourceVersion %s, want at least 3 (maxUnavailable 1 of 4)", least, rv)
	} else {
		t.Logf("the stable revision kept at least %d Ready pods", least)
	}
	if least, rv := r.pods.leastReady(t, func(*corev1.Pod) bool { return true }); least < 4 {
		t.Errorf("the rollout had %d Ready pods at resourceVersion %s, want at least 4 (5 pods, maxUnavailable 1)", least, rv)
	}
	if least, _ := r.pods.leastReady(t, func(p *corev1.Pod) bool { return p.Labels[hashLabel] == canaryHash }); least != 0 {
		t.Errorf("the canary always had a Ready pod (at least %d): its only pod was not restarted", least)
	}
	var steps []string
	n := ros.replay(func(objs map[string]*unstructured.Unstructured, rv string) {
		var ro v1alpha1.Rollout
		if o := objs["web"]; o == nil {
			t.Errorf("the Rollout vanished at resourceVersion %s", rv)
			return
		} else if err := runtime.DefaultUnstructuredConverter.FromUnstructured(o.Object, &ro); err != nil {
			t.Fatal(err)
		}
		if idx := ro.Status.CurrentStepIndex; idx == nil || *idx != 1 {
			t.Errorf("step %v at resourceVersion %s, want 1 throughout the restart", idx, rv)
		}
		steps = append(steps, fmt.Sprintf("%s@%d", ro.Status.Phase, ptrOr(ro.Status.CurrentStepIndex, -1)))
	})
	t.Logf("rollout during the restart (%d changes): %s", n, strings.Join(steps, " "))
	r.ingresses.replay(func(objs map[string]*unstructured.Unstructured, _ string) {
		if o := objs["web-web-canary"]; o != nil {
			if wt := o.GetAnnotations()[weightKey]; len(r.weights) == 0 || r.weights[len(r.weights)-1] != wt {
				r.weights = append(r.weights, wt)
			}
		}
	})
	return r
}

func ptrOr(p *int32, def int32) int32 {
	if p == nil {
		return def
	}
	return *p
}

// Deleting a Rollout takes the pod template hash out of its Services' selectors before
// the Rollout goes (its finalizer).
func TestSelectorsRestoredOnDelete(t *testing.T) {
	t.Parallel()
	e := framework.NewEnv(t)
	e.Given().Apply(app("web:1", "      - setWeight: 20\n      - pause: {}\n", "      scaleDownDelaySeconds: 2\n"))
	healthy(e)
	setImage(e, "web:2")
	atPause(e, 1)
	promote(e)
	ro := healthy(e)
	waitReplicas(e, map[string]int32{"web:1": 0, "web:2": 4})
	expectServices(e, "web:2", "web:2")
	if !slices.Contains(ro.Finalizers, "serin.dev/restore-selectors") {
		t.Errorf("finalizers %v, want serin.dev/restore-selectors", ro.Finalizers)
	}

	// kubectl waits for the Rollout to be gone (its finalizer removed); bound the wait.
	e.Kubectl("delete", "rollout", "web", "--timeout="+e.Timeout.String())
	if _, err := e.F.Dynamic.Resource(framework.Rollouts).Namespace(e.Namespace).Get(t.Context(), "web", metav1.GetOptions{}); !apierrors.IsNotFound(err) {
		t.Fatalf("the Rollout after kubectl delete returned: %v, want NotFound", err)
	}
	// The finalizer goes after the selectors are restored: no wait needed.
	for _, name := range []string{stableSvc, canarySvc} {
		svc, err := e.F.Kube.CoreV1().Services(e.Namespace).Get(t.Context(), name, metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if h, ok := svc.Spec.Selector[hashLabel]; ok {
			t.Errorf("%s still selects %s=%s after the Rollout was deleted", name, hashLabel, h)
		}
		if want := map[string]string{"app": "web"}; !maps.Equal(svc.Spec.Selector, want) {
			t.Errorf("%s selector %v, want %v", name, svc.Spec.Selector, want)
		}
	}
}
