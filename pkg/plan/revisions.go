package plan

import (
	"fmt"
	"sort"
	"strconv"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/serin-dev/serin/pkg/apis/rollouts/v1alpha1"
	"github.com/serin-dev/serin/pkg/replicaset"
)

// revisions sorts a Rollout's ReplicaSets by role.
type revisions struct {
	// hash is the pod template hash of spec.template: the revision being rolled out.
	hash string
	// newRS is the ReplicaSet of hash; nil until it is created.
	newRS *appsv1.ReplicaSet
	// stableRS is the ReplicaSet of status.stableRS; nil on the first rollout.
	stableRS *appsv1.ReplicaSet
	// others are every other ReplicaSet, oldest revision first.
	others []*appsv1.ReplicaSet
	// revision is newRS's revision number (the next number when it does not exist).
	revision int64
	// collision is true when a ReplicaSet of hash exists with a different template.
	collision bool
}

func sortRevisions(ro *v1alpha1.Rollout, rss []*appsv1.ReplicaSet) revisions {
	r := revisions{hash: replicaset.PodTemplateHash(&ro.Spec.Template, ro.Status.CollisionCount)}
	var maxRev int64
	for _, rs := range rss {
		maxRev = max(maxRev, revisionOf(rs))
	}
	for _, rs := range rss {
		h := rs.Labels[v1alpha1.DefaultRolloutUniqueLabelKey]
		switch {
		case h == r.hash:
			if !sameTemplate(rs, &ro.Spec.Template) {
				r.collision = true
			}
			r.newRS = rs
		case h != "" && h == ro.Status.StableRS:
			r.stableRS = rs
		default:
			r.others = append(r.others, rs)
		}
	}
	if r.hash == ro.Status.StableRS {
		// Rolled out, or rolled back to the stable template: the new ReplicaSet is stable.
		r.stableRS = r.newRS
	}
	sort.SliceStable(r.others, func(i, j int) bool { return revisionOf(r.others[i]) < revisionOf(r.others[j]) })
	if r.newRS != nil {
		r.revision = revisionOf(r.newRS)
	} else {
		r.revision = maxRev + 1
	}
	return r
}

// sameTemplate tells whether rs was created from the Rollout's template, by the digest
// recorded when it was created (its own template carries the apiserver's defaults). A
// ReplicaSet without the digest (adopted, or made by hand) is taken as matching its hash.
func sameTemplate(rs *appsv1.ReplicaSet, roTemplate *corev1.PodTemplateSpec) bool {
	d, ok := rs.Annotations[AnnotationTemplateDigest]
	return !ok || d == replicaset.TemplateDigest(roTemplate)
}

func revisionOf(rs *appsv1.ReplicaSet) int64 {
	n, _ := strconv.ParseInt(rs.Annotations[AnnotationRevision], 10, 64)
	return n
}

// hashOf is the pod template hash label of a ReplicaSet; "" for nil.
func hashOf(rs *appsv1.ReplicaSet) string {
	if rs == nil {
		return ""
	}
	return rs.Labels[v1alpha1.DefaultRolloutUniqueLabelKey]
}

func replicasOf(rs *appsv1.ReplicaSet) int32 {
	if rs == nil || rs.Spec.Replicas == nil {
		return 0
	}
	return *rs.Spec.Replicas
}

func availableOf(rs *appsv1.ReplicaSet) int32 {
	if rs == nil {
		return 0
	}
	// Only pods the ReplicaSet's current spec keeps are trusted: beyond its replicas
	// they are on their way out, even once the status observed the scale-down; and no
	// more than the pods its status counts as not terminating. (The reliability e2e saw
	// a ReplicaSet scaled to 0 report replicas 0 but 2 available while its pods
	// terminated, then its template come back and the scale-up keep that status: weight
	// went to pods being deleted.)
	//
	// This alone is not enough (the status may count pods that are all terminating: its
	// controller had not seen the deletions); planner.available also caps it by the pods.
	// A status of an older generation (observedGeneration < generation) is still used:
	// every scale bumps the generation, and dropping to 0 until the status catches up
	// would take the weight off pods that carry it (invariant 7); what such a status
	// overcounts, pods on their way out, the pods show.
	return min(rs.Status.AvailableReplicas, rs.Status.Replicas, replicasOf(rs))
}

// NewReplicaSetName is the name of the ReplicaSet of ro's current template, at its
// current collision count: <rollout>-<hash>. The gatherer looks it up to report a
// ReplicaSet of someone else holding it (Input.NameTakenBy).
func NewReplicaSetName(ro *v1alpha1.Rollout) string {
	return replicaSetName(ro, replicaset.PodTemplateHash(&ro.Spec.Template, ro.Status.CollisionCount))
}

func replicaSetName(ro *v1alpha1.Rollout, hash string) string {
	return fmt.Sprintf("%s-%s", ro.Name, hash)
}

// newReplicaSet builds the ReplicaSet of the current template: named <rollout>-<hash>,
// labelled and selecting with the hash, owned by the Rollout.
func newReplicaSet(ro *v1alpha1.Rollout, hash string, revision int64, replicas int32) *appsv1.ReplicaSet {
	template := ro.Spec.Template.DeepCopy()
	if template.Labels == nil {
		template.Labels = map[string]string{}
	}
	template.Labels[v1alpha1.DefaultRolloutUniqueLabelKey] = hash
	selector := ro.Spec.Selector.DeepCopy()
	if selector.MatchLabels == nil {
		selector.MatchLabels = map[string]string{}
	}
	selector.MatchLabels[v1alpha1.DefaultRolloutUniqueLabelKey] = hash
	labels := map[string]string{}
	for k, v := range template.Labels {
		labels[k] = v
	}
	return &appsv1.ReplicaSet{
		ObjectMeta: metav1.ObjectMeta{
			Name:      replicaSetName(ro, hash),
			Namespace: ro.Namespace,
			Labels:    labels,
			Annotations: map[string]string{
				AnnotationRevision:       strconv.FormatInt(revision, 10),
				AnnotationTemplateDigest: replicaset.TemplateDigest(&ro.Spec.Template),
			},
			OwnerReferences: []metav1.OwnerReference{*metav1.NewControllerRef(ro,
				v1alpha1.SchemeGroupVersion.WithKind("Rollout"))},
		},
		Spec: appsv1.ReplicaSetSpec{
			Replicas:        &replicas,
			MinReadySeconds: ro.Spec.MinReadySeconds,
			Selector:        selector,
			Template:        *template,
		},
	}
}
