package nginx

import (
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/serin-dev/serin/pkg/apis/rollouts/v1alpha1"
)

const (
	ns        = "shop"
	stableSvc = "web-stable"
	canarySvc = "web-canary"
)

type rolloutOpt func(*v1alpha1.Rollout)

// rollout is a canary Rollout routed by nginx through stable Ingress "web".
func rollout(name string, opts ...rolloutOpt) *v1alpha1.Rollout {
	ro := &v1alpha1.Rollout{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns, UID: types.UID(name + "-uid")},
		Spec: v1alpha1.RolloutSpec{Strategy: v1alpha1.RolloutStrategy{Canary: &v1alpha1.CanaryStrategy{
			StableService: stableSvc,
			CanaryService: canarySvc,
			TrafficRouting: &v1alpha1.RolloutTrafficRouting{
				Nginx: &v1alpha1.NginxTrafficRouting{StableIngress: "web"},
			},
		}}},
	}
	for _, o := range opts {
		o(ro)
	}
	return ro
}

func nginxOf(ro *v1alpha1.Rollout) *v1alpha1.NginxTrafficRouting {
	return ro.Spec.Strategy.Canary.TrafficRouting.Nginx
}

func withPrefix(p string) rolloutOpt {
	return func(ro *v1alpha1.Rollout) { nginxOf(ro).AnnotationPrefix = p }
}

func withAdditional(a map[string]string) rolloutOpt {
	return func(ro *v1alpha1.Rollout) { nginxOf(ro).AdditionalIngressAnnotations = a }
}

func withCanaryAnnotations(a map[string]string) rolloutOpt {
	return func(ro *v1alpha1.Rollout) { nginxOf(ro).CanaryIngressAnnotations = a }
}

func withMaxWeight(w int32) rolloutOpt {
	return func(ro *v1alpha1.Rollout) { ro.Spec.Strategy.Canary.TrafficRouting.MaxTrafficWeight = &w }
}

func withStableIngresses(names ...string) rolloutOpt {
	return func(ro *v1alpha1.Rollout) {
		nginxOf(ro).StableIngress = ""
		nginxOf(ro).StableIngresses = names
	}
}

type ingressOpt func(*networkingv1.Ingress)

// ingress is an Ingress with one rule for host <name>.example.com, path "/" to the
// stable Service on port 80, and class "nginx".
func ingress(name string, opts ...ingressOpt) *networkingv1.Ingress {
	class := "nginx"
	ing := &networkingv1.Ingress{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns, ResourceVersion: "1"},
		Spec: networkingv1.IngressSpec{
			IngressClassName: &class,
			Rules:            []networkingv1.IngressRule{rule(name+".example.com", path("/", stableSvc, 80))},
		},
	}
	for _, o := range opts {
		o(ing)
	}
	return ing
}

func withRules(rules ...networkingv1.IngressRule) ingressOpt {
	return func(ing *networkingv1.Ingress) { ing.Spec.Rules = rules }
}

func withTLS(secret string, hosts ...string) ingressOpt {
	return func(ing *networkingv1.Ingress) {
		ing.Spec.TLS = append(ing.Spec.TLS, networkingv1.IngressTLS{Hosts: hosts, SecretName: secret})
	}
}

// withLegacyClass drops spec.ingressClassName for the kubernetes.io/ingress.class
// annotation.
func withLegacyClass(class string) ingressOpt {
	return func(ing *networkingv1.Ingress) {
		ing.Spec.IngressClassName = nil
		withAnnotation(LegacyClassAnnotation, class)(ing)
	}
}

func withAnnotation(k, v string) ingressOpt {
	return func(ing *networkingv1.Ingress) {
		if ing.Annotations == nil {
			ing.Annotations = map[string]string{}
		}
		ing.Annotations[k] = v
	}
}

func rule(host string, paths ...networkingv1.HTTPIngressPath) networkingv1.IngressRule {
	return networkingv1.IngressRule{
		Host:             host,
		IngressRuleValue: networkingv1.IngressRuleValue{HTTP: &networkingv1.HTTPIngressRuleValue{Paths: paths}},
	}
}

func path(p, svc string, port int32) networkingv1.HTTPIngressPath {
	pt := networkingv1.PathTypePrefix
	return networkingv1.HTTPIngressPath{
		Path:     p,
		PathType: &pt,
		Backend: networkingv1.IngressBackend{Service: &networkingv1.IngressServiceBackend{
			Name: svc,
			Port: networkingv1.ServiceBackendPort{Number: port},
		}},
	}
}

func namedPortPath(p, svc, port string) networkingv1.HTTPIngressPath {
	hp := path(p, svc, 0)
	hp.Backend.Service.Port = networkingv1.ServiceBackendPort{Name: port}
	return hp
}

func headerRoute(name, header string, value v1alpha1.StringMatch) v1alpha1.SetHeaderRoute {
	return v1alpha1.SetHeaderRoute{Name: name, Match: []v1alpha1.HeaderRoutingMatch{{HeaderName: header, HeaderValue: &value}}}
}

func cookieRoute(name, cookie string) v1alpha1.SetHeaderRoute {
	return v1alpha1.SetHeaderRoute{Name: name, Match: []v1alpha1.HeaderRoutingMatch{{CookieName: cookie}}}
}
