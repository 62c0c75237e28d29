package gatewayapi

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/cache"
	gwv1 "sigs.k8s.io/gateway-api/apis/v1"
	gatewaylisters "sigs.k8s.io/gateway-api/pkg/client/listers/apis/v1"

	"github.com/serin-dev/serin/pkg/apis/rollouts/v1alpha1"
)

const ns = "shop"

type rolloutOpt func(*v1alpha1.Rollout)

// rollout is a canary Rollout "name" in namespace shop with Services web-stable and
// web-canary, routed by the gatewayAPI plugin through httpRoute "web".
func rollout(name string, opts ...rolloutOpt) *v1alpha1.Rollout {
	ro := &v1alpha1.Rollout{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns},
		Spec: v1alpha1.RolloutSpec{Strategy: v1alpha1.RolloutStrategy{Canary: &v1alpha1.CanaryStrategy{
			StableService: "web-stable", CanaryService: "web-canary",
			TrafficRouting: &v1alpha1.RolloutTrafficRouting{Plugins: map[string]v1alpha1.GatewayAPITrafficRouting{
				v1alpha1.GatewayAPIPlugin: {HTTPRoute: "web", Namespace: ns},
			}},
		}}},
	}
	for _, o := range opts {
		o(ro)
	}
	return ro
}

// withRoutes names the routes in httpRoutes instead of httpRoute.
func withRoutes(routes ...v1alpha1.GatewayAPIRoute) rolloutOpt {
	return func(ro *v1alpha1.Rollout) {
		ro.Spec.Strategy.Canary.TrafficRouting.Plugins[v1alpha1.GatewayAPIPlugin] = v1alpha1.GatewayAPITrafficRouting{HTTPRoutes: routes}
	}
}

func withMaxWeight(w int32) rolloutOpt {
	return func(ro *v1alpha1.Rollout) { ro.Spec.Strategy.Canary.TrafficRouting.MaxTrafficWeight = &w }
}

func backend(name string, weight *int32) gwv1.HTTPBackendRef {
	return gwv1.HTTPBackendRef{BackendRef: gwv1.BackendRef{
		BackendObjectReference: gwv1.BackendObjectReference{Name: gwv1.ObjectName(name), Port: new(gwv1.PortNumber(80))},
		Weight:                 weight,
	}}
}

func pathRule(path string, refs ...gwv1.HTTPBackendRef) gwv1.HTTPRouteRule {
	return gwv1.HTTPRouteRule{
		Matches:     []gwv1.HTTPRouteMatch{{Path: &gwv1.HTTPPathMatch{Type: new(gwv1.PathMatchPathPrefix), Value: new(path)}}},
		BackendRefs: refs,
	}
}

// route is an HTTPRoute in shop attached to Gateway "gw" with rules.
func route(name string, rules ...gwv1.HTTPRouteRule) *gwv1.HTTPRoute {
	return &gwv1.HTTPRoute{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns, ResourceVersion: "7"},
		Spec: gwv1.HTTPRouteSpec{
			CommonRouteSpec: gwv1.CommonRouteSpec{ParentRefs: []gwv1.ParentReference{{Name: "gw"}}},
			Hostnames:       []gwv1.Hostname{"shop.example.com"},
			Rules:           rules,
		},
	}
}

// argoRoute is the route Argo Rollouts' Gateway API docs start from: one rule with the
// stable Service at 100 and the canary Service at 0.
func argoRoute(name string) *gwv1.HTTPRoute {
	return route(name, pathRule("/", backend("web-stable", new(int32(100))), backend("web-canary", new(int32(0)))))
}

func lister(routes ...*gwv1.HTTPRoute) gatewaylisters.HTTPRouteLister {
	idx := cache.NewIndexer(cache.MetaNamespaceKeyFunc, cache.Indexers{cache.NamespaceIndex: cache.MetaNamespaceIndexFunc})
	for _, r := range routes {
		_ = idx.Add(r)
	}
	return gatewaylisters.NewHTTPRouteLister(idx)
}

func headerRoute(name, header string, value v1alpha1.StringMatch) v1alpha1.SetHeaderRoute {
	return v1alpha1.SetHeaderRoute{Name: name, Match: []v1alpha1.HeaderRoutingMatch{{HeaderName: header, HeaderValue: &value}}}
}
