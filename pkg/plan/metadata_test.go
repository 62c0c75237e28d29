package plan

import (
	"testing"

	"github.com/serin-dev/serin/pkg/apis/rollouts/v1alpha1"
)

func withRoleMetadata(canary, stable map[string]string) rolloutOpt {
	return withCanary(func(c *v1alpha1.CanaryStrategy) {
		if canary != nil {
			c.CanaryMetadata = &v1alpha1.PodTemplateMetadata{Labels: canary, Annotations: map[string]string{"note": "canary"}}
		}
		if stable != nil {
			c.StableMetadata = &v1alpha1.PodTemplateMetadata{Labels: stable}
		}
	})
}

// roleOf is the "role" label of every live pod of image's ReplicaSet, and the number of
// pods (a pod without the label counts as "").
func rolesOf(s *sim, image string) map[string]int {
	out := map[string]int{}
	rs := s.rsOfImage(image)
	if rs == nil {
		return out
	}
	for _, pod := range s.podsOf[rs.Name] {
		if pod.DeletionTimestamp == nil {
			out[pod.Labels["role"]]++
		}
	}
	return out
}

func expectRoles(t *testing.T, s *sim, image string, role string, n int) {
	t.Helper()
	got := rolesOf(s, image)
	if len(got) != 1 || got[role] != n {
		t.Errorf("role labels of %s pods = %v, want %d with %q", image, got, n, role)
	}
	if rs := s.rsOfImage(image); rs != nil && rs.Spec.Template.Labels["role"] != role {
		t.Errorf("pod template of %s has role %q, want %q", image, rs.Spec.Template.Labels["role"], role)
	}
}

// canaryMetadata and stableMetadata follow the pods' role: stable pods carry the stable
// metadata, canary pods the canary's, and a promoted revision's pods swap to the stable
// metadata in place (same pods, nothing restarted).
func TestRoleMetadataFollowsPromotion(t *testing.T) {
	s := newSim(t, rollout("web", withNginx(), withSteps(setWeight(25), pause()),
		withRoleMetadata(map[string]string{"role": "canary"}, map[string]string{"role": "stable"})))
	s.settle()
	expectRoles(t, s, "v1", "stable", 4)

	s.setImage("v2")
	s.settle()
	expectRoles(t, s, "v1", "stable", 4)
	expectRoles(t, s, "v2", "canary", 1)
	canaryPod := s.podsOf[s.rsOfImage("v2").Name][0]
	expect(t, "canary pod annotation", canaryPod.Annotations["note"], "canary")

	s.promote()
	s.settle()
	expectRoles(t, s, "v2", "stable", 4)
	pod := s.podsOf[s.rsOfImage("v2").Name][0]
	expect(t, "first canary pod kept", pod.Name, canaryPod.Name)
	if _, ok := pod.Annotations["note"]; ok {
		t.Errorf("promoted pod still has the canary annotation: %v", pod.Annotations)
	}
	expect(t, "record", s.rsOfImage("v2").Annotations[AnnotationRoleMetadata], `{"labels":{"role":"stable"}}`)
}

// Removing canaryMetadata mid-canary takes its keys away from the canary's template and
// pods, and then the record; a key the Rollout's own template sets is never touched.
func TestRoleMetadataRemovedAndTemplateWins(t *testing.T) {
	s := newSim(t, rollout("web", withNginx(), withSteps(setWeight(25), pause()),
		withRoleMetadata(map[string]string{"role": "canary", "tier": "web"}, nil)))
	s.ro.Spec.Template.Labels["tier"] = "frontend" // the template's own key wins
	s.settle()
	s.setImage("v2")
	s.settle()
	expectRoles(t, s, "v2", "canary", 1)
	for _, pod := range s.podsOf[s.rsOfImage("v2").Name] {
		expect(t, "template label kept", pod.Labels["tier"], "frontend")
	}
	expect(t, "stable pods have no role", rolesOf(s, "v1")[""], 4)

	s.ro.Spec.Strategy.Canary.CanaryMetadata = nil
	s.ro.Generation++
	s.settle()
	expectRoles(t, s, "v2", "", 1)
	for _, pod := range s.podsOf[s.rsOfImage("v2").Name] {
		expect(t, "template label kept", pod.Labels["tier"], "frontend")
		if _, ok := pod.Annotations["note"]; ok {
			t.Errorf("pod still has the removed annotation: %v", pod.Annotations)
		}
	}
	if _, ok := s.rsOfImage("v2").Annotations[AnnotationRoleMetadata]; ok {
		t.Errorf("record kept after the metadata was removed")
	}
	expect(t, "step", step(s), 1) // a metadata change does not restart the steps
}

// A pod the ReplicaSet created from the old template (between the template patch and the
// pod patches) is caught on the next sync.
func TestRoleMetadataCatchesLatePods(t *testing.T) {
	s := newSim(t, rollout("web", withNginx(), withSteps(setWeight(25), pause()),
		withRoleMetadata(map[string]string{"role": "canary"}, map[string]string{"role": "stable"})))
	s.settle()
	rs := s.rsOfImage("v1")
	delete(rs.Spec.Template.Labels, "role") // as if the template patch had not landed yet
	s.podsOf[rs.Name] = nil
	s.podsUp() // the ReplicaSet controller recreates its pods without the label
	delete(rs.Annotations, AnnotationRoleMetadata)
	s.settle()
	expectRoles(t, s, "v1", "stable", 4)
}
