// Package v1alpha1 is the serin.dev/v1alpha1 API: Rollout, AnalysisTemplate,
// ClusterAnalysisTemplate and AnalysisRun.
//
// Field names, types and meanings follow Argo Rollouts' argoproj.io/v1alpha1 for every
// feature Serin supports, so an Argo manifest applies after changing only apiVersion.
// Serin adds fields where it goes further; it never renames one.
//
// +k8s:deepcopy-gen=package
// +groupName=serin.dev
// +kubebuilder:object:generate=false
package v1alpha1
