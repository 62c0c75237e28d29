//go:build e2e

package canary

import (
	"context"
	"fmt"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/tools/cache"
	watchtools "k8s.io/client-go/tools/watch"

	"github.com/serin-dev/serin/pkg/apis/rollouts/v1alpha1"
	"github.com/serin-dev/serin/test/e2e/framework"
)

// A canary Ingress of the name Serin would use that someone else made is never taken
// over: the rollout stops with phase Degraded, a TrafficRoutingError condition naming the
// Ingress and one Warning event, and writes no weight. Once the user deletes the foreign
// Ingress, the rollout goes on by itself.
func TestForeignCanaryIngressIsNotTakenOver(t *testing.T) {
	t.Parallel()
	e := framework.NewEnv(t)
	// The foreign Ingress exists before the Rollout, as when another tool made it.
	e.Given().Apply(`apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: web-web-canary
  annotations: {team: someone-else}
spec:
  ingressClassName: nginx
  defaultBackend: {service: {name: web-stable, port: {number: 80}}}
`).Apply(app("web:1", "      - setWeight: 20\n      - pause: {}\n", ""))
	setImage(e, "web:2")
	ro := waitRollout(e, "Degraded with a TrafficRoutingError condition", func(ro *v1alpha1.Rollout) bool {
		for _, c := range ro.Status.Conditions {
			if c.Type == v1alpha1.TrafficRoutingError && c.Status == corev1.ConditionTrue {
				return ro.Status.Phase == v1alpha1.RolloutPhaseDegraded
			}
		}
		return false
	})
	t.Logf("message: %s", ro.Status.Message)
	waitEvent(e, corev1.EventTypeWarning, "TrafficRoutingError")
	ing := ingress(e, "web-web-canary")
	if len(ing.OwnerReferences) != 0 || ing.Annotations["team"] != "someone-else" || len(ing.Annotations) != 2 {
		t.Errorf("the foreign Ingress was changed: owners %v, annotations %v", ing.OwnerReferences, ing.Annotations)
	}

	e.When().Delete("ingress", "web-web-canary")
	atPause(e, 1)
	waitCanaryWeight(e, "web-web-canary", 20)
	ro = waitRollout(e, "the condition gone", func(ro *v1alpha1.Rollout) bool {
		for _, c := range ro.Status.Conditions {
			if c.Type == v1alpha1.TrafficRoutingError {
				return false
			}
		}
		return true
	})
	if ro.Status.Phase != v1alpha1.RolloutPhasePaused {
		t.Errorf("phase %s, want Paused", ro.Status.Phase)
	}
}

// waitEvent waits, on a watch, for an Event of type and reason on a Rollout of the
// test's namespace.
func waitEvent(e *framework.Env, typ, reason string) *corev1.Event {
	e.T.Helper()
	sel := fields.Set{"involvedObject.kind": "Rollout", "reason": reason, "type": typ}.AsSelector().String()
	lw := &cache.ListWatch{
		ListFunc: func(o metav1.ListOptions) (runtime.Object, error) {
			o.FieldSelector = sel
			return e.F.Kube.CoreV1().Events(e.Namespace).List(e.T.Context(), o)
		},
		WatchFunc: func(o metav1.ListOptions) (watch.Interface, error) {
			o.FieldSelector = sel
			return e.F.Kube.CoreV1().Events(e.Namespace).Watch(e.T.Context(), o)
		},
	}
	ctx, cancel := context.WithTimeout(e.T.Context(), time.Minute)
	defer cancel()
	ev, err := watchtools.UntilWithSync(ctx, lw, &corev1.Event{}, nil, func(ev watch.Event) (bool, error) {
		return ev.Type == watch.Added || ev.Type == watch.Modified, nil
	})
	if err != nil {
		e.T.Fatal(fmt.Errorf("no %s event %s: %w", typ, reason, err))
	}
	got := ev.Object.(*corev1.Event)
	e.T.Logf("event %s %s: %s", got.Type, got.Reason, got.Message)
	return got
}
