package nginx

import (
	"context"
	"testing"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/serin-dev/serin/pkg/plan"
	"github.com/serin-dev/serin/test/fakeapi"
)

// The canary Ingress is updated with the resourceVersion its lister showed: a router
// whose cache missed another writer's change (a thawed ex-leader) gets a Conflict and
// changes nothing; from a fresh cache the same weight goes through. One write per attempt.
func TestSetTrafficFromAStaleCacheConflicts(t *testing.T) {
	ro := rollout("web")
	f := newFixture(t, ingress("web"))
	fakeapi.EnforceResourceVersions(f.client, "ingresses")
	f.set(ro, plan.SetTraffic{CanaryWeight: 10})
	// The leader takes the weight to 0; this router's lister does not see it yet.
	leader := f.get("web-web-canary")
	leader.Annotations["nginx.ingress.kubernetes.io/canary-weight"] = "0"
	if _, err := f.client.NetworkingV1().Ingresses(ns).Update(context.Background(), leader, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	f.resetActions()

	err := f.router.SetTraffic(context.Background(), ro, plan.SetTraffic{CanaryWeight: 50})
	if !apierrors.IsConflict(err) {
		t.Fatalf("SetTraffic from a stale cache = %v, want a conflict", err)
	}
	if got := f.get("web-web-canary").Annotations["nginx.ingress.kubernetes.io/canary-weight"]; got != "0" || f.writes() != 1 {
		t.Errorf("after the conflict: weight %s after %d writes, want the leader's 0 after 1", got, f.writes())
	}

	f.sync()
	f.resetActions()
	f.set(ro, plan.SetTraffic{CanaryWeight: 50})
	if got := f.get("web-web-canary").Annotations["nginx.ingress.kubernetes.io/canary-weight"]; got != "50" || f.writes() != 1 {
		t.Errorf("from a fresh cache: weight %s after %d writes, want 50 after 1", got, f.writes())
	}
}
