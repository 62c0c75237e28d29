package replicaset

import (
	"testing"

	corev1 "k8s.io/api/core/v1"
)

func TestPodReady(t *testing.T) {
	cond := func(typ corev1.PodConditionType, s corev1.ConditionStatus) corev1.PodCondition {
		return corev1.PodCondition{Type: typ, Status: s}
	}
	tests := map[string]struct {
		conds []corev1.PodCondition
		want  bool
	}{
		"no conditions":               {nil, false},
		"ready":                       {[]corev1.PodCondition{cond(corev1.PodReady, corev1.ConditionTrue)}, true},
		"not ready":                   {[]corev1.PodCondition{cond(corev1.PodReady, corev1.ConditionFalse)}, false},
		"unknown":                     {[]corev1.PodCondition{cond(corev1.PodReady, corev1.ConditionUnknown)}, false},
		"containers ready, pod not":   {[]corev1.PodCondition{cond(corev1.ContainersReady, corev1.ConditionTrue), cond(corev1.PodReady, corev1.ConditionFalse)}, false},
		"scheduled only":              {[]corev1.PodCondition{cond(corev1.PodScheduled, corev1.ConditionTrue)}, false},
		"ready after other condition": {[]corev1.PodCondition{cond(corev1.PodScheduled, corev1.ConditionTrue), cond(corev1.PodReady, corev1.ConditionTrue)}, true},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			pod := &corev1.Pod{Status: corev1.PodStatus{Conditions: tc.conds}}
			if got := PodReady(pod); got != tc.want {
				t.Errorf("PodReady = %v, want %v", got, tc.want)
			}
		})
	}
}
