package dashboard

import (
	"context"
	"errors"
	"net/http"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
)

// Action is a verb of the plugin the page can trigger.
type Action string

// The actions, named as in the URL: POST /api/rollouts/{namespace}/{name}/{action}.
const (
	ActionPromote     Action = "promote"
	ActionPromoteFull Action = "promote-full"
	ActionAbort       Action = "abort"
	ActionRetry       Action = "retry"
	ActionRestart     Action = "restart"
	ActionPause       Action = "pause"
	ActionResume      Action = "resume"
)

// Actions lists every action, in the order the page shows them.
var Actions = []Action{ActionPromote, ActionPromoteFull, ActionAbort, ActionRetry, ActionRestart, ActionPause, ActionResume}

// Actor performs an action on a Rollout with the user's identity and returns what it did
// in a sentence. The plugin wires its shared pkg/actions functions in here, so an action
// in the page has exactly the effect of the kubectl serin verb.
type Actor interface {
	Act(ctx context.Context, namespace, name string, action Action) (string, error)
}

// ActorFunc adapts a function to Actor.
type ActorFunc func(ctx context.Context, namespace, name string, action Action) (string, error)

// Act implements Actor.
func (f ActorFunc) Act(ctx context.Context, namespace, name string, action Action) (string, error) {
	return f(ctx, namespace, name, action)
}

// Refused wraps the error of an action that changes nothing in the rollout's present
// state (promote with no step left, retry of a rollout that was not aborted): 409.
type Refused struct{ Err error }

func (r Refused) Error() string { return r.Err.Error() }
func (r Refused) Unwrap() error { return r.Err }

// ErrUnknownAction is returned for a verb that is not one of Actions.
var ErrUnknownAction = errors.New("unknown action")

func knownAction(a Action) bool {
	for _, k := range Actions {
		if k == a {
			return true
		}
	}
	return false
}

// statusOf maps an action's error to an HTTP status: the API server's own (403 for a
// forbidden action, 404, 409, 422...) when it came from there, else 400 or 500.
func statusOf(err error) int {
	var st apierrors.APIStatus
	if errors.As(err, &st) && st.Status().Code >= 400 {
		return int(st.Status().Code)
	}
	if errors.As(err, new(Refused)) {
		return http.StatusConflict
	}
	if errors.Is(err, ErrUnknownAction) {
		return http.StatusBadRequest
	}
	return http.StatusInternalServerError
}
