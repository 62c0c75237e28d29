// Package trafficrouting is how Serin moves traffic between the stable and canary
// Services: one small Router interface, one implementation per traffic provider (nginx/),
// and one registry (registry.go) that says everything else Serin needs to know about each
// provider — which Rollouts select it, what it watches and refers to, how to render and
// observe it offline, how to describe it. Nothing outside this package imports a
// provider package: the controller, the preview, the plugin and the dashboard go through
// the registry, so a new router goes in here and nowhere else.
package trafficrouting

import (
	"context"

	"k8s.io/client-go/tools/cache"

	"github.com/serin-dev/serin/pkg/apis/rollouts/v1alpha1"
	"github.com/serin-dev/serin/pkg/plan"
)

// Router applies a traffic split for a Rollout and reads back the one in place.
type Router interface {
	// Name is the provider's name, as in spec.strategy.canary.trafficRouting ("nginx").
	Name() string
	// Observe reads, from caches only, the split the router applies now: nil when it has
	// written nothing yet, with Problem set when it cannot act (e.g. the stable Ingress is
	// missing, or an object it must write belongs to someone else). When the objects it
	// writes do not show one split that SetTraffic would leave as it is (some missing,
	// disagreeing, or edited), it reports the highest weight any of them applies with
	// OutOfSync set, so that the plan calls SetTraffic again and takes traffic away first
	// where it must.
	Observe(ro *v1alpha1.Rollout) *plan.TrafficState
	// SetTraffic makes the router apply t for ro; it writes only what differs.
	SetTraffic(ctx context.Context, ro *v1alpha1.Rollout, t plan.SetTraffic) error
}

// Deps is what a router may use: clients to write, and the caches of the kinds the
// routers watch (Watch.Kind to its cache) to read. Offline (the preview, the plugin)
// Clients is empty and the caches hold the objects given.
type Deps struct {
	Clients Clients
	Caches  map[string]cache.Indexer
}
