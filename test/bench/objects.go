package bench

import (
	"context"
	"fmt"
	"strconv"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
)

var (
	rolloutsGVR    = schema.GroupVersionResource{Group: "serin.dev", Version: "v1alpha1", Resource: "rollouts"}
	replicaSetsGVR = schema.GroupVersionResource{Group: "apps", Version: "v1", Resource: "replicasets"}
	podsGVR        = schema.GroupVersionResource{Version: "v1", Resource: "pods"}
	servicesGVR    = schema.GroupVersionResource{Version: "v1", Resource: "services"}
	eventsGVR      = schema.GroupVersionResource{Version: "v1", Resource: "events"}
	ingressesGVR   = schema.GroupVersionResource{Group: "networking.k8s.io", Version: "v1", Resource: "ingresses"}
	configMapsGVR  = schema.GroupVersionResource{Version: "v1", Resource: "configmaps"}
)

const (
	hashLabel    = "rollouts-pod-template-hash"
	weightAnnot  = "nginx.ingress.kubernetes.io/canary-weight"
	canaryWeight = "20" // the first step's weight
)

// app is one benchmarked application: a canary Rollout (setWeight 20, then pause), and
// with nginx routing its stable and canary Services and its stable Ingress.
type app struct {
	Name     string
	Replicas int
	Routed   bool
}

func (a app) canaryIngress() string { return a.Name + "-" + a.Name + "-canary" }
func (a app) canaryService() string { return a.Name + "-canary" }

func image(n int) string { return "registry.invalid/bench/app:" + strconv.Itoa(n) }

// objects returns what to create for a, the Rollout last.
func (a app) objects(ns string) []*unstructured.Unstructured {
	var out []*unstructured.Unstructured
	canary := map[string]any{
		"steps": []any{map[string]any{"setWeight": int64(20)}, map[string]any{"pause": map[string]any{}}},
	}
	if a.Routed {
		for _, svc := range []string{a.Name + "-stable", a.canaryService()} {
			out = append(out, obj("v1", "Service", ns, svc, map[string]any{
				// Headless: a burst of 200 Rollouts needs 400 Services, more than the
				// control plane's Service IP range holds; no IP changes nothing measured.
				"spec": map[string]any{
					"clusterIP": "None",
					"selector":  map[string]any{"app": a.Name},
					"ports":     []any{map[string]any{"name": "http", "port": int64(80), "targetPort": int64(8080)}},
				},
			}))
		}
		out = append(out, obj("networking.k8s.io/v1", "Ingress", ns, a.Name, map[string]any{
			"spec": map[string]any{
				"ingressClassName": "nginx",
				"rules": []any{map[string]any{
					"host": a.Name + ".example.com",
					"http": map[string]any{"paths": []any{map[string]any{
						"path": "/", "pathType": "Prefix",
						"backend": map[string]any{"service": map[string]any{
							"name": a.Name + "-stable", "port": map[string]any{"name": "http"}}},
					}}},
				}},
			},
		}))
		canary["stableService"] = a.Name + "-stable"
		canary["canaryService"] = a.canaryService()
		canary["trafficRouting"] = map[string]any{"nginx": map[string]any{"stableIngress": a.Name}}
	}
	out = append(out, obj("serin.dev/v1alpha1", "Rollout", ns, a.Name, map[string]any{
		"spec": map[string]any{
			"replicas":             int64(a.Replicas),
			"revisionHistoryLimit": int64(2),
			"selector":             map[string]any{"matchLabels": map[string]any{"app": a.Name}},
			"template": map[string]any{
				"metadata": map[string]any{"labels": map[string]any{"app": a.Name}},
				"spec": map[string]any{"containers": []any{map[string]any{
					"name": "app", "image": image(0),
					"ports": []any{map[string]any{"name": "http", "containerPort": int64(8080)}},
				}}},
			},
			"strategy": map[string]any{"canary": canary},
		},
	}))
	return out
}

func obj(apiVersion, kind, ns, name string, rest map[string]any) *unstructured.Unstructured {
	u := &unstructured.Unstructured{Object: rest}
	u.SetAPIVersion(apiVersion)
	u.SetKind(kind)
	u.SetNamespace(ns)
	u.SetName(name)
	return u
}

var gvrOfKind = map[string]schema.GroupVersionResource{
	"Service": servicesGVR, "Ingress": ingressesGVR, "Rollout": rolloutsGVR,
	"ReplicaSet": replicaSetsGVR, "ConfigMap": configMapsGVR,
}

// create creates every object of a in ns.
func (e *Env) create(ctx context.Context, ns string, a app) error {
	for _, o := range a.objects(ns) {
		if _, err := e.Dyn.Resource(gvrOfKind[o.GetKind()]).Namespace(ns).Create(ctx, o, metav1.CreateOptions{}); err != nil {
			return fmt.Errorf("create %s %s/%s: %w", o.GetKind(), ns, o.GetName(), err)
		}
	}
	return nil
}

// setImage patches the Rollout's container image (a new revision).
func (e *Env) setImage(ctx context.Context, ns, name string, n int) error {
	_, err := e.Dyn.Resource(rolloutsGVR).Namespace(ns).Patch(ctx, name, types.JSONPatchType, []byte(imagePatch(n)), metav1.PatchOptions{})
	return err
}

// imagePatch replaces the one container's image and nothing else (a merge patch would
// replace the whole container list).
func imagePatch(n int) string {
	return fmt.Sprintf(`[{"op":"replace","path":"/spec/template/spec/containers/0/image","value":%q}]`, image(n))
}

// Predicates on watched objects.

func str(u *unstructured.Unstructured, path ...string) string {
	s, _, _ := unstructured.NestedString(u.Object, path...)
	return s
}

func num(u *unstructured.Unstructured, path ...string) int64 {
	n, _, _ := unstructured.NestedInt64(u.Object, path...)
	return n
}

func named(name string, ok func(*unstructured.Unstructured) bool) func(*unstructured.Unstructured) bool {
	return func(u *unstructured.Unstructured) bool { return u.GetName() == name && ok(u) }
}

// healthy: the controller saw this generation and calls it Healthy.
func healthy(u *unstructured.Unstructured) bool {
	return str(u, "status", "phase") == "Healthy" && num(u, "status", "observedGeneration") == u.GetGeneration()
}

func weightIs(w string) func(*unstructured.Unstructured) bool {
	return func(u *unstructured.Unstructured) bool { return u.GetAnnotations()[weightAnnot] == w }
}

// podReady: a pod of the revision hash whose Ready condition is True.
func podReady(hash string) func(*unstructured.Unstructured) bool {
	return func(u *unstructured.Unstructured) bool {
		if u.GetLabels()[hashLabel] != hash {
			return false
		}
		conds, _, _ := unstructured.NestedSlice(u.Object, "status", "conditions")
		for _, c := range conds {
			m, _ := c.(map[string]any)
			if m["type"] == "Ready" && m["status"] == "True" {
				return true
			}
		}
		return false
	}
}

// rsAvailable: the ReplicaSet of the revision hash has every replica it wants available.
func rsAvailable(hash string) func(*unstructured.Unstructured) bool {
	return func(u *unstructured.Unstructured) bool {
		want := num(u, "spec", "replicas")
		return u.GetLabels()[hashLabel] == hash && want > 0 &&
			num(u, "status", "availableReplicas") >= want &&
			num(u, "status", "observedGeneration") == u.GetGeneration()
	}
}

func selects(hash string) func(*unstructured.Unstructured) bool {
	return func(u *unstructured.Unstructured) bool { return str(u, "spec", "selector", hashLabel) == hash }
}
