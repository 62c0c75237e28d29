package rollout

import (
	"encoding/json"
	"os"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"

	"github.com/serin-dev/serin/pkg/apis/rollouts/v1alpha1"
	"github.com/serin-dev/serin/pkg/plan"
	"github.com/serin-dev/serin/pkg/replicaset"
)

// The pod template of examples/canary-nginx as the API server stores it in a Rollout
// and in the ReplicaSet the controller created from it (read from a real cluster).
func templates(t *testing.T) (rollout, stored corev1.PodTemplateSpec) {
	t.Helper()
	for path, into := range map[string]*corev1.PodTemplateSpec{
		"testdata/rollout-template.json":    &rollout,
		"testdata/replicaset-template.json": &stored,
	} {
		data, err := os.ReadFile(path)
		must(t, err)
		must(t, json.Unmarshal(data, into))
	}
	return rollout, stored
}

func TestServerDefaultsAreNotACollision(t *testing.T) {
	roTemplate, rsTemplate := templates(t)
	ro := testRollout("web", withServices())
	ro.Spec.Template = roTemplate
	hash := replicaset.PodTemplateHash(&roTemplate, nil)
	rs := testRS(ro, "web-"+hash, hash, 4, map[string]string{plan.AnnotationRevision: "1"})
	rs.Spec.Template = rsTemplate
	rs.Spec.Template.Labels[v1alpha1.DefaultRolloutUniqueLabelKey] = hash
	ro.Status.StableRS, ro.Status.CurrentPodHash = hash, hash

	in := plan.Input{Rollout: ro, ReplicaSets: undefaultTemplates(ro, []*appsv1.ReplicaSet{rs}),
		Services: map[string]*corev1.Service{"web-stable": testService("web-stable", nil), "web-canary": testService("web-canary", nil)}}
	if p := plan.Next(in); p.Status.CollisionCount != nil {
		t.Errorf("the server's defaults were taken for a collision: collisionCount %d", *p.Status.CollisionCount)
	}
	if in.ReplicaSets[0] == rs {
		t.Error("the cached ReplicaSet was not copied")
	}
	if rs.Spec.Template.Spec.RestartPolicy != corev1.RestartPolicyAlways {
		t.Error("the cached ReplicaSet was changed")
	}

	// A field the Rollout sets that the ReplicaSet has otherwise is still a collision.
	rs.Spec.Template.Spec.Containers[0].Image = "someone/else:1"
	in.ReplicaSets = undefaultTemplates(ro, []*appsv1.ReplicaSet{rs})
	if p := plan.Next(in); p.Status.CollisionCount == nil {
		t.Error("a different image was not taken for a collision")
	}
}
