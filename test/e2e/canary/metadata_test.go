//go:build e2e

package canary

import (
	"testing"

	corev1 "k8s.io/api/core/v1"

	"github.com/serin-dev/serin/test/e2e/framework"
)

// canaryMetadata and stableMetadata: stable pods carry role=stable, canary pods
// role=canary (and the canary annotation); once promoted, the same canary pods carry
// role=stable and lose the canary annotation, in place.
func TestRoleMetadata(t *testing.T) {
	t.Parallel()
	e := framework.NewEnv(t)
	e.Given().Apply(app("web:1", "      - setWeight: 25\n      - pause: {}\n",
		"      canaryMetadata:\n        labels: {role: canary}\n        annotations: {example.com/note: canary}\n"+
			"      stableMetadata:\n        labels: {role: stable}\n"))
	healthy(e)
	e.Then().Pods("app=web,role=stable", "4 stable pods labelled role=stable", count(4))

	setImage(e, "web:2")
	atPause(e, 1)
	canaryHash := hashOf(e, "web:2")
	var canaryPod string
	e.Then().Pods("app=web,role=stable", "the 4 stable pods still role=stable", count(4)).
		Pods("rollouts-pod-template-hash="+canaryHash, "the canary pod labelled role=canary with the note", func(pods []corev1.Pod) bool {
			if len(pods) != 1 || pods[0].Labels["role"] != "canary" || pods[0].Annotations["example.com/note"] != "canary" {
				return false
			}
			canaryPod = pods[0].Name
			return true
		})

	promote(e)
	healthy(e)
	e.Then().Pods("rollouts-pod-template-hash="+canaryHash, "4 promoted pods labelled role=stable, without the note", func(pods []corev1.Pod) bool {
		found := false
		for _, p := range pods {
			if p.Labels["role"] != "stable" || p.Annotations["example.com/note"] != "" {
				return false
			}
			found = found || p.Name == canaryPod
		}
		return len(pods) == 4 && found
	})
}

func count(n int) func([]corev1.Pod) bool {
	return func(pods []corev1.Pod) bool {
		live := 0
		for _, p := range pods {
			if p.DeletionTimestamp == nil {
				live++
			}
		}
		return live == n
	}
}
