package rolloutview

import (
	"sort"
	"strconv"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/serin-dev/serin/pkg/apis/rollouts/v1alpha1"
	"github.com/serin-dev/serin/pkg/plan"
)

// Snapshot is a Rollout and what belongs to it, read at one moment: the plugin reads it
// from the API server (or its watch), the dashboard from its informer caches.
type Snapshot struct {
	Rollout      *v1alpha1.Rollout
	ReplicaSets  []*appsv1.ReplicaSet
	Pods         []*corev1.Pod
	AnalysisRuns []*v1alpha1.AnalysisRun
	// Events are the Kubernetes Events about the Rollout; the plugin reads none.
	Events []*corev1.Event
	// Now is when the snapshot was read: countdowns (a ReplicaSet's scale-down) are
	// said against it. The zero time leaves them unsaid (the times stay in the view).
	Now time.Time
}

// Owned keeps only the objects the Rollout controls: its ReplicaSets, their pods, its
// AnalysisRuns (for a caller that listed a whole namespace); Events are kept as given.
func (s *Snapshot) Owned() *Snapshot {
	out := &Snapshot{Rollout: s.Rollout, Events: s.Events, Now: s.Now}
	uid := s.Rollout.UID
	rsUIDs := map[string]bool{}
	for _, rs := range s.ReplicaSets {
		if ref := metav1.GetControllerOf(rs); ref != nil && ref.UID == uid {
			out.ReplicaSets = append(out.ReplicaSets, rs)
			rsUIDs[string(rs.UID)] = true
		}
	}
	for _, pod := range s.Pods {
		if ref := metav1.GetControllerOf(pod); ref != nil && rsUIDs[string(ref.UID)] {
			out.Pods = append(out.Pods, pod)
		}
	}
	for _, ar := range s.AnalysisRuns {
		if ref := metav1.GetControllerOf(ar); ref != nil && ref.UID == uid {
			out.AnalysisRuns = append(out.AnalysisRuns, ar)
		}
	}
	return out
}

// revision is a ReplicaSet's revision number (its annotation), 0 without one.
func revision(rs *appsv1.ReplicaSet) int64 {
	n, _ := strconv.ParseInt(rs.Annotations[plan.AnnotationRevision], 10, 64)
	return n
}

// newestFirst sorts ReplicaSets by revision, newest first, then by name.
func newestFirst(rss []*appsv1.ReplicaSet) []*appsv1.ReplicaSet {
	out := append([]*appsv1.ReplicaSet(nil), rss...)
	sort.SliceStable(out, func(i, j int) bool {
		if ri, rj := revision(out[i]), revision(out[j]); ri != rj {
			return ri > rj
		}
		return out[i].Name < out[j].Name
	})
	return out
}
