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

// The manifests e2e tests apply: Rollout "web" (pods labelled app=web) and what it uses.

// CanaryServices are the stable and canary Services of "web" (port http, 80 → 8080).
const CanaryServices = `apiVersion: v1
kind: Service
metadata: {name: web-stable}
spec:
  selector: {app: web}
  ports: [{name: http, port: 80, targetPort: 8080}]
---
apiVersion: v1
kind: Service
metadata: {name: web-canary}
spec:
  selector: {app: web}
  ports: [{name: http, port: 80, targetPort: 8080}]
---
`

// StableIngress is the Ingress "web" routing web.example.com to web-stable.
const StableIngress = `apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: web}
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
`

// RolloutWeb is the YAML of Rollout "web" with this image and replicas; strategy is the
// YAML under spec.strategy (indented 4 spaces), e.g. "    canary:\n      steps: ...".
func RolloutWeb(image string, replicas int, strategy string) string {
	return fmt.Sprintf(`apiVersion: serin.dev/v1alpha1
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
        ports: [{containerPort: 8080}]
  strategy:
%s`, replicas, image, strategy)
}

// NginxCanaryApp is CanaryServices, StableIngress and Rollout "web" canarying through
// them with nginx; fields are more canary fields (indented 6, or 8 to go on under
// trafficRouting) and steps the YAML list items (indented 6).
func NginxCanaryApp(image string, replicas int, fields, steps string) string {
	return CanaryServices + StableIngress + RolloutWeb(image, replicas, `    canary:
      canaryService: web-canary
      stableService: web-stable
      trafficRouting:
        nginx: {stableIngress: web}
`+fields+"      steps:\n"+steps)
}

// BlueGreenApp is Rollout "web" (the given replicas and image) with its Services
// web-active and web-preview, and a blueGreen strategy with these extra fields (YAML
// indented 6 spaces).
func BlueGreenApp(image string, replicas int, strategy string) string {
	return `apiVersion: v1
kind: Service
metadata: {name: web-active}
spec:
  selector: {app: web}
  ports: [{name: http, port: 80, targetPort: 8080}]
---
apiVersion: v1
kind: Service
metadata: {name: web-preview}
spec:
  selector: {app: web}
  ports: [{name: http, port: 80, targetPort: 8080}]
---
` + RolloutWeb(image, replicas, `    blueGreen:
      activeService: web-active
      previewService: web-preview
`+strategy)
}
