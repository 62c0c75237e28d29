package plan

import (
	"slices"

	"github.com/serin-dev/serin/pkg/apis/rollouts/v1alpha1"
	"github.com/serin-dev/serin/pkg/refs"
)

// Finalizer keeps a deleted Rollout until the controller has taken the pod template
// hash out of its Services' selectors, so that they go on selecting the application's
// pods (those of whatever replaces the Rollout) instead of none.
const Finalizer = "serin.dev/restore-selectors"

// needsFinalizer reports whether ro must get the Finalizer: it names a Service (whose
// selector the controller will change) and does not have it yet.
func needsFinalizer(ro *v1alpha1.Rollout) bool {
	return ro.DeletionTimestamp == nil && !slices.Contains(ro.Finalizers, Finalizer) && len(refs.Of(ro).ServiceNames()) > 0
}

// deletion plans a Rollout being deleted: the hash label goes out of the selector of
// every Service of the Rollout that has it, then the Finalizer goes. Nothing else is
// planned, and the status stays as it is. Without the Finalizer there is nothing to do
// (the Rollout is gone as soon as the other finalizers are).
func deletion(in Input) Plan {
	ro := in.Rollout
	out := Plan{Status: *ro.Status.DeepCopy()}
	if !slices.Contains(ro.Finalizers, Finalizer) {
		return out
	}
	for _, name := range refs.Of(ro).ServiceNames() {
		svc := in.Services[name]
		if svc == nil {
			continue // gone: no selector to restore
		}
		if _, ok := svc.Spec.Selector[v1alpha1.DefaultRolloutUniqueLabelKey]; ok {
			out.Actions = append(out.Actions, Action{SetSelector: &SetServiceSelector{Service: name}})
		}
	}
	out.Actions = append(out.Actions, Action{RemoveFinalizer: strp(Finalizer)})
	return out
}

func strp(s string) *string { return &s }
