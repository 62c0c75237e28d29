package main

import (
	"errors"
	"net"
	"net/url"
	"strings"

	apierrors "k8s.io/apimachinery/pkg/api/errors"

	"github.com/serin-dev/serin/pkg/actions"
)

// explain turns an error into a message that says what to do about it.
func explain(err error) string {
	msg := err.Error()
	var status apierrors.APIStatus
	switch {
	case errors.Is(err, actions.ErrNothingToDo):
		return strings.TrimSuffix(msg, ": "+actions.ErrNothingToDo.Error())
	case apierrors.IsNotFound(err) && errors.As(err, &status) &&
		strings.Contains(status.Status().Message, "could not find the requested resource"):
		return msg + "\nthe serin.dev CRDs are not installed in this cluster: install Serin (kubectl apply -k manifests/) or pick another --context"
	case apierrors.IsNotFound(err):
		return msg + "\ncheck the name and the namespace (-n NAMESPACE); `kubectl serin list rollouts -A` lists every Rollout"
	case apierrors.IsForbidden(err):
		return msg + "\nyou lack that verb on that resource: ask for a Role granting it (Serin's serin-edit ClusterRole covers every verb of this plugin, serin-view the read-only ones)"
	case apierrors.IsUnauthorized(err):
		return msg + "\nyour credentials were refused: log in again or check the user of your --context"
	case apierrors.IsConflict(err) || apierrors.IsInvalid(err) && strings.Contains(msg, "test"):
		return msg + "\nthe rollout changed while this ran: look at it again (kubectl serin get rollout NAME) and retry"
	case unreachable(err):
		return msg + "\ncannot reach the cluster: check that it is up, and --kubeconfig / --context (kubectl cluster-info shows the server in use)"
	}
	return msg
}

func unreachable(err error) bool {
	var urlErr *url.Error
	var netErr net.Error
	var opErr *net.OpError
	if errors.As(err, &opErr) || errors.As(err, &netErr) || errors.As(err, &urlErr) {
		return true
	}
	msg := err.Error()
	return strings.Contains(msg, "connection refused") || strings.Contains(msg, "no such host")
}
