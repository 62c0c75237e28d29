package rollout

import (
	"context"
	"encoding/json"
	"os"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// storedTemplates are the pod template of examples/canary-nginx as a real API server
// stores it in a Rollout and in the ReplicaSet the controller created from it (with the
// server's defaults filled in).
func storedTemplates(t *testing.T) (rollout, replicaSet corev1.PodTemplateSpec) {
	t.Helper()
	for path, into := range map[string]*corev1.PodTemplateSpec{
		"testdata/rollout-template.json":    &rollout,
		"testdata/replicaset-template.json": &replicaSet,
	} {
		data, err := os.ReadFile(path)
		must(t, err)
		must(t, json.Unmarshal(data, into))
	}
	return rollout, replicaSet
}

// The API server's defaults in a ReplicaSet's pod template are no hash collision (a
// first version of the controller took them for one on every sync, on a real cluster).
func TestServerDefaultsAreNoCollision(t *testing.T) {
	roTemplate, rsTemplate := storedTemplates(t)
	ro := testRollout("web", withServices())
	ro.Spec.Template = roTemplate
	f := newFixture(t, basicObjects(ro))
	f.mustSync("web")
	hash := f.rollout("web").Status.CurrentPodHash

	// The API server stores the ReplicaSet with its defaults.
	rs := f.replicaSet("web-" + hash)
	labels := rs.Spec.Template.Labels
	rs.Spec.Template = *rsTemplate.DeepCopy()
	rs.Spec.Template.Labels = labels
	_, err := f.kube.AppsV1().ReplicaSets(ns).Update(context.Background(), rs, metav1.UpdateOptions{})
	must(t, err)
	f.replicaSetsUp()

	for range 3 {
		f.mustSync("web")
		f.replicaSetsUp()
	}
	got := f.rollout("web")
	if got.Status.CollisionCount != nil || got.Status.CurrentPodHash != hash {
		t.Errorf("collisionCount %v, hash %s → %s: the defaults were taken for a collision",
			got.Status.CollisionCount, hash, got.Status.CurrentPodHash)
	}
	if list, _ := f.kube.AppsV1().ReplicaSets(ns).List(context.Background(), metav1.ListOptions{}); len(list.Items) != 1 {
		t.Errorf("%d ReplicaSets, want 1", len(list.Items))
	}
}
