package spec

import (
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/serin-dev/serin/pkg/apis/rollouts/v1alpha1"
)

// NginxName is the name of the ingress-nginx router (pkg/trafficrouting/nginx).
const NginxName = "nginx"

// The nginx router's messages. NginxOneStableIngress is also a CEL rule's message
// (pkg/apis/rollouts/v1alpha1, NginxTrafficRouting).
const (
	NginxOneStableIngress = "spec.strategy.canary.trafficRouting.nginx must set exactly one of stableIngress or stableIngresses"
	NginxOneHeader        = "nginx routes on one header per canary Ingress: setHeaderRoute.match may hold at most one headerName"
	NginxOneCookie        = "nginx routes on one cookie per canary Ingress: setHeaderRoute.match may hold at most one cookieName"
)

// Nginx is the spec of the ingress-nginx router: trafficRouting.nginx names the stable
// Ingress(es), and the router writes one canary Ingress per stable Ingress.
var Nginx = Spec{
	Name:     NginxName,
	Field:    NginxName,
	Selected: func(tr *v1alpha1.RolloutTrafficRouting) bool { return tr.Nginx != nil },
	Validate: func(p *field.Path, tr *v1alpha1.RolloutTrafficRouting) field.ErrorList {
		if n := tr.Nginx; (n.StableIngress != "") == (len(n.StableIngresses) > 0) {
			return field.ErrorList{field.Invalid(p.Child(NginxName), objectValue, NginxOneStableIngress)}
		}
		return nil
	},
	ValidateHeaderRoute: nginxHeaderRoute,
	CELMessages:         []string{NginxOneStableIngress},
}

// nginxHeaderRoute: a canary Ingress carries one canary-by-header and one canary-by-cookie
// annotation, so a setHeaderRoute step may match on one header and one cookie at most.
// Matches that set both or neither of headerName and cookieName are left to the general
// rules.
func nginxHeaderRoute(p *field.Path, hr *v1alpha1.SetHeaderRoute) field.ErrorList {
	headers, cookies := 0, 0
	for _, m := range hr.Match {
		switch {
		case m.HeaderName != "" && m.CookieName == "":
			headers++
		case m.CookieName != "" && m.HeaderName == "":
			cookies++
		}
	}
	var errs field.ErrorList
	if headers > 1 {
		errs = append(errs, field.Invalid(p.Child("match"), headers, NginxOneHeader))
	}
	if cookies > 1 {
		errs = append(errs, field.Invalid(p.Child("match"), cookies, NginxOneCookie))
	}
	return errs
}
