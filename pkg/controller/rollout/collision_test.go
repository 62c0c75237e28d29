package rollout

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/serin-dev/serin/pkg/replicaset"
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

// A stranger's ReplicaSet of the new name that the cache does not show yet: the create
// fails and the sync with it, writing no collision; once the cache shows the ReplicaSet,
// the next sync's plan takes the next hash.
func TestSyncCollisionBehindTheCache(t *testing.T) {
	ro := testRollout("web", withServices(), withFinalizer())
	hash := replicaset.PodTemplateHash(&ro.Spec.Template, nil)
	f := newFixture(t, basicObjects(ro))
	must(t, f.kube.Tracker().Add(testRS(nil, "web-"+hash, hash, 1, nil))) // not in the cache

	err := f.sync("web")
	if !errors.Is(err, errCollision) {
		t.Fatalf("sync = %v, want errCollision", err)
	}
	if got := f.rollout("web").Status.CollisionCount; got != nil {
		t.Fatalf("collisionCount = %d written after apply, want it left to the plan", *got)
	}

	f.refresh()
	f.mustSync("web")
	if got := f.rollout("web").Status.CollisionCount; got == nil || *got != 1 {
		t.Fatalf("collisionCount = %v, want 1", got)
	}
	f.refresh()
	f.mustSync("web")
	if next := f.rollout("web").Status.CurrentPodHash; next == hash || !ownedBy(f.replicaSet("web-"+next), ro) {
		t.Errorf("hash %q after the collision, want a new one with a ReplicaSet of the Rollout's", next)
	}
}
