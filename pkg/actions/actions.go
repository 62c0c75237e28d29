// Package actions holds the operations an operator performs on a Rollout — promote,
// abort, retry, pause, resume, restart, set image, undo — shared by the kubectl plugin
// and the dashboard. Each is one function taking a context, the clientsets and the
// Rollout's namespace and name; each writes with a patch (the status subresource for
// status fields), never a read-modify-update of the whole object, and returns a Result
// saying what it did and what the controller does next.
//
// The semantics are those the controller (pkg/plan) reads: a pause step ends when its
// pause condition is removed, status.currentStepIndex is the step the rollout is at,
// status.promoteFull skips every remaining step, status.abort sends everything back to
// the stable revision and clearing it retries from the first step, spec.paused stops the
// rollout where it is, spec.restartAt replaces every older pod.
package actions

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes"

	"github.com/serin-dev/serin/pkg/apis/rollouts/v1alpha1"
	"github.com/serin-dev/serin/pkg/client/clientset/versioned"
)

// Clients are the clientsets the actions use. Kube is needed only by Undo (it reads the
// Rollout's ReplicaSets).
type Clients struct {
	Kube  kubernetes.Interface
	Serin versioned.Interface
}

// Result is what an action did and what happens next, each one short sentence for a
// person: the plugin prints it, the dashboard shows it.
type Result struct {
	// Did is what was changed, e.g. `rollout "web" promoted: pause at step 2/6 cleared`.
	Did string `json:"did"`
	// Next is what the controller does about it.
	Next string `json:"next"`
}

func (r Result) String() string {
	if r.Next == "" {
		return r.Did
	}
	return r.Did + "\n" + r.Next
}

// ErrNothingToDo is wrapped by the errors of actions that would change nothing (promote
// a rollout that has run every step, retry one that was not aborted, ...).
var ErrNothingToDo = errors.New("nothing to do")

func nothing(format string, args ...any) error {
	return fmt.Errorf("%s: %w", fmt.Sprintf(format, args...), ErrNothingToDo)
}

func get(ctx context.Context, c Clients, ns, name string) (*v1alpha1.Rollout, error) {
	ro, err := c.Serin.SerinV1alpha1().Rollouts(ns).Get(ctx, name, metav1.GetOptions{})
	if err != nil {
		return nil, fmt.Errorf("get rollout %q in namespace %q: %w", name, ns, err)
	}
	return ro, nil
}

// patchStatus merge-patches the status subresource with fields.
func patchStatus(ctx context.Context, c Clients, ro *v1alpha1.Rollout, fields map[string]any) error {
	return patch(ctx, c, ro, types.MergePatchType, map[string]any{"status": fields}, "status")
}

// patchSpec merge-patches the spec with fields.
func patchSpec(ctx context.Context, c Clients, ro *v1alpha1.Rollout, fields map[string]any) error {
	return patch(ctx, c, ro, types.MergePatchType, map[string]any{"spec": fields})
}

// jsonPatch is one RFC 6902 operation; "test" operations make a patch conditional on
// what the action read, so it never acts on a state that changed in between.
type jsonPatch struct {
	Op    string `json:"op"`
	Path  string `json:"path"`
	Value any    `json:"value"`
}

func patch(ctx context.Context, c Clients, ro *v1alpha1.Rollout, pt types.PatchType, body any, subresources ...string) error {
	data, err := json.Marshal(body)
	if err != nil {
		return fmt.Errorf("encode patch: %w", err)
	}
	_, err = c.Serin.SerinV1alpha1().Rollouts(ro.Namespace).Patch(ctx, ro.Name, pt, data, metav1.PatchOptions{}, subresources...)
	if err != nil {
		what := "spec"
		if len(subresources) > 0 {
			what = subresources[0]
		}
		return fmt.Errorf("patch the %s of rollout %q in namespace %q: %w", what, ro.Name, ro.Namespace, err)
	}
	return nil
}

// updating reports whether ro has an update in progress: a template that is not yet the
// stable one.
func updating(ro *v1alpha1.Rollout) bool {
	return ro.Status.StableRS != "" && ro.Status.CurrentPodHash != ro.Status.StableRS
}
