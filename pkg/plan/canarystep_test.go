package plan

import (
	"testing"

	"k8s.io/utils/ptr"

	"github.com/serin-dev/serin/pkg/apis/rollouts/v1alpha1"
)

var testersRoute = v1alpha1.SetHeaderRoute{Name: "testers", Match: []v1alpha1.HeaderRoutingMatch{{CookieName: "canary"}}}

func headerRoute(r v1alpha1.SetHeaderRoute) v1alpha1.CanaryStep {
	return v1alpha1.CanaryStep{SetHeaderRoute: &r}
}

func strategy(routed bool, mutate func(*v1alpha1.CanaryStrategy), steps ...v1alpha1.CanaryStep) *v1alpha1.CanaryStrategy {
	c := &v1alpha1.CanaryStrategy{Steps: steps}
	if routed {
		c.TrafficRouting = &v1alpha1.RolloutTrafficRouting{Nginx: &v1alpha1.NginxTrafficRouting{StableIngress: "web"}}
	}
	if mutate != nil {
		mutate(c)
	}
	return c
}

// How many pods the canary runs at a step (10 replicas).
func TestCanarySize(t *testing.T) {
	minPods := func(n int32) func(*v1alpha1.CanaryStrategy) {
		return func(c *v1alpha1.CanaryStrategy) { c.MinPodsPerReplicaSet = ptr.To(n) }
	}
	tests := map[string]struct {
		c    *v1alpha1.CanaryStrategy
		idx  int32
		want int32
	}{
		"the weight's share":                      {strategy(true, nil, setWeight(20), pause()), 1, 2},
		"rounded up":                              {strategy(true, nil, setWeight(5), pause()), 0, 1},
		"before any weight":                       {strategy(true, nil, pause(), setWeight(20)), 0, 0},
		"every replica once the steps ran":        {strategy(true, nil, setWeight(20)), 1, 10},
		"setCanaryScale replicas":                 {strategy(true, nil, setWeight(20), canaryScale(v1alpha1.SetCanaryScale{Replicas: ptr.To[int32](5)})), 1, 5},
		"setCanaryScale weight":                   {strategy(true, nil, canaryScale(v1alpha1.SetCanaryScale{Weight: ptr.To[int32](30)})), 0, 3},
		"matchTrafficWeight ends setCanaryScale":  {strategy(true, nil, canaryScale(v1alpha1.SetCanaryScale{Replicas: ptr.To[int32](5)}), setWeight(20), canaryScale(v1alpha1.SetCanaryScale{MatchTrafficWeight: true})), 2, 2},
		"a header route needs a pod":              {strategy(true, nil, headerRoute(testersRoute), pause()), 1, 1},
		"a header route without a router: no pod": {strategy(false, nil, headerRoute(testersRoute), pause()), 1, 0},
		"minPodsPerReplicaSet":                    {strategy(true, minPods(3), setWeight(10)), 0, 3},
		"minPodsPerReplicaSet, not when 0":        {strategy(true, minPods(3), pause()), 0, 0},
		"minPodsPerReplicaSet at most replicas":   {strategy(true, minPods(30), setWeight(10)), 0, 10},
		"minPodsPerReplicaSet needs a router":     {strategy(false, minPods(3), setWeight(10)), 0, 1},
		"maxTrafficWeight scales the share":       {strategy(true, func(c *v1alpha1.CanaryStrategy) { c.TrafficRouting.MaxTrafficWeight = ptr.To[int32](1000) }, setWeight(200)), 0, 2},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			if got := canarySize(tc.c, tc.idx, 10); got != tc.want {
				t.Errorf("canarySize = %d, want %d", got, tc.want)
			}
		})
	}
}

// How much traffic a routed canary may have (4 replicas), and when it gets the step's
// header routes.
func TestCanaryTraffic(t *testing.T) {
	steps := strategy(true, nil, setWeight(20), headerRoute(testersRoute), setWeight(50), pause())
	tests := map[string]struct {
		idx       int32
		desired   int32
		available int32
		current   int32
		selected  bool
		want      int32
		routes    bool
	}{
		"the canary Service not on the canary yet": {idx: 0, desired: 1, available: 1, selected: false, want: 0},
		"its pod up: the step's weight":            {idx: 0, desired: 1, available: 1, selected: true, want: 20},
		"no pod up: no weight":                     {idx: 0, desired: 1, available: 0, selected: true, want: 0},
		"header route step: routes with a pod":     {idx: 1, desired: 1, available: 1, current: 20, selected: true, want: 20, routes: true},
		"header route step, no pod: no routes":     {idx: 1, desired: 1, available: 0, current: 20, selected: true, want: 0},
		"20 to 50 with 1 of 2 pods: keeps 20":      {idx: 2, desired: 2, available: 1, current: 20, selected: true, want: 20, routes: true},
		"20 to 50 with 2 of 2 pods: 50":            {idx: 2, desired: 2, available: 2, current: 20, selected: true, want: 50, routes: true},
		"header route step from weight 0: both":    {idx: 1, desired: 1, available: 1, current: 0, selected: true, want: 20, routes: true},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			got := canaryTraffic(steps, tc.idx, canaryPods{replicas: 4, desired: tc.desired, available: tc.available}, tc.current, tc.selected)
			if got.CanaryWeight != tc.want || (len(got.HeaderRoutes) > 0) != tc.routes {
				t.Errorf("canaryTraffic = weight %d routes %v, want weight %d routes %v", got.CanaryWeight, got.HeaderRoutes, tc.want, tc.routes)
			}
		})
	}
}

// Whether a setWeight, setCanaryScale or setHeaderRoute step is done.
func TestStepDone(t *testing.T) {
	w20 := setWeight(20)
	scale := canaryScale(v1alpha1.SetCanaryScale{Replicas: ptr.To[int32](2)})
	route := headerRoute(testersRoute)
	routes := []v1alpha1.SetHeaderRoute{testersRoute}
	tests := map[string]struct {
		step v1alpha1.CanaryStep
		s    stepShows
		want bool
	}{
		"setWeight routed, at scale and weight":  {w20, stepShows{atScale: true, routed: true, weight: 20, traffic: SetTraffic{CanaryWeight: 20}}, true},
		"setWeight routed, weight not there":     {w20, stepShows{atScale: true, routed: true, weight: 20, traffic: SetTraffic{CanaryWeight: 10}}, false},
		"setWeight routed, weight unknown":       {w20, stepShows{atScale: true, routed: true, weight: 20, traffic: SetTraffic{CanaryWeight: -1}}, false},
		"setWeight routed, pods not up":          {w20, stepShows{atScale: false, routed: true, weight: 20, traffic: SetTraffic{CanaryWeight: 20}}, false},
		"setWeight without a router: at scale":   {w20, stepShows{atScale: true, weight: 20, traffic: SetTraffic{CanaryWeight: -1}}, true},
		"setCanaryScale at scale":                {scale, stepShows{atScale: true, routed: true}, true},
		"setCanaryScale not at scale":            {scale, stepShows{routed: true}, false},
		"setHeaderRoute in place":                {route, stepShows{routed: true, routesKnown: true, traffic: SetTraffic{HeaderRoutes: routes}, routes: routes}, true},
		"setHeaderRoute not in place":            {route, stepShows{routed: true, routesKnown: true, routes: routes}, false},
		"setHeaderRoute removal done":            {headerRoute(v1alpha1.SetHeaderRoute{Name: "testers"}), stepShows{routed: true, routesKnown: true}, true},
		"setHeaderRoute with the router unknown": {headerRoute(v1alpha1.SetHeaderRoute{Name: "testers"}), stepShows{routed: true}, false},
		"a pause is not decided here":            {pause(), stepShows{atScale: true, routed: true}, false},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			if got := stepDone(&tc.step, tc.s); got != tc.want {
				t.Errorf("stepDone = %v, want %v", got, tc.want)
			}
		})
	}
}
