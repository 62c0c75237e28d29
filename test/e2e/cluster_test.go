//go:build e2e

package e2e

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	authenticationv1 "k8s.io/api/authentication/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"github.com/serin-dev/serin/test/cluster"
	"github.com/serin-dev/serin/test/e2e/framework"
)

// TestCluster proves the local control plane is a real one: scheduling onto kwok nodes,
// CRDs with a status subresource, RBAC, and the pod health control tests rely on. The
// subtests run in parallel; the footprint is logged after all of them.
func TestCluster(t *testing.T) {
	t.Run("group", func(t *testing.T) {
		t.Run("ReplicaSetGetsReadyPodsOnKwokNodes", testReplicaSetReady)
		t.Run("CRDStatusSubresource", testCRDStatusSubresource)
		t.Run("RBACDeniesUnboundServiceAccount", testRBACDenies)
		t.Run("PodHealthControl", testPodHealthControl)
		t.Run("JobPodsCompleteOrFail", testJobPods)
	})
	f := framework.Current()
	procs, err := f.Cluster.Processes()
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("cold start: `kwokctl create cluster` to API ready in %s (Kubernetes %s)",
		f.Cluster.StartupTime.Round(time.Millisecond), f.Cluster.KubeVersion)
	t.Logf("control plane memory after the tests: %s", cluster.MemoryReport(procs))
}

func replicaSet(name string, replicas int, podLabels map[string]string) string {
	var labels strings.Builder
	for k, v := range podLabels {
		fmt.Fprintf(&labels, "\n        %s: %q", k, v)
	}
	return fmt.Sprintf(`apiVersion: apps/v1
kind: ReplicaSet
metadata:
  name: %[1]s
spec:
  replicas: %[2]d
  selector:
    matchLabels:
      app: %[1]s
  template:
    metadata:
      labels:
        app: %[1]s%[3]s
    spec:
      containers:
      - name: app
        image: example.invalid/%[1]s:1
`, name, replicas, labels.String())
}

func testReplicaSetReady(t *testing.T) {
	t.Parallel()
	e := framework.NewEnv(t)
	e.Given().Apply(replicaSet("web", 3, nil)).
		Then().PodsReady("app=web", 3).
		Object(framework.ReplicaSets, "web", "3 ready replicas", func(rs *unstructured.Unstructured) (bool, error) {
			n, _, err := unstructured.NestedInt64(rs.Object, "status", "readyReplicas")
			return n == 3, err
		}).
		Expect(func(e *framework.Env) {
			pods, err := e.F.Kube.CoreV1().Pods(e.Namespace).List(t.Context(), metav1.ListOptions{LabelSelector: "app=web"})
			if err != nil {
				t.Fatal(err)
			}
			for _, p := range pods.Items {
				node, err := e.F.Kube.CoreV1().Nodes().Get(t.Context(), p.Spec.NodeName, metav1.GetOptions{})
				if err != nil {
					t.Fatalf("pod %s on node %q: %v", p.Name, p.Spec.NodeName, err)
				}
				if node.Annotations["kwok.x-k8s.io/node"] != "fake" {
					t.Errorf("pod %s runs on %s, not a kwok node (annotations %v)", p.Name, node.Name, node.Annotations)
				}
				if p.Status.PodIP == "" || p.Status.Phase != corev1.PodRunning {
					t.Errorf("pod %s: phase %s, IP %q", p.Name, p.Status.Phase, p.Status.PodIP)
				}
			}
		})
}

// The CRD is cluster-wide; its group is only for this test.
const widgetCRD = `apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: widgets.e2e.serin.dev
spec:
  group: e2e.serin.dev
  scope: Namespaced
  names: {plural: widgets, singular: widget, kind: Widget}
  versions:
  - name: v1
    served: true
    storage: true
    subresources: {status: {}}
    schema:
      openAPIV3Schema:
        type: object
        properties:
          spec:
            type: object
            properties:
              size: {type: integer, minimum: 1}
          status:
            type: object
            properties:
              phase: {type: string}
`

func testCRDStatusSubresource(t *testing.T) {
	t.Parallel()
	e := framework.NewEnv(t)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		_, _ = e.F.Cluster.Kubectl(ctx, "delete", "crd", "widgets.e2e.serin.dev", "--wait=false")
	})
	widgets := framework.Resource("e2e.serin.dev", "v1", "widgets")
	status := func(want string) func(*unstructured.Unstructured) (bool, error) {
		return func(w *unstructured.Unstructured) (bool, error) {
			phase, _, err := unstructured.NestedString(w.Object, "status", "phase")
			return phase == want, err
		}
	}

	e.Given().Apply(widgetCRD).
		Then().KubectlWait("--for=condition=Established", "crd/widgets.e2e.serin.dev").
		When().Apply("apiVersion: e2e.serin.dev/v1\nkind: Widget\nmetadata: {name: w}\nspec: {size: 1}\n").
		Patch("widget", "w", `{"status":{"phase":"Ready"}}`). // the main resource ignores status
		Then().Object(widgets, "w", "status untouched by a patch of the main resource", status("")).
		When().Run(func(e *framework.Env) {
		e.Kubectl("patch", "widget", "w", "--subresource=status", "--type=merge", "-p", `{"status":{"phase":"Ready"}}`)
	}).
		Then().Object(widgets, "w", "status.phase Ready through /status", status("Ready")).
		When().Patch("widget", "w", `{"spec":{"size":2},"status":{"phase":"Hijacked"}}`).
		Then().Object(widgets, "w", "spec.size 2, generation 2, status still Ready", func(w *unstructured.Unstructured) (bool, error) {
		size, _, _ := unstructured.NestedInt64(w.Object, "spec", "size")
		phase, _, _ := unstructured.NestedString(w.Object, "status", "phase")
		if size == 2 && phase != "Ready" {
			return false, fmt.Errorf("a spec patch changed status.phase to %q", phase)
		}
		return size == 2 && w.GetGeneration() == 2, nil
	})

	// The schema is enforced by the real API server.
	if out, err := e.KubectlResult("patch", "widget", "w", "--type=merge", "-p", `{"spec":{"size":0}}`); err == nil {
		t.Fatalf("spec.size 0 accepted despite minimum 1: %s", out)
	} else if !strings.Contains(err.Error(), "spec.size") {
		t.Fatalf("refusal does not name spec.size: %v", err)
	}
}

func testRBACDenies(t *testing.T) {
	t.Parallel()
	e := framework.NewEnv(t)
	ctx := t.Context()
	sa, err := e.F.Kube.CoreV1().ServiceAccounts(e.Namespace).Create(ctx,
		&corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: "nobody"}}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	expiry := int64(600)
	tr, err := e.F.Kube.CoreV1().ServiceAccounts(e.Namespace).CreateToken(ctx, sa.Name,
		&authenticationv1.TokenRequest{Spec: authenticationv1.TokenRequestSpec{ExpirationSeconds: &expiry}},
		metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("TokenRequest: %v", err)
	}
	cfg := rest.AnonymousClientConfig(e.F.Config)
	cfg.BearerToken = tr.Status.Token
	client, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}

	// The token authenticates: the API server knows who this is...
	review, err := client.AuthenticationV1().SelfSubjectReviews().Create(ctx, &authenticationv1.SelfSubjectReview{}, metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("SelfSubjectReview with the token: %v", err)
	}
	want := fmt.Sprintf("system:serviceaccount:%s:nobody", e.Namespace)
	if got := review.Status.UserInfo.Username; got != want {
		t.Fatalf("token authenticates as %q, want %q", got, want)
	}
	// ...and RBAC, with no binding for it, denies it.
	_, err = client.CoreV1().Pods(e.Namespace).List(ctx, metav1.ListOptions{})
	if !apierrors.IsForbidden(err) {
		t.Fatalf("listing pods as %s: want Forbidden, got %v", want, err)
	}
	_, err = client.CoreV1().Secrets("kube-system").List(ctx, metav1.ListOptions{})
	if !apierrors.IsForbidden(err) {
		t.Fatalf("listing kube-system secrets as %s: want Forbidden, got %v", want, err)
	}
	t.Logf("denied as expected: %v", err)
}

func testPodHealthControl(t *testing.T) {
	t.Parallel()
	e := framework.NewEnv(t)
	e.Given().
		Apply(replicaSet("good", 2, nil)).
		Apply(replicaSet("broken", 2, map[string]string{cluster.HealthLabel: cluster.HealthNever})).
		Apply(replicaSet("unready", 1, map[string]string{cluster.HealthLabel: cluster.HealthNotReady})).
		Then().
		PodsReady("app=good", 2).
		PodsNotReady("app=broken", 2).
		Pods("app=broken", "Pending, containers waiting in ContainerCreating", func(pods []corev1.Pod) bool {
			for _, p := range pods {
				cs := p.Status.ContainerStatuses
				if p.Status.Phase != corev1.PodPending || len(cs) == 0 || cs[0].State.Waiting == nil ||
					cs[0].State.Waiting.Reason != "ContainerCreating" {
					return false
				}
			}
			return true
		}).
		PodsNotReady("app=unready", 1).
		Pods("app=unready", "Running with an IP", func(pods []corev1.Pod) bool {
			return pods[0].Status.Phase == corev1.PodRunning && pods[0].Status.PodIP != ""
		}).
		PodsStayNotReady("app=broken", 3*time.Second)

	// A Ready pod relabelled "false" turns NotReady (a canary breaking after start), and
	// back.
	pods, err := e.F.Kube.CoreV1().Pods(e.Namespace).List(t.Context(), metav1.ListOptions{LabelSelector: "app=good"})
	if err != nil || len(pods.Items) == 0 {
		t.Fatalf("list good pods: %v", err)
	}
	pod := pods.Items[0].Name
	e.When().Label("pod", pod, cluster.HealthLabel, cluster.HealthNotReady).
		Then().Object(framework.Pods, pod, "turned NotReady", framework.PodReadyIs(false)).
		When().Label("pod", pod, cluster.HealthLabel, cluster.HealthReady).
		Then().Object(framework.Pods, pod, "Ready again", framework.PodReadyIs(true))
}

func job(name string, labels string) string {
	return fmt.Sprintf(`apiVersion: batch/v1
kind: Job
metadata:
  name: %s
spec:
  backoffLimit: 0
  template:
    metadata:
      labels: {%s}
    spec:
      restartPolicy: Never
      containers:
      - name: main
        image: example.invalid/job:1
`, name, labels)
}

func testJobPods(t *testing.T) {
	t.Parallel()
	e := framework.NewEnv(t)
	e.Given().
		Apply(job("passes", "")).
		Apply(job("fails", cluster.JobResultLabel+": fail")).
		Then().
		KubectlWait("--for=condition=Complete", "job/passes").
		KubectlWait("--for=condition=Failed", "job/fails")
}
