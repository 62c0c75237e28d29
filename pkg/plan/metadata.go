package plan

import (
	"encoding/json"
	"maps"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/serin-dev/serin/pkg/apis/rollouts/v1alpha1"
)

// Role metadata (Argo's "ephemeral metadata"): spec.strategy.canary.canaryMetadata is put
// on the canary's pods while they are the canary, stableMetadata on the stable's pods while
// they are the stable. When a revision changes role (promotion) its pods lose the keys of
// the old role and get those of the new one, in place: no pod is restarted and the pod
// template hash does not change.
//
// The ReplicaSet's pod template gets the metadata first, so that pods created from then
// on carry it; then the existing pods are patched; once the template and every pod show
// it, AnnotationRoleMetadata on the ReplicaSet records what was applied. The record is
// what tells, on the next change, which keys to take away again: keys the Rollout's own
// template sets are never touched (the template wins over role metadata), and nor is
// anything another controller put on the pods.

// AnnotationRoleMetadata records, as JSON, the role metadata last applied to a
// ReplicaSet's pod template and pods.
const AnnotationRoleMetadata = "rollout.serin.dev/role-metadata"

// PodMetadataPatch sets (non-nil value) or removes (nil value) labels and annotations on
// a ReplicaSet's pod template (ReplicaSet set) or on one pod (Pod set).
type PodMetadataPatch struct {
	ReplicaSet  string             `json:"replicaSet,omitempty"`
	Pod         string             `json:"pod,omitempty"`
	Labels      map[string]*string `json:"labels,omitempty"`
	Annotations map[string]*string `json:"annotations,omitempty"`
}

// NeedsPods tells the gatherer whether the plan needs the Rollout's pods (Input.Pods).
func NeedsPods(ro *v1alpha1.Rollout, rss []*appsv1.ReplicaSet) bool {
	if ro.Spec.RestartAt != nil || diagnosable(ro, rss) {
		return true
	}
	if c := ro.Spec.Strategy.Canary; c != nil && (c.CanaryMetadata != nil || c.StableMetadata != nil) {
		return true
	}
	if bg := ro.Spec.Strategy.BlueGreen; bg != nil && (bg.ActiveMetadata != nil || bg.PreviewMetadata != nil) {
		return true
	}
	for _, rs := range rss {
		if _, ok := rs.Annotations[AnnotationRoleMetadata]; ok {
			return true
		}
	}
	return false
}

// roleMetadata is what the ReplicaSet of hash should carry once this plan is applied.
func (p *planner) roleMetadata(hash string) v1alpha1.PodTemplateMetadata {
	c := p.ro.Spec.Strategy.Canary
	var m *v1alpha1.PodTemplateMetadata
	if bg := p.ro.Spec.Strategy.BlueGreen; bg != nil {
		// Roles follow the Services: activeMetadata while active selects the revision,
		// previewMetadata on the new revision until then.
		switch hash {
		case p.selectedHash(bg.ActiveService):
			m = bg.ActiveMetadata
		case p.revs.hash:
			m = bg.PreviewMetadata
		}
	}
	switch {
	case c == nil:
	case hash == p.status.StableRS:
		m = c.StableMetadata
	case hash == p.revs.hash:
		m = c.CanaryMetadata
	}
	if m == nil {
		return v1alpha1.PodTemplateMetadata{}
	}
	return *m
}

// syncRoleMetadata plans the role metadata of the stable and the new ReplicaSet.
func (p *planner) syncRoleMetadata() {
	seen := map[*appsv1.ReplicaSet]bool{}
	for _, rs := range []*appsv1.ReplicaSet{p.revs.stableRS, p.revs.newRS, p.create} {
		if rs == nil || seen[rs] {
			continue
		}
		seen[rs] = true
		want := p.roleMetadata(hashOf(rs))
		if rs == p.create {
			p.createWithRoleMetadata(rs, want)
			continue
		}
		had := recordedRoleMetadata(rs)
		patches := 0
		if d := p.metadataDiff(rs.Spec.Template.ObjectMeta, want, had); d != nil {
			d.ReplicaSet = rs.Name
			p.podMeta = append(p.podMeta, *d)
			patches++
		}
		for _, pod := range p.in.Pods {
			if pod.DeletionTimestamp != nil || pod.Labels[v1alpha1.DefaultRolloutUniqueLabelKey] != hashOf(rs) {
				continue
			}
			if d := p.metadataDiff(pod.ObjectMeta, want, had); d != nil {
				d.Pod = pod.Name
				p.podMeta = append(p.podMeta, *d)
				patches++
			}
		}
		if patches == 0 && !equalMetadata(had, want) {
			p.annotateRS(rs, AnnotationRoleMetadata, encodeRoleMetadata(want))
		}
	}
}

// createWithRoleMetadata puts the role metadata straight into a ReplicaSet being created.
func (p *planner) createWithRoleMetadata(rs *appsv1.ReplicaSet, want v1alpha1.PodTemplateMetadata) {
	if len(want.Labels) == 0 && len(want.Annotations) == 0 {
		return
	}
	if d := p.metadataDiff(rs.Spec.Template.ObjectMeta, want, v1alpha1.PodTemplateMetadata{}); d != nil {
		rs.Spec.Template.Labels = applyKeys(rs.Spec.Template.Labels, d.Labels)
		rs.Spec.Template.Annotations = applyKeys(rs.Spec.Template.Annotations, d.Annotations)
	}
	rs.Annotations[AnnotationRoleMetadata] = *encodeRoleMetadata(want)
}

// metadataDiff is the patch that gives meta the role metadata want and takes away the
// keys of had that want no longer has; nil when meta already shows it.
func (p *planner) metadataDiff(meta metav1.ObjectMeta, want, had v1alpha1.PodTemplateMetadata) *PodMetadataPatch {
	tmpl := p.ro.Spec.Template.ObjectMeta
	own := map[string]string{v1alpha1.DefaultRolloutUniqueLabelKey: ""}
	maps.Copy(own, tmpl.Labels)
	labels := keysDiff(meta.Labels, want.Labels, had.Labels, own)
	annotations := keysDiff(meta.Annotations, want.Annotations, had.Annotations, tmpl.Annotations)
	if labels == nil && annotations == nil {
		return nil
	}
	return &PodMetadataPatch{Labels: labels, Annotations: annotations}
}

func keysDiff(cur, want, had, own map[string]string) map[string]*string {
	var out map[string]*string
	set := func(k string, v *string) {
		if out == nil {
			out = map[string]*string{}
		}
		out[k] = v
	}
	for k, v := range want {
		if _, mine := own[k]; mine {
			continue
		}
		if got, ok := cur[k]; !ok || got != v {
			set(k, &v)
		}
	}
	for k := range had {
		_, mine := own[k]
		_, wanted := want[k]
		_, present := cur[k]
		if !mine && !wanted && present {
			set(k, nil)
		}
	}
	return out
}

func applyKeys(m map[string]string, patch map[string]*string) map[string]string {
	if len(patch) == 0 {
		return m
	}
	if m == nil {
		m = map[string]string{}
	}
	for k, v := range patch {
		if v == nil {
			delete(m, k)
		} else {
			m[k] = *v
		}
	}
	return m
}

func recordedRoleMetadata(rs *appsv1.ReplicaSet) v1alpha1.PodTemplateMetadata {
	var m v1alpha1.PodTemplateMetadata
	if s, ok := rs.Annotations[AnnotationRoleMetadata]; ok {
		// A record someone mangled reads as empty: keys are then only added, never
		// removed, which is the safe side.
		_ = json.Unmarshal([]byte(s), &m)
	}
	return m
}

// encodeRoleMetadata is the record of m; nil (remove the record) when m is empty.
func encodeRoleMetadata(m v1alpha1.PodTemplateMetadata) *string {
	if len(m.Labels) == 0 && len(m.Annotations) == 0 {
		return nil
	}
	data, _ := json.Marshal(m) // maps of strings: cannot fail
	s := string(data)
	return &s
}

func equalMetadata(a, b v1alpha1.PodTemplateMetadata) bool {
	return maps.Equal(a.Labels, b.Labels) && maps.Equal(a.Annotations, b.Annotations)
}

// PodPatchFor is the merge patch body of a PodMetadataPatch: for a ReplicaSet it patches
// spec.template.metadata, for a Pod its metadata.
func PodPatchFor(a *PodMetadataPatch) map[string]any {
	meta := map[string]any{}
	if len(a.Labels) > 0 {
		meta["labels"] = a.Labels
	}
	if len(a.Annotations) > 0 {
		meta["annotations"] = a.Annotations
	}
	if a.ReplicaSet != "" {
		return map[string]any{"spec": map[string]any{"template": map[string]any{"metadata": meta}}}
	}
	return map[string]any{"metadata": meta}
}

// PodShows reports whether pod already shows the change a (the apply layer's freshness
// check).
func PodShows(pod *corev1.Pod, a *PodMetadataPatch) bool {
	return keysShow(pod.Labels, a.Labels) && keysShow(pod.Annotations, a.Annotations)
}

func keysShow(cur map[string]string, patch map[string]*string) bool {
	for k, v := range patch {
		got, ok := cur[k]
		if v == nil && ok || v != nil && (!ok || got != *v) {
			return false
		}
	}
	return true
}
