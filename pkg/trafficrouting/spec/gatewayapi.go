package spec

import (
	"fmt"
	"slices"
	"strings"

	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/serin-dev/serin/pkg/apis/rollouts/v1alpha1"
)

// GatewayAPIName is the name of the Gateway API router (pkg/trafficrouting/gatewayapi).
const GatewayAPIName = "gatewayAPI"

// The Gateway API router's messages; those in GatewayAPI.CELMessages are also the CRD's
// CEL rules' (pkg/apis/rollouts/v1alpha1, RolloutTrafficRouting and
// GatewayAPITrafficRouting), which also name the refused keys present.
const (
	GatewayAPIOnlyPlugin   = "spec.strategy.canary.trafficRouting.plugins: only argoproj-labs/gatewayAPI is supported (Serin builds that router in and runs no plugin binaries)"
	GatewayAPINoRoute      = "spec.strategy.canary.trafficRouting.plugins.argoproj-labs/gatewayAPI must name an HTTPRoute in httpRoute or httpRoutes"
	GatewayAPINoCookie     = "Gateway API HTTPRoutes match headers, not cookies: cookieName is not supported with the gatewayAPI router"
	GatewayAPIRouteTwice   = "names the same HTTPRoute twice (httpRoute and httpRoutes together name each route once)"
	gatewayAPIRefusedValue = "not supported"
)

// GatewayAPI is the spec of the Gateway API router: Argo Rollouts' plugin configuration
// trafficRouting.plugins["argoproj-labs/gatewayAPI"] names the HTTPRoutes whose weights
// the router sets.
var GatewayAPI = Spec{
	Name:  GatewayAPIName,
	Field: "plugins." + v1alpha1.GatewayAPIPlugin,
	Selected: func(tr *v1alpha1.RolloutTrafficRouting) bool {
		_, ok := tr.Plugins[v1alpha1.GatewayAPIPlugin]
		return ok
	},
	Validate:            gatewayAPIValidate,
	ValidateHeaderRoute: gatewayAPIHeaderRoute,
	CELMessages:         append([]string{GatewayAPIOnlyPlugin, GatewayAPINoRoute}, refusedMessages()...),
}

// The reasons Serin refuses some of the plugin's keys (the README lists them too).
const (
	reasonOtherRoutes = "Serin splits HTTPRoutes only"
	reasonSelectors   = "name the HTTPRoutes in httpRoute or httpRoutes"
	reasonConfigMap   = "Serin records the rules it manages on the HTTPRoute itself"
	reasonInProgress  = "Serin does not label routes during a rollout"
)

// GatewayAPIRefused is the message refusing key of the plugin's configuration, as the
// CRD's CEL rule for it gives it.
func GatewayAPIRefused(key string) string {
	for _, r := range gatewayAPIRefusedKeys(v1alpha1.GatewayAPITrafficRouting{}) {
		if r.key == key {
			return "spec.strategy.canary.trafficRouting.plugins." + v1alpha1.GatewayAPIPlugin + "." + key + " is not supported: " + r.reason
		}
	}
	return ""
}

type refusedKey struct {
	key    string
	set    bool
	reason string
}

// gatewayAPIRefusedKeys are the plugin's keys Serin refuses, and whether cfg sets each.
func gatewayAPIRefusedKeys(cfg v1alpha1.GatewayAPITrafficRouting) []refusedKey {
	return []refusedKey{
		{"grpcRoute", cfg.GRPCRoute != "", reasonOtherRoutes},
		{"grpcRoutes", len(cfg.GRPCRoutes) > 0, reasonOtherRoutes},
		{"tcpRoute", cfg.TCPRoute != "", reasonOtherRoutes},
		{"tcpRoutes", len(cfg.TCPRoutes) > 0, reasonOtherRoutes},
		{"tlsRoute", cfg.TLSRoute != "", reasonOtherRoutes},
		{"tlsRoutes", len(cfg.TLSRoutes) > 0, reasonOtherRoutes},
		{"httpRouteSelector", cfg.HTTPRouteSelector != nil, reasonSelectors},
		{"grpcRouteSelector", cfg.GRPCRouteSelector != nil, reasonSelectors},
		{"tcpRouteSelector", cfg.TCPRouteSelector != nil, reasonSelectors},
		{"tlsRouteSelector", cfg.TLSRouteSelector != nil, reasonSelectors},
		{"configMap", cfg.ConfigMap != "", reasonConfigMap},
		{"disableInProgressLabel", cfg.DisableInProgressLabel != nil, reasonInProgress},
		{"inProgressLabelKey", cfg.InProgressLabelKey != "", reasonInProgress},
		{"inProgressLabelValue", cfg.InProgressLabelValue != "", reasonInProgress},
	}
}

func refusedMessages() []string {
	var out []string
	for _, r := range gatewayAPIRefusedKeys(v1alpha1.GatewayAPITrafficRouting{}) {
		out = append(out, GatewayAPIRefused(r.key))
	}
	return out
}

// GatewayAPIRoutes are the HTTPRoutes tr's gatewayAPI plugin names: httpRoute (which takes
// header routes, as Argo's plugin has it) then httpRoutes, each once.
func GatewayAPIRoutes(tr *v1alpha1.RolloutTrafficRouting) []v1alpha1.GatewayAPIRoute {
	if tr == nil {
		return nil
	}
	cfg, ok := tr.Plugins[v1alpha1.GatewayAPIPlugin]
	if !ok {
		return nil
	}
	var out []v1alpha1.GatewayAPIRoute
	if cfg.HTTPRoute != "" {
		out = append(out, v1alpha1.GatewayAPIRoute{Name: cfg.HTTPRoute, UseHeaderRoutes: true})
	}
	for _, r := range cfg.HTTPRoutes {
		if r.Name != "" && !slices.ContainsFunc(out, func(o v1alpha1.GatewayAPIRoute) bool { return o.Name == r.Name }) {
			out = append(out, r)
		}
	}
	return out
}

func gatewayAPIValidate(p *field.Path, tr *v1alpha1.RolloutTrafficRouting) field.ErrorList {
	var errs field.ErrorList
	for _, k := range sortedKeys(tr.Plugins) {
		if k != v1alpha1.GatewayAPIPlugin {
			errs = append(errs, field.NotSupported(p.Child("plugins").Key(k), k, []string{v1alpha1.GatewayAPIPlugin}))
		}
	}
	cfg := tr.Plugins[v1alpha1.GatewayAPIPlugin]
	cp := p.Child("plugins").Key(v1alpha1.GatewayAPIPlugin)
	if cfg.HTTPRoute == "" && len(cfg.HTTPRoutes) == 0 {
		errs = append(errs, field.Invalid(cp, objectValue, GatewayAPINoRoute))
	}
	names := map[string]bool{cfg.HTTPRoute: cfg.HTTPRoute != ""}
	for i, r := range cfg.HTTPRoutes {
		if names[r.Name] {
			errs = append(errs, field.Invalid(cp.Child("httpRoutes").Index(i).Child("name"), r.Name, GatewayAPIRouteTwice))
		}
		names[r.Name] = true
	}
	for _, r := range gatewayAPIRefusedKeys(cfg) {
		if r.set {
			errs = append(errs, field.Invalid(cp.Child(r.key), gatewayAPIRefusedValue, GatewayAPIRefused(r.key)))
		}
	}
	return errs
}

// gatewayAPIHeaderRoute: an HTTPRoute rule matches headers (exactly or by regular
// expression); it has no cookie match.
func gatewayAPIHeaderRoute(p *field.Path, hr *v1alpha1.SetHeaderRoute) field.ErrorList {
	var errs field.ErrorList
	for i, m := range hr.Match {
		if m.CookieName != "" {
			errs = append(errs, field.Invalid(p.Child("match").Index(i).Child("cookieName"), m.CookieName, GatewayAPINoCookie))
		}
	}
	return errs
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// Fields lists the fields of trafficRouting that select the routers of ss, each after
// prefix, for a message: "nginx or plugins.argoproj-labs/gatewayAPI".
func Fields(ss []Spec, prefix string) string {
	fields := make([]string, len(ss))
	for i, s := range ss {
		fields[i] = prefix + s.Field
	}
	if len(fields) < 2 {
		return strings.Join(fields, "")
	}
	return fmt.Sprintf("%s or %s", strings.Join(fields[:len(fields)-1], ", "), fields[len(fields)-1])
}
