//go:build e2e

package reliability

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/serin-dev/serin/pkg/apis/rollouts/v1alpha1"
	"github.com/serin-dev/serin/test/e2e/framework"
)

// app is Rollout name (3 replicas) canarying through nginx: its stable and canary
// Services and stable Ingress, and steps that move on by themselves within seconds.
func app(name string) string {
	return fmt.Sprintf(`apiVersion: v1
kind: Service
metadata: {name: %[1]s-stable}
spec:
  selector: {app: %[1]s}
  ports: [{name: http, port: 80, targetPort: 8080}]
---
apiVersion: v1
kind: Service
metadata: {name: %[1]s-canary}
spec:
  selector: {app: %[1]s}
  ports: [{name: http, port: 80, targetPort: 8080}]
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: %[1]s}
spec:
  ingressClassName: nginx
  rules:
  - host: %[1]s.example.com
    http:
      paths:
      - path: /
        pathType: Prefix
        backend: {service: {name: %[1]s-stable, port: {name: http}}}
---
apiVersion: serin.dev/v1alpha1
kind: Rollout
metadata: {name: %[1]s}
spec:
  replicas: 3
  selector:
    matchLabels: {app: %[1]s}
  template:
    metadata:
      labels: {app: %[1]s}
    spec:
      containers:
      - name: web
        image: %[1]s:1
        ports: [{containerPort: 8080}]
  strategy:
    canary:
      canaryService: %[1]s-canary
      stableService: %[1]s-stable
      scaleDownDelaySeconds: 2
      trafficRouting:
        nginx: {stableIngress: %[1]s}
      steps:
      - setWeight: 34
      - pause: {duration: 2s}
      - setWeight: 67
      - pause: {duration: 2s}
---
`, name)
}

// fleet is the test's Rollouts and the images they were given.
type fleet struct {
	e     *framework.Env
	names []string
	mu    sync.Mutex
	image map[string]int // the version last set
	ops   map[string]int // image changes by kind: "forward", "back"
}

func deployFleet(e *framework.Env, n int) *fleet {
	e.T.Helper()
	f := &fleet{e: e, image: map[string]int{}, ops: map[string]int{}}
	var yaml strings.Builder
	for i := range n {
		name := fmt.Sprintf("app%d", i)
		f.names = append(f.names, name)
		f.image[name] = 1
		yaml.WriteString(app(name))
	}
	e.Given().Apply(yaml.String())
	f.waitConverged()
	return f
}

// setImage sets the image version of a Rollout, as `kubectl set image` would.
func (f *fleet) setImage(ctx context.Context, name string, version int) error {
	patch := fmt.Sprintf(`[{"op":"replace","path":"/spec/template/spec/containers/0/image","value":"%s:%d"}]`, name, version)
	_, err := f.e.F.Dynamic.Resource(framework.Rollouts).Namespace(f.e.Namespace).
		Patch(ctx, name, types.JSONPatchType, []byte(patch), metav1.PatchOptions{})
	return err
}

// drive changes the image of a random Rollout every 1-3 s until stop is called: a new
// version, or with SERIN_RELIABILITY_BACK_PERCENT (default 0) that share of the time back
// to the one before (a rollback when that is the stable one, else a template whose
// ReplicaSet may still exist). stop returns the first error.
//
// Changes back are off by default because they expose an open race (issue 21's note):
// a ReplicaSet scaled back up while its old pods terminate has a stale status, and a pod
// that turns Ready before kube-controller-manager counts it can get the canary weight
// while that ReplicaSet's status still reports none available; the monitor flags it.
func (f *fleet) drive(rnd *rand.Rand) (stop func() error) {
	back := envPercent("SERIN_RELIABILITY_BACK_PERCENT", 0)
	ctx, cancel := context.WithCancel(context.Background())
	var err error
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			select {
			case <-ctx.Done():
				return
			case <-time.After(time.Second + time.Duration(rnd.Int64N(int64(2*time.Second)))):
			}
			name := f.names[rnd.IntN(len(f.names))]
			f.mu.Lock()
			v, kind := f.image[name]+1, "forward"
			if f.image[name] > 1 && rnd.IntN(100) < back {
				v, kind = f.image[name]-1, "back"
			}
			f.image[name] = v
			f.ops[kind]++
			f.mu.Unlock()
			if e := f.setImage(ctx, name, v); e != nil && ctx.Err() == nil {
				err = e
				return
			}
		}
	}()
	return func() error { cancel(); <-done; return err }
}

// waitConverged waits until every Rollout is Healthy on its latest template.
func (f *fleet) waitConverged() {
	f.e.T.Helper()
	for _, name := range f.names {
		f.e.WaitRollout(name, "Healthy on its latest template", func(ro *v1alpha1.Rollout) bool {
			return ro.Status.Phase == v1alpha1.RolloutPhaseHealthy && ro.Status.StableRS == ro.Status.CurrentPodHash
		})
	}
}

// envInt is the integer in environment variable key, or def.
func envInt(key string, def int) int {
	if n, err := strconv.Atoi(os.Getenv(key)); err == nil && n > 0 {
		return n
	}
	return def
}

// envPercent is the environment's key as a percentage (0-100), or def.
func envPercent(key string, def int) int {
	if n, err := strconv.Atoi(os.Getenv(key)); err == nil && n >= 0 && n <= 100 {
		return n
	}
	return def
}

// seed is SERIN_RELIABILITY_SEED, or a new one.
func seed() uint64 {
	if n, err := strconv.ParseUint(os.Getenv("SERIN_RELIABILITY_SEED"), 10, 64); err == nil {
		return n
	}
	return uint64(time.Now().UnixNano())
}
