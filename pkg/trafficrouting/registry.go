package trafficrouting

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/serin-dev/serin/pkg/apis/rollouts/v1alpha1"
	"github.com/serin-dev/serin/pkg/trafficrouting/nginx"
)

// provider is one traffic router: whether a Rollout's trafficRouting selects it, and how
// to build it.
type provider struct {
	selected func(*v1alpha1.RolloutTrafficRouting) bool
	build    func(Deps) Router
}

// providers maps each router's name to its provider.
var providers = map[string]provider{
	nginx.Name: {
		selected: func(tr *v1alpha1.RolloutTrafficRouting) bool { return tr.Nginx != nil },
		build:    func(d Deps) Router { return nginx.New(d.Client, d.Ingresses) },
	},
}

var _ Router = (*nginx.Router)(nil)

// For returns the router ro's spec.strategy.canary.trafficRouting selects: nil and no
// error when the Rollout has no trafficRouting (a blue-green Rollout, or a canary that
// splits by replica count), an error when trafficRouting names no router Serin supports
// or more than one.
func For(ro *v1alpha1.Rollout, d Deps) (Router, error) {
	c := ro.Spec.Strategy.Canary
	if c == nil || c.TrafficRouting == nil {
		return nil, nil
	}
	names := slices.Sorted(maps.Keys(providers))
	var chosen []string
	for _, name := range names {
		if providers[name].selected(c.TrafficRouting) {
			chosen = append(chosen, name)
		}
	}
	switch len(chosen) {
	case 0:
		return nil, fmt.Errorf("rollout %s: spec.strategy.canary.trafficRouting sets no supported router (supported: %s)", ro.Name, strings.Join(names, ", "))
	case 1:
		return providers[chosen[0]].build(d), nil
	default:
		return nil, fmt.Errorf("rollout %s: spec.strategy.canary.trafficRouting sets several routers (%s); set one", ro.Name, strings.Join(chosen, ", "))
	}
}
