package gatewayapi

import (
	"encoding/json"
	"fmt"
	"hash/fnv"
	"regexp"
	"slices"
	"strings"

	gwv1 "sigs.k8s.io/gateway-api/apis/v1"

	"github.com/serin-dev/serin/pkg/apis/rollouts/v1alpha1"
	"github.com/serin-dev/serin/pkg/plan"
	"github.com/serin-dev/serin/pkg/trafficrouting/spec"
)

const (
	// ManagedRulesAnnotation records, on each HTTPRoute, the rules Serin added to it and
	// the header routes they apply, by Rollout name: a JSON object
	// {"<rollout>": {"rules": [rule names], "headerRoutes": [setHeaderRoute...]}}. A rule
	// is Serin's only when its name is recorded here, so a restarted controller removes
	// exactly the rules it added, and never one it did not.
	ManagedRulesAnnotation = "serin.dev/managed-rules"

	// DefaultMaxWeight is the total weight when trafficRouting.maxTrafficWeight is unset.
	DefaultMaxWeight = 100

	// ruleNamePrefix starts the name of every rule Serin adds.
	ruleNamePrefix = "serin-"
)

// record is what ManagedRulesAnnotation holds for one Rollout.
type record struct {
	Rules        []string                  `json:"rules,omitempty"`
	HeaderRoutes []v1alpha1.SetHeaderRoute `json:"headerRoutes,omitempty"`
}

// readRecords parses the route's ManagedRulesAnnotation; ok is false when it is present
// and does not parse (then nothing in it can be trusted).
func readRecords(route *gwv1.HTTPRoute) (recs map[string]record, ok bool) {
	raw, present := route.Annotations[ManagedRulesAnnotation]
	if !present {
		return map[string]record{}, true
	}
	if err := json.Unmarshal([]byte(raw), &recs); err != nil {
		return map[string]record{}, false
	}
	if recs == nil {
		recs = map[string]record{}
	}
	return recs, true
}

// Desired renders route as Serin wants it for ro and the split t: in each rule that
// routes to the stable Service (but the rules Serin added), the stable Service's
// backends weigh total-weight and the canary Service's weight, a canary backend added
// beside the stable one where the rule has none; when headerRoutes, one rule per header
// route and such rule, before all others, that sends requests matching the rule and the
// route's headers to the canary Service only; and ro's record in ManagedRulesAnnotation.
// Every other field, rule and backend is kept as it is. It is pure.
func Desired(ro *v1alpha1.Rollout, route *gwv1.HTTPRoute, headerRoutes bool, t plan.SetTraffic) (*gwv1.HTTPRoute, error) {
	c := ro.Spec.Strategy.Canary
	if c == nil || c.TrafficRouting == nil || c.StableService == "" || c.CanaryService == "" {
		return nil, fmt.Errorf("rollout %s: gatewayAPI traffic routing needs spec.strategy.canary.stableService, canaryService and trafficRouting", ro.Name)
	}
	if route.Namespace != "" && route.Namespace != ro.Namespace {
		return nil, fmt.Errorf("HTTPRoute %s/%s is not in the namespace of rollout %s/%s", route.Namespace, route.Name, ro.Namespace, ro.Name)
	}
	recs, ok := readRecords(route)
	if !ok {
		return nil, fmt.Errorf("HTTPRoute %s: annotation %s does not parse: Serin cannot tell its rules from others; fix or remove it", route.Name, ManagedRulesAnnotation)
	}
	mine := recs[ro.Name].Rules
	out := route.DeepCopy()
	var kept []gwv1.HTTPRouteRule
	for _, r := range out.Spec.Rules {
		if !slices.Contains(mine, ruleName(r)) {
			kept = append(kept, r)
		}
	}
	total := maxWeight(ro)
	var stableRules []int
	for i := range kept {
		if setWeights(&kept[i], route.Namespace, c.StableService, c.CanaryService, total-t.CanaryWeight, t.CanaryWeight) {
			stableRules = append(stableRules, i)
		}
	}
	if len(stableRules) == 0 {
		return nil, fmt.Errorf("HTTPRoute %s has no rule with a backend to the stable Service %s: there is nothing to split", route.Name, c.StableService)
	}
	var added []gwv1.HTTPRouteRule
	if headerRoutes {
		for _, hr := range t.HeaderRoutes {
			if len(hr.Match) == 0 {
				continue // a route without a match is one being removed
			}
			for n, i := range stableRules {
				added = append(added, headerRule(ro.Name, hr, n, kept[i], route.Namespace, c.StableService, c.CanaryService))
			}
		}
	}
	for _, r := range added {
		if slices.ContainsFunc(kept, func(k gwv1.HTTPRouteRule) bool { return ruleName(k) == ruleName(r) }) {
			return nil, fmt.Errorf("HTTPRoute %s has a rule named %s that Serin did not add: Serin never takes it over", route.Name, ruleName(r))
		}
	}
	out.Spec.Rules = append(added, kept...)
	rec := record{HeaderRoutes: t.HeaderRoutes}
	for _, r := range added {
		rec.Rules = append(rec.Rules, ruleName(r))
	}
	if len(rec.Rules) == 0 && len(rec.HeaderRoutes) == 0 {
		delete(recs, ro.Name)
	} else {
		recs[ro.Name] = rec
	}
	setRecords(out, recs)
	return out, nil
}

// setRecords writes recs into route's annotation, removing it when empty.
func setRecords(route *gwv1.HTTPRoute, recs map[string]record) {
	if len(recs) == 0 {
		delete(route.Annotations, ManagedRulesAnnotation)
		if len(route.Annotations) == 0 {
			route.Annotations = nil
		}
		return
	}
	raw, _ := json.Marshal(recs) // plain data: cannot fail
	if route.Annotations == nil {
		route.Annotations = map[string]string{}
	}
	route.Annotations[ManagedRulesAnnotation] = string(raw)
}

// setWeights sets, in rule, the stable Service's backends to stable and the canary
// Service's to canary, adding a canary backend after the first stable one when the rule
// has none. It reports whether the rule routes to the stable Service (and was changed).
func setWeights(rule *gwv1.HTTPRouteRule, namespace, stableSvc, canarySvc string, stable, canary int32) bool {
	first, hasCanary := -1, false
	for j := range rule.BackendRefs {
		ref := &rule.BackendRefs[j]
		switch {
		case isService(ref.BackendObjectReference, namespace, stableSvc):
			ref.Weight = new(stable)
			if first < 0 {
				first = j
			}
		case isService(ref.BackendObjectReference, namespace, canarySvc):
			ref.Weight = new(canary)
			hasCanary = true
		}
	}
	if first < 0 {
		return false
	}
	if !hasCanary {
		rule.BackendRefs = append(rule.BackendRefs, canaryRef(rule.BackendRefs[first], canarySvc, canary))
	}
	return true
}

// canaryRef is stable turned to the canary Service, with weight.
func canaryRef(stable gwv1.HTTPBackendRef, canarySvc string, weight int32) gwv1.HTTPBackendRef {
	ref := *stable.DeepCopy()
	ref.Name = gwv1.ObjectName(canarySvc)
	ref.Weight = new(weight)
	return ref
}

// isService reports whether ref is the Service name in namespace (a route's
// backendRefs default to core Services in the route's namespace).
func isService(ref gwv1.BackendObjectReference, namespace, name string) bool {
	if string(ref.Name) != name {
		return false
	}
	if ref.Group != nil && *ref.Group != "" {
		return false
	}
	if ref.Kind != nil && *ref.Kind != "Service" {
		return false
	}
	return ref.Namespace == nil || namespace == "" || string(*ref.Namespace) == namespace
}

// headerRule is the rule of header route hr for the n-th rule to the stable Service:
// stable's matches (or one match of every request when it has none), each with hr's
// headers added, and stable's other fields, routing to the canary Service only.
func headerRule(rollout string, hr v1alpha1.SetHeaderRoute, n int, stable gwv1.HTTPRouteRule, namespace, stableSvc, canarySvc string) gwv1.HTTPRouteRule {
	rule := *stable.DeepCopy()
	rule.Name = new(gwv1.SectionName(RuleName(rollout, hr.Name, n)))
	matches := rule.Matches
	if len(matches) == 0 {
		matches = []gwv1.HTTPRouteMatch{{}}
	}
	for i := range matches {
		for _, m := range hr.Match {
			matches[i].Headers = append(matches[i].Headers, headerMatch(m))
		}
	}
	rule.Matches = matches
	rule.BackendRefs = nil
	for _, ref := range stable.BackendRefs {
		if isService(ref.BackendObjectReference, namespace, stableSvc) {
			rule.BackendRefs = []gwv1.HTTPBackendRef{canaryRef(ref, canarySvc, 1)}
			break
		}
	}
	return rule
}

// headerMatch is m as a Gateway API header match: an exact value as Exact, a regex or a
// prefix (as "^<prefix, quoted>.*") as RegularExpression.
func headerMatch(m v1alpha1.HeaderRoutingMatch) gwv1.HTTPHeaderMatch {
	out := gwv1.HTTPHeaderMatch{Name: gwv1.HTTPHeaderName(m.HeaderName)}
	v := m.HeaderValue
	switch {
	case v == nil:
		out.Type = new(gwv1.HeaderMatchRegularExpression)
		out.Value = ".*"
	case v.Exact != "":
		out.Type = new(gwv1.HeaderMatchExact)
		out.Value = v.Exact
	case v.Regex != "":
		out.Type = new(gwv1.HeaderMatchRegularExpression)
		out.Value = v.Regex
	default:
		out.Type = new(gwv1.HeaderMatchRegularExpression)
		out.Value = "^" + regexp.QuoteMeta(v.Prefix) + ".*"
	}
	return out
}

// sectionName keeps what a rule name may hold: lower-case letters, digits and "-".
var notSectionName = regexp.MustCompile(`[^a-z0-9-]+`)

// RuleName is the name of the rule Serin adds for Rollout rollout's header route route,
// for the n-th rule to the stable Service: "serin-<rollout>-<route>-<hash>-<n>", the
// names lower-cased with what a rule name cannot hold turned to "-" and cut to keep the
// name within 63 characters; the 8 hex digits of an FNV-32a hash of the Rollout and
// route names keep distinct pairs apart.
func RuleName(rollout, route string, n int) string {
	h := fnv.New32a()
	_, _ = h.Write([]byte(rollout + "\x00" + route))
	base := notSectionName.ReplaceAllString(strings.ToLower(rollout+"-"+route), "-")
	suffix := fmt.Sprintf("-%08x-%d", h.Sum32(), n)
	if limit := 63 - len(ruleNamePrefix) - len(suffix); len(base) > limit {
		base = base[:limit]
	}
	return ruleNamePrefix + strings.Trim(base, "-") + suffix
}

func ruleName(r gwv1.HTTPRouteRule) string {
	if r.Name == nil {
		return ""
	}
	return string(*r.Name)
}

// maxWeight is ro's total weight: trafficRouting.maxTrafficWeight or 100.
func maxWeight(ro *v1alpha1.Rollout) int32 {
	if tr := ro.Spec.Strategy.Canary.TrafficRouting; tr != nil && tr.MaxTrafficWeight != nil {
		return *tr.MaxTrafficWeight
	}
	return DefaultMaxWeight
}

// routes are the HTTPRoutes ro's trafficRouting names (spec.GatewayAPIRoutes).
func routes(ro *v1alpha1.Rollout) []v1alpha1.GatewayAPIRoute {
	c := ro.Spec.Strategy.Canary
	if c == nil {
		return nil
	}
	return spec.GatewayAPIRoutes(c.TrafficRouting)
}
