package nginx

import (
	"encoding/json"
	"fmt"
	"hash/fnv"
	"maps"
	"regexp"
	"slices"
	"strconv"
	"strings"

	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation"

	"github.com/serin-dev/serin/pkg/apis/rollouts/v1alpha1"
	"github.com/serin-dev/serin/pkg/plan"
)

const (
	// DefaultAnnotationPrefix is ingress-nginx's annotation prefix, used when
	// trafficRouting.nginx.annotationPrefix is empty.
	DefaultAnnotationPrefix = "nginx.ingress.kubernetes.io"
	// RolloutLabel is put on every canary Ingress; its value is the Rollout's name
	// (shortened with a hash when the name is not a valid label value).
	RolloutLabel = "serin.dev/rollout"
	// HeaderRoutesAnnotation holds the JSON of the header routes the canary Ingress
	// applies. The nginx annotations carry the matches but not the route names; Observe
	// reads the routes back from here.
	HeaderRoutesAnnotation = "serin.dev/header-routes"
	// ManagedAnnotationsAnnotation lists, comma-separated and sorted, the annotation keys
	// Serin wrote on the canary Ingress, so that a later write removes those it no longer
	// wants and keeps every key someone else added.
	ManagedAnnotationsAnnotation = "serin.dev/managed-annotations"
	// LegacyClassAnnotation is the ingress class annotation that predates
	// spec.ingressClassName; it is copied from the stable Ingress when present there.
	LegacyClassAnnotation = "kubernetes.io/ingress.class"

	// DefaultMaxWeight is the total weight when trafficRouting.maxTrafficWeight is unset
	// (and ingress-nginx's default canary-weight-total).
	DefaultMaxWeight = 100
)

// The ingress-nginx canary annotations, without their prefix.
const (
	annCanary        = "canary"
	annWeight        = "canary-weight"
	annWeightTotal   = "canary-weight-total"
	annByHeader      = "canary-by-header"
	annByHeaderValue = "canary-by-header-value"
	annByHeaderPat   = "canary-by-header-pattern"
	annByCookie      = "canary-by-cookie"
)

// serinKeys are the canary annotations only Serin decides: values for them in
// additionalIngressAnnotations or canaryIngressAnnotations are ignored.
var serinKeys = []string{annCanary, annWeight, annWeightTotal}

// headerKeys and cookieKeys are the annotations a header or a cookie match occupies.
var (
	headerKeys = []string{annByHeader, annByHeaderValue, annByHeaderPat}
	cookieKeys = []string{annByCookie}
)

// hashLen is the length of the hash suffix of a shortened name.
const hashLen = 8

// DesiredCanaryIngress renders the canary Ingress of ro for one of its stable Ingresses
// and the split t. It is pure: the same arguments give the same Ingress. See the package
// documentation for the rules.
func DesiredCanaryIngress(ro *v1alpha1.Rollout, stable *networkingv1.Ingress, t plan.SetTraffic) (*networkingv1.Ingress, error) {
	c := ro.Spec.Strategy.Canary
	if c == nil || c.TrafficRouting == nil || c.TrafficRouting.Nginx == nil {
		return nil, fmt.Errorf("rollout %s has no spec.strategy.canary.trafficRouting.nginx", ro.Name)
	}
	if c.StableService == "" || c.CanaryService == "" {
		return nil, fmt.Errorf("rollout %s: nginx traffic routing needs spec.strategy.canary.stableService and canaryService", ro.Name)
	}
	if stable.Namespace != "" && stable.Namespace != ro.Namespace {
		return nil, fmt.Errorf("stable Ingress %s/%s is not in the namespace of rollout %s/%s", stable.Namespace, stable.Name, ro.Namespace, ro.Name)
	}
	rules, err := canaryRules(stable, c.StableService, c.CanaryService)
	if err != nil {
		return nil, err
	}
	annotations, err := canaryAnnotations(c.TrafficRouting, stable, t)
	if err != nil {
		return nil, fmt.Errorf("canary Ingress for stable Ingress %s: %w", stable.Name, err)
	}
	ing := &networkingv1.Ingress{
		TypeMeta: metav1.TypeMeta{APIVersion: networkingv1.SchemeGroupVersion.String(), Kind: "Ingress"},
		ObjectMeta: metav1.ObjectMeta{
			Name:        CanaryIngressName(ro.Name, stable.Name),
			Namespace:   ro.Namespace,
			Labels:      map[string]string{RolloutLabel: rolloutLabelValue(ro.Name)},
			Annotations: annotations,
			OwnerReferences: []metav1.OwnerReference{
				*metav1.NewControllerRef(ro, v1alpha1.SchemeGroupVersion.WithKind("Rollout")),
			},
		},
		Spec: networkingv1.IngressSpec{
			IngressClassName: stable.Spec.IngressClassName,
			Rules:            rules,
		},
	}
	for _, tls := range stable.Spec.TLS {
		ing.Spec.TLS = append(ing.Spec.TLS, *tls.DeepCopy())
	}
	return ing, nil
}

// CanaryIngressName is the name of the canary Ingress of Rollout rollout for stable
// Ingress stable: "<rollout>-<stable>-canary". When that is not a valid object name (a DNS
// subdomain of at most 253 characters), the "<rollout>-<stable>" part, its dots (and any
// other character but a-z, 0-9 and "-") turned into "-", is cut to fit, followed by "-"
// and 8 hex digits of the FNV-32a hash of the full name, then "-canary": distinct pairs
// keep distinct names.
func CanaryIngressName(rollout, stable string) string {
	full := rollout + "-" + stable + "-canary"
	if len(validation.IsDNS1123Subdomain(full)) == 0 {
		return full
	}
	suffix := "-" + shortHash(full) + "-canary"
	base := sanitize(rollout+"-"+stable, validation.DNS1123SubdomainMaxLength-len(suffix))
	if base == "" {
		return shortHash(full) + "-canary"
	}
	return base + suffix
}

// rolloutLabelValue is name when it is a valid label value, else a shortened form ending
// in a hash of name.
func rolloutLabelValue(name string) string {
	if len(validation.IsValidLabelValue(name)) == 0 {
		return name
	}
	suffix := "-" + shortHash(name)
	if base := sanitize(name, validation.LabelValueMaxLength-len(suffix)); base != "" {
		return base + suffix
	}
	return shortHash(name)
}

// sanitize lower-cases s, replaces every character but [a-z0-9-] by "-", cuts it to at
// most n characters and trims "-" from both ends, so that it can start a DNS label.
func sanitize(s string, n int) string {
	b := []byte(strings.ToLower(s))
	for i, ch := range b {
		if (ch < 'a' || ch > 'z') && (ch < '0' || ch > '9') {
			b[i] = '-'
		}
	}
	if len(b) > n {
		b = b[:n]
	}
	return strings.Trim(string(b), "-")
}

func shortHash(s string) string {
	h := fnv.New32a()
	h.Write([]byte(s))
	return fmt.Sprintf("%0*x", hashLen, h.Sum32())
}

// canaryRules keeps the rules and paths of stable whose backend is the stable Service and
// points them at the canary Service, same port.
func canaryRules(stable *networkingv1.Ingress, stableSvc, canarySvc string) ([]networkingv1.IngressRule, error) {
	var rules []networkingv1.IngressRule
	for _, rule := range stable.Spec.Rules {
		if rule.HTTP == nil {
			continue
		}
		var paths []networkingv1.HTTPIngressPath
		for _, p := range rule.HTTP.Paths {
			if p.Backend.Service == nil || p.Backend.Service.Name != stableSvc {
				continue
			}
			cp := *p.DeepCopy()
			cp.Backend.Service.Name = canarySvc
			paths = append(paths, cp)
		}
		if len(paths) == 0 {
			continue
		}
		rules = append(rules, networkingv1.IngressRule{
			Host:             rule.Host,
			IngressRuleValue: networkingv1.IngressRuleValue{HTTP: &networkingv1.HTTPIngressRuleValue{Paths: paths}},
		})
	}
	if len(rules) == 0 {
		return nil, fmt.Errorf("stable Ingress %s has no path routing to the stable Service %s", stable.Name, stableSvc)
	}
	return rules, nil
}

// canaryAnnotations is every annotation Serin puts on the canary Ingress, including
// ManagedAnnotationsAnnotation listing the others.
func canaryAnnotations(tr *v1alpha1.RolloutTrafficRouting, stable *networkingv1.Ingress, t plan.SetTraffic) (map[string]string, error) {
	prefix := annotationPrefix(tr.Nginx)
	key := func(name string) string { return prefix + "/" + name }
	total := int32(DefaultMaxWeight)
	if tr.MaxTrafficWeight != nil {
		total = *tr.MaxTrafficWeight
	}
	if t.CanaryWeight < 0 || t.CanaryWeight > total {
		return nil, fmt.Errorf("canary weight %d is outside 0..%d", t.CanaryWeight, total)
	}

	out := map[string]string{}
	if class, ok := stable.Annotations[LegacyClassAnnotation]; ok {
		out[LegacyClassAnnotation] = class
	}
	for k, v := range tr.Nginx.AdditionalIngressAnnotations {
		out[key(k)] = v
	}
	maps.Copy(out, tr.Nginx.CanaryIngressAnnotations)
	for _, k := range serinKeys {
		delete(out, key(k))
	}
	out[key(annCanary)] = "true"
	out[key(annWeight)] = strconv.Itoa(int(t.CanaryWeight))
	if tr.MaxTrafficWeight != nil {
		out[key(annWeightTotal)] = strconv.Itoa(int(total))
	}

	routes, err := routeAnnotations(t.HeaderRoutes, out, key)
	if err != nil {
		return nil, err
	}
	maps.Copy(out, routes)
	if len(t.HeaderRoutes) > 0 {
		b, err := json.Marshal(t.HeaderRoutes)
		if err != nil {
			return nil, fmt.Errorf("header routes: %w", err)
		}
		out[HeaderRoutesAnnotation] = string(b)
	}
	out[ManagedAnnotationsAnnotation] = strings.Join(slices.Sorted(maps.Keys(out)), ",")
	return out, nil
}

func annotationPrefix(n *v1alpha1.NginxTrafficRouting) string {
	if n == nil || n.AnnotationPrefix == "" {
		return DefaultAnnotationPrefix
	}
	return n.AnnotationPrefix
}

// routeAnnotations renders the header and cookie matches of routes. ingress-nginx reads
// one header and one cookie per canary Ingress, so more is an error naming the routes, as
// is a match on a header (or cookie) while the user's annotations (static) route by one
// already.
func routeAnnotations(routes []v1alpha1.SetHeaderRoute, static map[string]string, key func(string) string) (map[string]string, error) {
	type match struct {
		route string
		m     v1alpha1.HeaderRoutingMatch
	}
	var headers, cookies []match
	for _, r := range routes {
		for _, m := range r.Match {
			switch {
			case m.HeaderName != "" && m.CookieName != "":
				return nil, fmt.Errorf("header route %q: a match sets both headerName and cookieName", r.Name)
			case m.HeaderName != "":
				headers = append(headers, match{r.Name, m})
			case m.CookieName != "":
				cookies = append(cookies, match{r.Name, m})
			default:
				return nil, fmt.Errorf("header route %q: a match sets neither headerName nor cookieName", r.Name)
			}
		}
	}
	routeNames := func(ms []match) string {
		var names []string
		for _, m := range ms {
			if q := strconv.Quote(m.route); !slices.Contains(names, q) {
				names = append(names, q)
			}
		}
		return strings.Join(names, ", ")
	}
	if len(headers) > 1 {
		return nil, fmt.Errorf("header routes %s match %d headers: an nginx canary Ingress matches one header (and one cookie)", routeNames(headers), len(headers))
	}
	if len(cookies) > 1 {
		return nil, fmt.Errorf("header routes %s match %d cookies: an nginx canary Ingress matches one cookie (and one header)", routeNames(cookies), len(cookies))
	}
	taken := func(keys []string) string {
		for _, k := range keys {
			if _, ok := static[key(k)]; ok {
				return key(k)
			}
		}
		return ""
	}

	out := map[string]string{}
	if len(headers) == 1 {
		h := headers[0]
		if k := taken(headerKeys); k != "" {
			return nil, fmt.Errorf("header route %q matches a header but the Rollout's ingress annotations set %s already: an nginx canary Ingress matches one header", h.route, k)
		}
		out[key(annByHeader)] = h.m.HeaderName
		v := h.m.HeaderValue
		switch {
		case v == nil:
			return nil, fmt.Errorf("header route %q: header %s has no headerValue", h.route, h.m.HeaderName)
		case v.Exact != "":
			out[key(annByHeaderValue)] = v.Exact
		case v.Regex != "":
			out[key(annByHeaderPat)] = v.Regex
		case v.Prefix != "":
			out[key(annByHeaderPat)] = "^" + regexp.QuoteMeta(v.Prefix) + ".*"
		default:
			return nil, fmt.Errorf("header route %q: headerValue of header %s sets none of exact, prefix, regex", h.route, h.m.HeaderName)
		}
	}
	if len(cookies) == 1 {
		c := cookies[0]
		if k := taken(cookieKeys); k != "" {
			return nil, fmt.Errorf("header route %q matches a cookie but the Rollout's ingress annotations set %s already: an nginx canary Ingress matches one cookie", c.route, k)
		}
		out[key(annByCookie)] = c.m.CookieName
	}
	return out, nil
}
