package plan

// Annotations and labels the controller writes on the ReplicaSets it owns.
const (
	// AnnotationRevision is the revision number of a ReplicaSet (1, 2, ...).
	AnnotationRevision = "rollout.serin.dev/revision"
	// AnnotationTemplateDigest is replicaset.TemplateDigest of the Rollout template a
	// ReplicaSet was created from.
	AnnotationTemplateDigest = "rollout.serin.dev/template-digest"
	// AnnotationScaleDownDeadline is when an old or aborted ReplicaSet may be scaled to 0.
	AnnotationScaleDownDeadline = "rollout.serin.dev/scale-down-deadline"
)
