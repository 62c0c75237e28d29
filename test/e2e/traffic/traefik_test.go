//go:build e2e

// Package traffic proves routing at the request level: real requests through Traefik (the
// local data plane, framework.WithTraefik) to kwok pods served by the pod simulator
// (framework.WithPodSimulator) at their addresses inside the suite's network namespace
// (hack/netns.sh), while the real controller runs the Rollouts.
package traffic

import (
	"fmt"
	"math"
	"testing"
	"time"

	"github.com/serin-dev/serin/test/e2e/framework"
)

func TestMain(m *testing.M) {
	framework.Main(m, framework.WithNodes(2), framework.WithController("--leader-elect=false"), framework.WithPodSimulator(),
		framework.WithTraefik(framework.TraefikOptions{}))
}

const host = "web.test"

// backend is a Deployment of n pods labelled app=web,track=<track> and its Service
// web-<track> (port 80 to the pods' 8080).
func backend(track string, n int) string {
	return fmt.Sprintf(`apiVersion: apps/v1
kind: Deployment
metadata:
  name: web-%[1]s
spec:
  replicas: %[2]d
  selector: {matchLabels: {app: web, track: %[1]s}}
  template:
    metadata: {labels: {app: web, track: %[1]s}}
    spec:
      containers:
      - {name: web, image: "web:%[1]s", ports: [{containerPort: 8080}]}
---
apiVersion: v1
kind: Service
metadata:
  name: web-%[1]s
spec:
  selector: {app: web, track: %[1]s}
  ports: [{port: 80, targetPort: 8080}]
---
`, track, n)
}

// ingress is an nginx-class Ingress for host to Service svc; canaryWeight >= 0 makes it a
// canary Ingress with that canary-weight.
func ingress(name, svc string, canaryWeight int) string {
	annotations := "{}"
	if canaryWeight >= 0 {
		annotations = fmt.Sprintf(`{nginx.ingress.kubernetes.io/canary: "true", nginx.ingress.kubernetes.io/canary-weight: "%d"}`, canaryWeight)
	}
	return fmt.Sprintf(`apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: %s
  annotations: %s
spec:
  ingressClassName: %s
  rules:
  - host: %s
    http:
      paths:
      - path: /
        pathType: Prefix
        backend: {service: {name: %s, port: {number: 80}}}
---
`, name, annotations, framework.IngressClassNGINX, host, svc)
}

// A request to Traefik's entrypoint with the Ingress host reaches a pod's server through
// the Service's EndpointSlice; a canary Ingress at weight 20 sends a share of the requests
// within the binomial 99.9 % interval to the canary pod, and at weight 0 none. Traefik's
// own request counter for the canary service agrees with what the servers answered.
func TestIngressNGINXCanaryThroughTraefik(t *testing.T) {
	t.Parallel()
	e := framework.NewEnv(t)
	tr := e.F.Traefik
	e.Given().Apply(backend("stable", 2)+backend("canary", 1)+ingress("web", "web-stable", -1)).
		Then().PodsReady("app=web,track=stable", 2).PodsReady("app=web,track=canary", 1)
	track := servePods(e, "app=web")
	c := newClient(t, tr.WebURL, host)

	// Stable only: wait until Traefik routes the host, then every answer is a stable pod's
	// and both stable pods serve.
	c.waitServed(t, 60*time.Second, func(pod string) bool { return track[pod] == "stable" })
	base := framework.NGINXServiceName(e.Namespace, "web", "web-stable", "80")
	waitServers(t, tr, base+"@"+framework.TraefikNGINXProvider, 2)
	byPod := c.send(t, 200)
	if n := byTrack(byPod, track)["canary"]; n != 0 {
		t.Fatalf("without a canary Ingress, %d of 200 requests reached the canary: %v", n, byPod)
	}
	for pod, tk := range track {
		if tk == "stable" && byPod[pod] == 0 {
			t.Errorf("stable pod %s served none of 200 requests: %v", pod, byPod)
		}
	}

	// Canary at weight 20: Traefik's weighted service shows it, then the measured share.
	wrr := base + "-wrr@" + framework.TraefikNGINXProvider
	canaryChild := base + "-canary"
	e.When().Apply(ingress("web-canary", "web-canary", 20))
	waitWeight(t, tr, wrr, canaryChild, 20)
	const n, p = 2000, 0.20
	got := byTrack(c.send(t, n), track)
	lo, hi := binomial999(n, p)
	t.Logf("weight 20: %d of %d requests to the canary (binomial 99.9 %% interval [%d, %d])", got["canary"], n, lo, hi)
	if got["canary"] < lo || got["canary"] > hi || got["stable"]+got["canary"] != n {
		t.Fatalf("weight 20: canary %d, stable %d of %d; want canary in [%d, %d] and nothing else", got["canary"], got["stable"], n, lo, hi)
	}

	// Weight 0: no request reaches the canary.
	e.When().Apply(ingress("web-canary", "web-canary", 0))
	waitWeight(t, tr, wrr, canaryChild, 0)
	if got := byTrack(c.send(t, 300), track); got["canary"] != 0 {
		t.Fatalf("weight 0: %d of 300 requests reached the canary", got["canary"])
	}

	// Traefik counts the canary's share under the primary's name + "-canary".
	canaryMetric := canaryChild + "@" + framework.TraefikNGINXProvider
	counted := metricSum(t, tr.MetricsURL, "traefik_service_requests_total", map[string]string{"service": canaryMetric, "code": "200"})
	served := byTrack(c.total, track)["canary"]
	if counted != float64(served) || served == 0 {
		t.Fatalf("traefik_service_requests_total{service=%q,code=\"200\"} = %v; the canary pod answered %d requests", canaryMetric, counted, served)
	}
}

// binomial999 is the two-sided 99.9 % normal-approximation interval for the number of
// successes in n trials of probability p.
func binomial999(n int, p float64) (lo, hi int) {
	const z = 3.2905 // 99.9 % two-sided
	mean, sd := float64(n)*p, math.Sqrt(float64(n)*p*(1-p))
	return int(math.Floor(mean - z*sd)), int(math.Ceil(mean + z*sd))
}
