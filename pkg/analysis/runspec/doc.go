// Package runspec builds AnalysisRuns for a Rollout: NewRun merges AnalysisTemplates and
// ClusterAnalysisTemplates with arguments, RolloutArgs resolves a rollout's analysis
// arguments (value, podTemplateHashValue, fieldRef). It is pure — no client, no clock — so
// that pkg/plan, which imports no client, can decide the run it creates.
package runspec
