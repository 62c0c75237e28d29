package framework

import (
	"fmt"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/serin-dev/serin/pkg/apis/rollouts/v1alpha1"
)

// What every e2e package does to and waits for on a Rollout, the way a user would.

// WaitRollout waits, on a watch, until Rollout name has observed its generation and
// satisfies cond, and returns it as last seen.
func (e *Env) WaitRollout(name, what string, cond func(*v1alpha1.Rollout) bool) *v1alpha1.Rollout {
	e.T.Helper()
	var last v1alpha1.Rollout
	e.Then().Object(Rollouts, name, what, func(o *unstructured.Unstructured) (bool, error) {
		last = v1alpha1.Rollout{}
		if err := runtime.DefaultUnstructuredConverter.FromUnstructured(o.Object, &last); err != nil {
			return false, err
		}
		return last.Status.ObservedGeneration == last.Generation && cond(&last), nil
	})
	return &last
}

// SetImage changes the image of the Rollout's first container, as `kubectl patch` does.
func (e *Env) SetImage(rollout, image string) {
	e.T.Helper()
	e.Kubectl("patch", "rollout", rollout, "--type=json",
		"-p", fmt.Sprintf(`[{"op":"replace","path":"/spec/template/spec/containers/0/image","value":%q}]`, image))
}

// PatchStatus merge-patches the Rollout's status subresource (what promote, abort and
// retry write).
func (e *Env) PatchStatus(rollout, patch string) {
	e.T.Helper()
	e.Kubectl("patch", "rollout", rollout, "--subresource=status", "--type=merge", "-p", patch)
}

// BlueGreenApp is the YAML of Rollout "web" (app=web, the given replicas and image) with
// its Services web-active and web-preview, and a blueGreen strategy with these extra
// fields (YAML indented 6 spaces).
func BlueGreenApp(image string, replicas int, strategy string) string {
	return fmt.Sprintf(`apiVersion: v1
kind: Service
metadata: {name: web-active}
spec:
  selector: {app: web}
  ports: [{port: 80, targetPort: 8080}]
---
apiVersion: v1
kind: Service
metadata: {name: web-preview}
spec:
  selector: {app: web}
  ports: [{port: 80, targetPort: 8080}]
---
apiVersion: serin.dev/v1alpha1
kind: Rollout
metadata: {name: web}
spec:
  replicas: %d
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
      - name: web
        image: %s
  strategy:
    blueGreen:
      activeService: web-active
      previewService: web-preview
%s`, replicas, image, strategy)
}
