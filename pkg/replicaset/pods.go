package replicaset

import corev1 "k8s.io/api/core/v1"

// PodReady says whether a pod counts as ready: its PodReady condition is True. The plan
// (restarts), the controller's pod handler and the views of the plugin and the dashboard
// all ask this one function, so they never disagree about a pod.
func PodReady(pod *corev1.Pod) bool {
	for _, c := range pod.Status.Conditions {
		if c.Type == corev1.PodReady {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}
