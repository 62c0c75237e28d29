package gatewayapi

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"

	"github.com/sirupsen/logrus"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	gwv1 "sigs.k8s.io/gateway-api/apis/v1"
	gatewayclient "sigs.k8s.io/gateway-api/pkg/client/clientset/versioned"
	gatewaylisters "sigs.k8s.io/gateway-api/pkg/client/listers/apis/v1"

	"github.com/serin-dev/serin/pkg/apis/rollouts/v1alpha1"
	"github.com/serin-dev/serin/pkg/logging"
	"github.com/serin-dev/serin/pkg/plan"
	"github.com/serin-dev/serin/pkg/trafficrouting/spec"
)

// Name is the router's name: its spec's.
const Name = spec.GatewayAPIName

// Router splits traffic by the backend weights of the HTTPRoutes a Rollout names.
type Router struct {
	client gatewayclient.Interface
	routes gatewaylisters.HTTPRouteLister
}

// New returns the Gateway API router: it reads HTTPRoutes from routes (an informer's
// lister) and patches them with client.
func New(client gatewayclient.Interface, routes gatewaylisters.HTTPRouteLister) *Router {
	return &Router{client: client, routes: routes}
}

// Name is "gatewayAPI".
func (r *Router) Name() string { return Name }

// observed is what one HTTPRoute applies for a Rollout.
type observed struct {
	weight int32
	routes []v1alpha1.SetHeaderRoute
	// inSync is false when SetTraffic(weight, routes) would change the route.
	inSync bool
}

// Observe reads every HTTPRoute of ro from the lister. The weight is the highest share
// any rule to the stable Service gives the canary, so that the plan takes traffic away
// before anything that needs the canary to carry less; the header routes are those
// recorded on the routes; OutOfSync is set when the routes disagree or differ from their
// rendered form (a canary backend missing, weights edited, a managed rule changed).
// Problem names what stops the router from acting: a route missing, in another
// namespace, or with no rule to the stable Service.
func (r *Router) Observe(ro *v1alpha1.Rollout) *plan.TrafficState {
	if p := namespaceProblem(ro); p != "" {
		return &plan.TrafficState{Problem: p}
	}
	var (
		problems []string
		found    []observed
	)
	for _, ref := range routes(ro) {
		obs, p := r.observeOne(ro, ref)
		if p != "" {
			problems = append(problems, p)
		}
		if obs != nil {
			found = append(found, *obs)
		}
	}
	st := &plan.TrafficState{Problem: strings.Join(problems, "; ")}
	if len(found) == 0 {
		return st
	}
	inSync := len(problems) == 0
	for _, o := range found {
		st.CanaryWeight = max(st.CanaryWeight, o.weight)
		inSync = inSync && o.inSync && o.weight == found[0].weight && reflect.DeepEqual(o.routes, found[0].routes)
	}
	st.HeaderRoutes = found[0].routes
	st.OutOfSync = !inSync
	return st
}

// observeOne reads one HTTPRoute: obs is nil when it cannot be read.
func (r *Router) observeOne(ro *v1alpha1.Rollout, ref v1alpha1.GatewayAPIRoute) (*observed, string) {
	route, err := r.routes.HTTPRoutes(ro.Namespace).Get(ref.Name)
	switch {
	case apierrors.IsNotFound(err):
		return nil, fmt.Sprintf("HTTPRoute %s not found", ref.Name)
	case err != nil:
		return nil, fmt.Sprintf("HTTPRoute %s: %v", ref.Name, err)
	}
	recs, ok := readRecords(route)
	if !ok {
		return nil, fmt.Sprintf("HTTPRoute %s: annotation %s does not parse: Serin cannot tell its rules from others; fix or remove it", ref.Name, ManagedRulesAnnotation)
	}
	mine := recs[ro.Name]
	c := ro.Spec.Strategy.Canary
	obs := &observed{routes: mine.HeaderRoutes, inSync: true}
	total := maxWeight(ro)
	for _, rule := range route.Spec.Rules {
		if contains(mine.Rules, ruleName(rule)) {
			continue
		}
		share, exact, routed := canaryShare(rule, route.Namespace, c.StableService, c.CanaryService, total)
		if routed {
			obs.weight = max(obs.weight, share)
			obs.inSync = obs.inSync && exact
		}
	}
	desired, err := Desired(ro, route, ref.UseHeaderRoutes, plan.SetTraffic{CanaryWeight: obs.weight, HeaderRoutes: obs.routes})
	if err != nil {
		obs.inSync = false
		return obs, err.Error()
	}
	obs.inSync = obs.inSync && sameRoute(route, desired)
	return obs, ""
}

// canaryShare is the canary's share of rule's traffic out of total, rounded up; exact
// is false when the rule's weights do not add up to total (the share is then an
// estimate, rounded against the canary). routed reports whether the rule routes to the
// stable Service. A backend without a weight weighs 1, as in the Gateway API.
func canaryShare(rule gwv1.HTTPRouteRule, namespace, stableSvc, canarySvc string, total int32) (share int32, exact, routed bool) {
	var stable, canary int64
	for _, ref := range rule.BackendRefs {
		w := int64(1)
		if ref.Weight != nil {
			w = int64(*ref.Weight)
		}
		switch {
		case isService(ref.BackendObjectReference, namespace, stableSvc):
			stable += w
			routed = true
		case isService(ref.BackendObjectReference, namespace, canarySvc):
			canary += w
		}
	}
	if !routed {
		return 0, true, false
	}
	if stable+canary == int64(total) {
		return int32(canary), true, true
	}
	if stable+canary == 0 {
		return 0, false, true
	}
	return int32((canary*int64(total) + stable + canary - 1) / (stable + canary)), false, true
}

// SetTraffic makes every HTTPRoute of ro apply t: it patches, in each, only the weights
// of the stable and canary backends, the canary backends it adds, the rules it adds and
// removes, and its record; everything else (and other controllers' edits) stays. Each
// patch carries the cached resourceVersion: decided from a stale cache, it conflicts
// and the Rollout is planned again. Every route is tried; the errors are joined.
func (r *Router) SetTraffic(ctx context.Context, ro *v1alpha1.Rollout, t plan.SetTraffic) error {
	if p := namespaceProblem(ro); p != "" {
		return errors.New(p)
	}
	refs := routes(ro)
	if len(refs) == 0 {
		return fmt.Errorf("rollout %s: spec.strategy.canary.trafficRouting.plugins.%s names no HTTPRoute", ro.Name, v1alpha1.GatewayAPIPlugin)
	}
	var errs []error
	for _, ref := range refs {
		if err := r.setOne(ctx, ro, ref, t); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

func (r *Router) setOne(ctx context.Context, ro *v1alpha1.Rollout, ref v1alpha1.GatewayAPIRoute, t plan.SetTraffic) error {
	cur, err := r.routes.HTTPRoutes(ro.Namespace).Get(ref.Name)
	if err != nil {
		return fmt.Errorf("HTTPRoute %s: %w", ref.Name, err)
	}
	desired, err := Desired(ro, cur, ref.UseHeaderRoutes, t)
	if err != nil {
		return err
	}
	ops, err := Patch(ro, cur, desired)
	if err != nil || len(ops) == 0 {
		return err
	}
	body, err := json.Marshal(ops)
	if err != nil {
		return fmt.Errorf("HTTPRoute %s: %w", ref.Name, err)
	}
	if _, err := r.client.GatewayV1().HTTPRoutes(ro.Namespace).Patch(ctx, ref.Name, types.JSONPatchType, body, metav1.PatchOptions{}); err != nil {
		return fmt.Errorf("patch HTTPRoute %s: %w", ref.Name, err)
	}
	logging.From(ctx).WithFields(logrus.Fields{"httproute": ref.Name, "weight": t.CanaryWeight}).Debug("HTTPRoute patched")
	return nil
}

// namespaceProblem is set when ro's gatewayAPI configuration names another namespace
// than ro's: Serin reads and writes routes in the Rollout's namespace only.
func namespaceProblem(ro *v1alpha1.Rollout) string {
	cfg := ro.Spec.Strategy.Canary.TrafficRouting.Plugins[v1alpha1.GatewayAPIPlugin]
	if cfg.Namespace != "" && cfg.Namespace != ro.Namespace {
		return fmt.Sprintf("spec.strategy.canary.trafficRouting.plugins.%s.namespace is %s: Serin routes only through HTTPRoutes in the Rollout's namespace (%s)", v1alpha1.GatewayAPIPlugin, cfg.Namespace, ro.Namespace)
	}
	return ""
}

// sameRoute reports whether a and b have the same rules and managed record.
func sameRoute(a, b *gwv1.HTTPRoute) bool {
	return a.Annotations[ManagedRulesAnnotation] == b.Annotations[ManagedRulesAnnotation] &&
		reflect.DeepEqual(a.Spec.Rules, b.Spec.Rules)
}

func contains(names []string, name string) bool {
	for _, n := range names {
		if n == name {
			return true
		}
	}
	return false
}
