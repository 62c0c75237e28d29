package plan

import (
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	"k8s.io/utils/ptr"
)

// A ReplicaSet's available pods count only up to its replicas (pods beyond them are
// being removed, whether or not the status has observed the scale-down yet) and up to
// the pods its status counts (terminating ones are not).
func TestAvailableOf(t *testing.T) {
	tests := map[string]struct {
		replicas, counted, available int32
		generation, seen             int64
		want                         int32
	}{
		"steady":                                {replicas: 3, counted: 3, available: 3, generation: 1, seen: 1, want: 3},
		"coming up":                             {replicas: 3, counted: 3, available: 1, generation: 1, seen: 1, want: 1},
		"scaled down, status not yet seen":      {replicas: 0, counted: 2, available: 2, generation: 2, seen: 1, want: 0},
		"scaled down, pods still terminating":   {replicas: 0, counted: 0, available: 2, generation: 2, seen: 2, want: 0},
		"scaled from 3 to 1, seen":              {replicas: 1, counted: 1, available: 3, generation: 2, seen: 2, want: 1},
		"scaled back up from terminating pods":  {replicas: 2, counted: 0, available: 2, generation: 3, seen: 2, want: 0},
		"scaled up, the status not yet seen it": {replicas: 4, counted: 2, available: 2, generation: 2, seen: 1, want: 2},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			rs := &appsv1.ReplicaSet{}
			rs.Generation, rs.Spec.Replicas = tc.generation, ptr.To(tc.replicas)
			rs.Status.ObservedGeneration, rs.Status.Replicas, rs.Status.AvailableReplicas = tc.seen, tc.counted, tc.available
			if got := availableOf(rs); got != tc.want {
				t.Errorf("availableOf = %d, want %d", got, tc.want)
			}
		})
	}
}
