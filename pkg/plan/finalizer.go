package plan

import (
	"slices"

	"github.com/serin-dev/serin/pkg/apis/rollouts/v1alpha1"
)

// Finalizer keeps a deleted Rollout until the controller has taken the pod template
// hash out of its Services' selectors, so that they go on selecting the application's
// pods (those of whatever replaces the Rollout) instead of none.
const Finalizer = "serin.dev/restore-selectors"

// ServiceNames are the Services ro names (stable and canary, or active and preview),
// each once, in that order.
func ServiceNames(ro *v1alpha1.Rollout) []string {
	var names []string
	if c := ro.Spec.Strategy.Canary; c != nil {
		names = append(names, c.StableService, c.CanaryService)
	}
	if bg := ro.Spec.Strategy.BlueGreen; bg != nil {
		names = append(names, bg.ActiveService, bg.PreviewService)
	}
	var out []string
	for _, n := range names {
		if n != "" && !slices.Contains(out, n) {
			out = append(out, n)
		}
	}
	return out
}

// needsFinalizer reports whether ro must get the Finalizer: it names a Service (whose
// selector the controller will change) and does not have it yet.
func needsFinalizer(ro *v1alpha1.Rollout) bool {
	return ro.DeletionTimestamp == nil && !slices.Contains(ro.Finalizers, Finalizer) && len(ServiceNames(ro)) > 0
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
	for _, name := range ServiceNames(ro) {
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
