// Package rolloutview turns a Rollout and the objects it owns (ReplicaSets, pods,
// AnalysisRuns) into what `kubectl serin get rollout` shows: a header of the rollout's
// state and a tree revision → ReplicaSet → pods, with the AnalysisRuns of each revision.
// Fetch reads the objects; New builds the View (pure); Render writes it as text.
package rolloutview

import (
	"context"
	"fmt"
	"sort"
	"strconv"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/serin-dev/serin/pkg/actions"
	"github.com/serin-dev/serin/pkg/apis/rollouts/v1alpha1"
	"github.com/serin-dev/serin/pkg/plan"
)

// Snapshot is a Rollout and what it owns, read at one moment.
type Snapshot struct {
	Rollout      *v1alpha1.Rollout
	ReplicaSets  []*appsv1.ReplicaSet
	Pods         []*corev1.Pod
	AnalysisRuns []*v1alpha1.AnalysisRun
}

// Fetch reads a Rollout and its ReplicaSets, their pods and its AnalysisRuns.
func Fetch(ctx context.Context, c actions.Clients, ns, name string) (*Snapshot, error) {
	ro, err := c.Serin.SerinV1alpha1().Rollouts(ns).Get(ctx, name, metav1.GetOptions{})
	if err != nil {
		return nil, fmt.Errorf("get rollout %q in namespace %q: %w", name, ns, err)
	}
	rss, err := c.Kube.AppsV1().ReplicaSets(ns).List(ctx, metav1.ListOptions{})
	if err != nil {
		return nil, fmt.Errorf("list replicasets in namespace %q: %w", ns, err)
	}
	pods, err := c.Kube.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{LabelSelector: v1alpha1.DefaultRolloutUniqueLabelKey})
	if err != nil {
		return nil, fmt.Errorf("list pods in namespace %q: %w", ns, err)
	}
	ars, err := c.Serin.SerinV1alpha1().AnalysisRuns(ns).List(ctx, metav1.ListOptions{})
	if err != nil {
		return nil, fmt.Errorf("list analysisruns in namespace %q: %w", ns, err)
	}
	s := &Snapshot{Rollout: ro}
	for i := range rss.Items {
		s.ReplicaSets = append(s.ReplicaSets, &rss.Items[i])
	}
	for i := range pods.Items {
		s.Pods = append(s.Pods, &pods.Items[i])
	}
	for i := range ars.Items {
		s.AnalysisRuns = append(s.AnalysisRuns, &ars.Items[i])
	}
	return s.Owned(), nil
}

// Owned keeps only the objects the Rollout controls: its ReplicaSets, their pods, its
// AnalysisRuns; ReplicaSets newest revision first, pods by name.
func (s *Snapshot) Owned() *Snapshot {
	out := &Snapshot{Rollout: s.Rollout}
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
	sort.SliceStable(out.ReplicaSets, func(i, j int) bool {
		return revision(out.ReplicaSets[i]) > revision(out.ReplicaSets[j])
	})
	sort.Slice(out.Pods, func(i, j int) bool { return out.Pods[i].Name < out.Pods[j].Name })
	sort.Slice(out.AnalysisRuns, func(i, j int) bool { return out.AnalysisRuns[i].Name < out.AnalysisRuns[j].Name })
	return out
}

func revision(rs *appsv1.ReplicaSet) int64 {
	n, _ := strconv.ParseInt(rs.Annotations[plan.AnnotationRevision], 10, 64)
	return n
}
