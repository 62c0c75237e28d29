//go:build e2e

package canary

import (
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/serin-dev/serin/pkg/apis/rollouts/v1alpha1"
	"github.com/serin-dev/serin/test/e2e/framework"
)

// Healthy comes as soon as the new revision is promoted: the old ReplicaSet waits out
// scaleDownDelaySeconds (10s) in the background, and reaches 0 replicas only after
// the rollout turned Healthy.
func TestHealthyBeforeTheOldReplicaSetScalesDown(t *testing.T) {
	t.Parallel()
	e := framework.NewEnv(t)
	e.Given().Apply(app("web:1", "      - setWeight: 50\n", "      scaleDownDelaySeconds: 10\n"))
	healthy(e)
	waitReplicas(e, map[string]int32{"web:1": 4})
	oldRS := "web-" + hashOf(e, "web:1")
	ros := record(e, framework.Rollouts, "", "metadata.name=web")
	rss := record(e, framework.ReplicaSets, "", "metadata.name="+oldRS)

	setImage(e, "web:2")
	waitRollout(e, "Healthy on web:2", func(ro *v1alpha1.Rollout) bool {
		return ro.Status.Phase == v1alpha1.RolloutPhaseHealthy && ro.Status.StableRS != "" &&
			ro.Status.StableRS == ro.Status.CurrentPodHash && ro.Status.StableRS != hashOfName(oldRS)
	})
	waitReplicas(e, map[string]int32{"web:1": 0, "web:2": 4})
	ros.stop(t)
	rss.stop(t)

	healthyAt, ok := ros.first(func(o *unstructured.Unstructured) bool {
		ro := toRollout(t, o)
		return ro.Status.Phase == v1alpha1.RolloutPhaseHealthy && ro.Status.StableRS == ro.Status.CurrentPodHash &&
			ro.Status.StableRS != hashOfName(oldRS)
	})
	if !ok {
		t.Fatal("no watch event shows the rollout Healthy on web:2")
	}
	downAt, ok := rss.first(func(o *unstructured.Unstructured) bool {
		var rs appsv1.ReplicaSet
		if err := runtime.DefaultUnstructuredConverter.FromUnstructured(o.Object, &rs); err != nil {
			t.Fatal(err)
		}
		return rs.Spec.Replicas != nil && *rs.Spec.Replicas == 0
	})
	if !ok {
		t.Fatalf("no watch event shows %s at 0 replicas", oldRS)
	}
	t.Logf("Healthy %s before %s went to 0", downAt.Sub(healthyAt).Round(time.Millisecond), oldRS)
	if !healthyAt.Before(downAt) {
		t.Errorf("Healthy at %s, not before %s went to 0 at %s", healthyAt.Format(time.StampMilli), oldRS, downAt.Format(time.StampMilli))
	}
}

// A pause of 2s lasts 2s: from the watch event whose status shows it begin to the one
// whose status shows it end, between 2.0 and 2.5s (not rounded up to whole seconds).
func TestTimedPauseLastsWhatItSays(t *testing.T) {
	t.Parallel()
	e := framework.NewEnv(t)
	e.Given().Apply(app("web:1", "      - setWeight: 50\n      - pause: {duration: 2s}\n", "      scaleDownDelaySeconds: 1\n"))
	healthy(e)
	ros := record(e, framework.Rollouts, "", "metadata.name=web")
	setImage(e, "web:2")
	healthy(e)
	ros.stop(t)

	paused := func(o *unstructured.Unstructured) bool {
		for _, c := range toRollout(t, o).Status.PauseConditions {
			if c.Reason == v1alpha1.PauseReasonCanaryPauseStep {
				return true
			}
		}
		return false
	}
	began, ok := ros.first(paused)
	if !ok {
		t.Fatal("no watch event shows the pause begin")
	}
	ended, ok := ros.firstAfter(began, func(o *unstructured.Unstructured) bool { return !paused(o) })
	if !ok {
		t.Fatal("no watch event shows the pause end")
	}
	lasted := ended.Sub(began)
	t.Logf("the 2s pause lasted %s", lasted.Round(time.Millisecond))
	if lasted < 2*time.Second || lasted > 2500*time.Millisecond {
		t.Errorf("the 2s pause lasted %s, want between 2.0 and 2.5s", lasted)
	}
}

func toRollout(t *testing.T, o *unstructured.Unstructured) *v1alpha1.Rollout {
	t.Helper()
	var ro v1alpha1.Rollout
	if err := runtime.DefaultUnstructuredConverter.FromUnstructured(o.Object, &ro); err != nil {
		t.Fatal(err)
	}
	return &ro
}

// hashOfName is the pod template hash in a ReplicaSet name web-<hash>.
func hashOfName(rs string) string { return rs[len("web-"):] }
