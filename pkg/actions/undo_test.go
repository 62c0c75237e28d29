package actions

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apiequality "k8s.io/apimachinery/pkg/api/equality"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/serin-dev/serin/pkg/apis/rollouts/v1alpha1"
	"github.com/serin-dev/serin/pkg/plan"
	"github.com/serin-dev/serin/pkg/replicaset"
)

func template(image string) corev1.PodTemplateSpec {
	return corev1.PodTemplateSpec{
		ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"app": "web"}},
		Spec: corev1.PodSpec{Containers: []corev1.Container{{
			Name: "web", Image: image, Ports: []corev1.ContainerPort{{ContainerPort: 8080}},
		}}},
	}
}

// ownedRS is the ReplicaSet the controller made from tpl, with the defaults the API
// server fills in.
func ownedRS(ro *v1alpha1.Rollout, tpl corev1.PodTemplateSpec, revision int) *appsv1.ReplicaSet {
	hash := replicaset.PodTemplateHash(&tpl, nil)
	stored := *tpl.DeepCopy()
	stored.Labels[v1alpha1.DefaultRolloutUniqueLabelKey] = hash
	s := &stored.Spec
	s.RestartPolicy, s.DNSPolicy, s.SchedulerName = corev1.RestartPolicyAlways, corev1.DNSClusterFirst, "default-scheduler"
	grace := int64(30)
	s.TerminationGracePeriodSeconds = &grace
	for i := range s.Containers {
		ct := &s.Containers[i]
		ct.TerminationMessagePath, ct.TerminationMessagePolicy = "/dev/termination-log", corev1.TerminationMessageReadFile
		ct.ImagePullPolicy = corev1.PullIfNotPresent
		for j := range ct.Ports {
			ct.Ports[j].Protocol = corev1.ProtocolTCP
		}
	}
	return &appsv1.ReplicaSet{
		ObjectMeta: metav1.ObjectMeta{
			Name: ro.Name + "-" + hash, Namespace: ns,
			Labels: map[string]string{v1alpha1.DefaultRolloutUniqueLabelKey: hash},
			Annotations: map[string]string{
				plan.AnnotationRevision:       strconv.Itoa(revision),
				plan.AnnotationTemplateDigest: replicaset.TemplateDigest(&tpl),
			},
			OwnerReferences: []metav1.OwnerReference{*metav1.NewControllerRef(ro, v1alpha1.SchemeGroupVersion.WithKind("Rollout"))},
		},
		Spec: appsv1.ReplicaSetSpec{Template: stored},
	}
}

func TestUndo(t *testing.T) {
	v1, v2, v3 := template("app:1"), template("app:2"), template("app:3")
	// Revision 1 was stable, 2 was rolled out, 3 is being rolled out now.
	ro := rollout(0, func(ro *v1alpha1.Rollout) {
		ro.Spec.Template = *v3.DeepCopy()
		ro.Status.StableRS = replicaset.PodTemplateHash(&v2, nil)
		ro.Status.CurrentPodHash = replicaset.PodTemplateHash(&v3, nil)
	})
	rss := []*appsv1.ReplicaSet{ownedRS(ro, v1, 1), ownedRS(ro, v2, 2), ownedRS(ro, v3, 3)}
	tests := map[string]struct {
		to      int64
		want    corev1.PodTemplateSpec
		next    string
		err     string
		nothing bool
	}{
		"the previous revision is the stable one": {to: 0, want: v2, next: "skipping the steps"},
		"an older revision runs the steps":        {to: 1, want: v1, next: "through the steps, from step 1/4"},
		"the current revision":                    {to: 3, nothing: true},
		"a revision not kept":                     {to: 9, err: "has no revision 9 (revisions kept: [3 2 1]"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			c := clients(ro.DeepCopy(), rss[0], rss[1], rss[2])
			res, err := Undo(context.Background(), c, ns, "web", tc.to)
			switch {
			case tc.nothing:
				if !errors.Is(err, ErrNothingToDo) {
					t.Fatalf("want ErrNothingToDo, got %v", err)
				}
				return
			case tc.err != "":
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("want an error with %q, got %v", tc.err, err)
				}
				return
			case err != nil:
				t.Fatal(err)
			}
			got := readBack(t, c).Spec.Template
			if !apiequality.Semantic.DeepEqual(got, tc.want) {
				t.Errorf("template read back:\n got  %+v\n want %+v", got, tc.want)
			}
			if !strings.Contains(res.Next, tc.next) {
				t.Errorf("Next %q: want %q", res.Next, tc.next)
			}
		})
	}
}

func TestRestoreTemplateKeepsDefaultsTheTemplateSet(t *testing.T) {
	tpl := template("app:1")
	tpl.Spec.Containers[0].ImagePullPolicy = corev1.PullIfNotPresent // set by the user
	ro := rollout(0)
	got, exact := RestoreTemplate(ownedRS(ro, tpl, 1))
	if !exact || !apiequality.Semantic.DeepEqual(got, tpl) {
		t.Errorf("exact=%v, template %+v; want exact and %+v", exact, got, tpl)
	}
}

func TestRestoreTemplateWithoutDigest(t *testing.T) {
	rs := ownedRS(rollout(0), template("app:1"), 1)
	delete(rs.Annotations, plan.AnnotationTemplateDigest)
	got, exact := RestoreTemplate(rs)
	if exact {
		t.Error("want exact false without a digest")
	}
	if _, ok := got.Labels[v1alpha1.DefaultRolloutUniqueLabelKey]; ok {
		t.Error("the pod-template-hash label must not go into the Rollout's template")
	}
}
