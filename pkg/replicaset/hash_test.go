package replicaset

import (
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func template(image string, mutate ...func(*corev1.PodTemplateSpec)) *corev1.PodTemplateSpec {
	t := &corev1.PodTemplateSpec{
		ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"app": "web"}},
		Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "web", Image: image}}},
	}
	for _, m := range mutate {
		m(t)
	}
	return t
}

func int32p(i int32) *int32 { return &i }

// TestPodTemplateHashPinned pins hash values: if one changes, upgrading Serin would give
// every running Rollout a new revision. Never update these values to make a test pass.
// "minimal" was also computed outside Go: FNV-32a of
// {"metadata":{"labels":{"app":"web"}},"spec":{"containers":[{"image":"nginx:1.27","name":"web"}]}}
// in decimal, each digit mapped through the alphabet bcdfghjklmnpqrstvwxz2456789.
func TestPodTemplateHashPinned(t *testing.T) {
	tests := map[string]struct {
		template  *corev1.PodTemplateSpec
		collision *int32
		want      string
	}{
		"minimal":              {template: template("nginx:1.27"), want: "6c8d7489d5"},
		"minimal, collision 1": {template: template("nginx:1.27"), collision: int32p(1), want: "5fccbbddbd"},
		"other image":          {template: template("nginx:1.28"), want: "58648f958d"},
		"ports, env, resources, annotations": {template: template("registry.example.com/web:2", func(t *corev1.PodTemplateSpec) {
			t.Annotations = map[string]string{"prometheus.io/scrape": "true"}
			c := &t.Spec.Containers[0]
			c.Ports = []corev1.ContainerPort{{Name: "http", ContainerPort: 8080}}
			c.Env = []corev1.EnvVar{{Name: "MODE", Value: "canary"}}
			c.Resources.Requests = corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("100m")}
		}), want: "574f46dd6f"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			if got := PodTemplateHash(tc.template, tc.collision); got != tc.want {
				t.Errorf("PodTemplateHash = %q, want the pinned %q", got, tc.want)
			}
		})
	}
}

// TestPodTemplateHashIgnoresEmptyValues: what a template does not say does not count.
func TestPodTemplateHashIgnoresEmptyValues(t *testing.T) {
	base := PodTemplateHash(template("nginx:1.27"), nil)
	same := map[string]*corev1.PodTemplateSpec{
		"empty annotations": template("nginx:1.27", func(t *corev1.PodTemplateSpec) { t.Annotations = map[string]string{} }),
		"empty env list":    template("nginx:1.27", func(t *corev1.PodTemplateSpec) { t.Spec.Containers[0].Env = []corev1.EnvVar{} }),
		"empty requests":    template("nginx:1.27", func(t *corev1.PodTemplateSpec) { t.Spec.Containers[0].Resources.Requests = corev1.ResourceList{} }),
	}
	for name, tpl := range same {
		if got := PodTemplateHash(tpl, nil); got != base {
			t.Errorf("%s: hash %q differs from %q", name, got, base)
		}
	}
	differ := map[string]*corev1.PodTemplateSpec{
		"extra label": template("nginx:1.27", func(t *corev1.PodTemplateSpec) { t.Labels["tier"] = "front" }),
		"env value":   template("nginx:1.27", func(t *corev1.PodTemplateSpec) { t.Spec.Containers[0].Env = []corev1.EnvVar{{Name: "A", Value: "1"}} }),
		"second container": template("nginx:1.27", func(t *corev1.PodTemplateSpec) {
			t.Spec.Containers = append(t.Spec.Containers, corev1.Container{Name: "b", Image: "b"})
		}),
	}
	for name, tpl := range differ {
		if got := PodTemplateHash(tpl, nil); got == base {
			t.Errorf("%s: hash did not change", name)
		}
	}
}
