package main

import (
	"context"
	"fmt"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/serin-dev/serin/pkg/actions"
	"github.com/serin-dev/serin/pkg/apis/rollouts/v1alpha1"
	"github.com/serin-dev/serin/pkg/rolloutview"
)

// fetch reads a Rollout and what it owns from the API server: its ReplicaSets, their
// pods and its AnalysisRuns.
func fetch(ctx context.Context, c actions.Clients, ns, name string) (*rolloutview.Snapshot, error) {
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
	s := &rolloutview.Snapshot{Rollout: ro, Now: time.Now()}
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
