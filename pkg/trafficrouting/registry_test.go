package trafficrouting

import (
	"reflect"
	"slices"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/kubernetes/fake"
	"k8s.io/client-go/tools/cache"
	gatewayfake "sigs.k8s.io/gateway-api/pkg/client/clientset/versioned/fake"

	"github.com/serin-dev/serin/pkg/apis/rollouts/v1alpha1"
	"github.com/serin-dev/serin/pkg/plan"
	"github.com/serin-dev/serin/pkg/refs"
	"github.com/serin-dev/serin/pkg/trafficrouting/spec"
)

func TestFor(t *testing.T) {
	canary := func(tr *v1alpha1.RolloutTrafficRouting) *v1alpha1.Rollout {
		return &v1alpha1.Rollout{Spec: v1alpha1.RolloutSpec{Strategy: v1alpha1.RolloutStrategy{
			Canary: &v1alpha1.CanaryStrategy{TrafficRouting: tr},
		}}}
	}
	tests := map[string]struct {
		ro       *v1alpha1.Rollout
		wantName string // "" for no router
		wantErr  string
	}{
		"blue-green": {
			ro: &v1alpha1.Rollout{Spec: v1alpha1.RolloutSpec{Strategy: v1alpha1.RolloutStrategy{BlueGreen: &v1alpha1.BlueGreenStrategy{}}}},
		},
		"canary without trafficRouting": {ro: canary(nil)},
		"nginx": {
			ro:       canary(&v1alpha1.RolloutTrafficRouting{Nginx: &v1alpha1.NginxTrafficRouting{StableIngress: "web"}}),
			wantName: "nginx",
		},
		"trafficRouting without a router": {
			ro:      canary(&v1alpha1.RolloutTrafficRouting{MaxTrafficWeight: new(int32)}),
			wantErr: "sets no supported router (supported: gatewayAPI, nginx)",
		},
		"gatewayAPI": {
			ro:       canary(gatewayRouting("web")),
			wantName: "gatewayAPI",
		},
		"nginx and gatewayAPI": {
			ro:      canary(&v1alpha1.RolloutTrafficRouting{Nginx: &v1alpha1.NginxTrafficRouting{StableIngress: "web"}, Plugins: gatewayRouting("web").Plugins}),
			wantErr: "sets several routers (gatewayAPI, nginx)",
		},
	}
	d := OfflineDeps(nil)
	d.Clients = Clients{Kube: fake.NewClientset()}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			r, err := For(tc.ro, d)
			switch {
			case tc.wantErr != "":
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Errorf("For error = %v, want one containing %q", err, tc.wantErr)
				}
				if r != nil {
					t.Errorf("For returned a router with an error")
				}
			case err != nil:
				t.Errorf("For: %v", err)
			case tc.wantName == "" && r != nil:
				t.Errorf("For = %s router, want none", r.Name())
			case tc.wantName != "" && (r == nil || r.Name() != tc.wantName):
				t.Errorf("For = %v, want the %s router", r, tc.wantName)
			}
		})
	}
}

// Without an HTTPRoute cache (the CRD was not served when the controller started), a
// Rollout that selects the Gateway API router is told so; nginx is unaffected.
func TestForWithoutHTTPRouteCache(t *testing.T) {
	d := Deps{Clients: Clients{Kube: fake.NewClientset()}, Caches: map[string]cache.Indexer{}}
	_, err := For(gatewayRollout("web"), d)
	if want := "the gatewayAPI router reads HTTPRoutes, which the API server did not serve when the controller started: install their CRDs, then restart the controller"; err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("For error = %v, want one containing %q", err, want)
	}
	if r, err := For(nginxRollout("web"), d); err != nil || r == nil {
		t.Errorf("For(nginx) = %v, %v; want the nginx router", r, err)
	}
}

// ServedWatches leaves out the HTTPRoute watch when the API server does not serve
// HTTPRoutes, or when there is no Gateway API client.
func TestServedWatches(t *testing.T) {
	kube := fake.NewClientset()
	served, unserved, err := ServedWatches(Clients{Kube: kube})
	if err != nil {
		t.Fatal(err)
	}
	if len(served) != 1 || served[0].Kind != "Ingress" || !reflect.DeepEqual(unserved, []string{"HTTPRoute"}) {
		t.Errorf("ServedWatches without a Gateway client = %v, %v; want Ingress served, HTTPRoute not", kinds(served), unserved)
	}
	served, unserved, err = ServedWatches(Clients{Kube: kube, Gateway: gatewayfake.NewSimpleClientset()})
	if err != nil {
		t.Fatal(err)
	}
	if len(served) != 1 || !reflect.DeepEqual(unserved, []string{"HTTPRoute"}) {
		t.Errorf("ServedWatches without the CRD = %v, %v; want HTTPRoute unserved", kinds(served), unserved)
	}
	kube.Resources = []*metav1.APIResourceList{{GroupVersion: "gateway.networking.k8s.io/v1", APIResources: []metav1.APIResource{{Name: "httproutes", Kind: "HTTPRoute"}}}}
	served, unserved, err = ServedWatches(Clients{Kube: kube, Gateway: gatewayfake.NewSimpleClientset()})
	if err != nil {
		t.Fatal(err)
	}
	if len(served) != 2 || len(unserved) != 0 {
		t.Errorf("ServedWatches with the CRD = %v, %v; want both served", kinds(served), unserved)
	}
}

func kinds(ws []Watch) []string {
	var out []string
	for _, w := range ws {
		out = append(out, w.Kind)
	}
	return out
}

func gatewayRouting(routes ...string) *v1alpha1.RolloutTrafficRouting {
	cfg := v1alpha1.GatewayAPITrafficRouting{}
	for _, r := range routes {
		cfg.HTTPRoutes = append(cfg.HTTPRoutes, v1alpha1.GatewayAPIRoute{Name: r, UseHeaderRoutes: true})
	}
	return &v1alpha1.RolloutTrafficRouting{Plugins: map[string]v1alpha1.GatewayAPITrafficRouting{v1alpha1.GatewayAPIPlugin: cfg}}
}

func gatewayRollout(routes ...string) *v1alpha1.Rollout {
	ro := nginxRollout("x")
	ro.Spec.Strategy.Canary.TrafficRouting = gatewayRouting(routes...)
	return ro
}

func nginxRollout(stable ...string) *v1alpha1.Rollout {
	n := &v1alpha1.NginxTrafficRouting{StableIngresses: stable}
	if len(stable) == 1 {
		n = &v1alpha1.NginxTrafficRouting{StableIngress: stable[0]}
	}
	return &v1alpha1.Rollout{
		ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: "shop"},
		Spec: v1alpha1.RolloutSpec{Strategy: v1alpha1.RolloutStrategy{Canary: &v1alpha1.CanaryStrategy{
			StableService: "web-stable", CanaryService: "web-canary",
			TrafficRouting: &v1alpha1.RolloutTrafficRouting{Nginx: n},
		}}},
	}
}

func TestRefsAndDescribe(t *testing.T) {
	tests := map[string]struct {
		ro           *v1alpha1.Rollout
		wantRouter   []refs.Object
		wantDescribe string
	}{
		"nginx, one stable Ingress": {
			ro: nginxRollout("web"),
			wantRouter: []refs.Object{
				{Kind: "Ingress", Name: "web", Role: refs.RoleStable},
				{Kind: "Ingress", Name: "web-web-canary", Role: refs.RoleCanary, Written: true},
			},
			wantDescribe: "nginx (Ingress web)",
		},
		"nginx, two stable Ingresses": {
			ro: nginxRollout("web", "web-internal"),
			wantRouter: []refs.Object{
				{Kind: "Ingress", Name: "web", Role: refs.RoleStable},
				{Kind: "Ingress", Name: "web-web-canary", Role: refs.RoleCanary, Written: true},
				{Kind: "Ingress", Name: "web-internal", Role: refs.RoleStable},
				{Kind: "Ingress", Name: "web-web-internal-canary", Role: refs.RoleCanary, Written: true},
			},
			wantDescribe: "nginx (Ingress web, web-internal)",
		},
		"gatewayAPI, two routes": {
			ro: gatewayRollout("web", "web-internal"),
			wantRouter: []refs.Object{
				{Kind: "HTTPRoute", Name: "web", Role: refs.RoleStable},
				{Kind: "HTTPRoute", Name: "web-internal", Role: refs.RoleStable},
			},
			wantDescribe: "gatewayAPI (HTTPRoute web, web-internal)",
		},
		"no trafficRouting": {
			ro: &v1alpha1.Rollout{Spec: v1alpha1.RolloutSpec{Strategy: v1alpha1.RolloutStrategy{
				Canary: &v1alpha1.CanaryStrategy{StableService: "web-stable"}}}},
		},
		"trafficRouting without a router": {
			ro: &v1alpha1.Rollout{Spec: v1alpha1.RolloutSpec{Strategy: v1alpha1.RolloutStrategy{
				Canary: &v1alpha1.CanaryStrategy{TrafficRouting: &v1alpha1.RolloutTrafficRouting{}}}}},
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			r := Refs(tc.ro)
			if !reflect.DeepEqual(r.Router, tc.wantRouter) {
				t.Errorf("Refs(...).Router = %+v, want %+v", r.Router, tc.wantRouter)
			}
			if want := refs.Of(tc.ro); !reflect.DeepEqual(r.Services, want.Services) || !reflect.DeepEqual(r.Templates, want.Templates) {
				t.Errorf("Refs = %+v, want refs.Of's Services and Templates %+v", r, want)
			}
			if got := Describe(tc.ro); got != tc.wantDescribe {
				t.Errorf("Describe = %q, want %q", got, tc.wantDescribe)
			}
		})
	}
}

// Every kind a router refers to is watched, and read back from given objects by kind.
func TestWatchesCoverRefs(t *testing.T) {
	watched := map[string]bool{}
	for _, w := range Watches() {
		watched[w.Kind] = true
		if got := KindOf(w.Object); got != w.Kind {
			t.Errorf("KindOf(%T) = %q, want %q", w.Object, got, w.Kind)
		}
	}
	for name, e := range entries {
		if e.Spec.Name != name {
			t.Errorf("entry %q is named %q", name, e.Spec.Name)
		}
		for _, o := range slices.Concat(Refs(nginxRollout("web")).Router, Refs(gatewayRollout("web")).Router) {
			if !watched[o.Kind] {
				t.Errorf("router %s refers to a %s, a kind no router watches", name, o.Kind)
			}
		}
	}
	if got := KindOf(&corev1.Service{}); got != "" {
		t.Errorf("KindOf(Service) = %q: no router reads Services", got)
	}
}

// The registry and the specs name the same routers: every spec has an implementation
// and every entry a spec, under the spec's name.
func TestEveryRouterSpecHasAnEntry(t *testing.T) {
	specs := spec.Specs()
	if len(specs) == 0 {
		t.Fatal("no router spec")
	}
	for _, s := range specs {
		e, ok := entries[s.Name]
		if !ok {
			t.Errorf("router %s has a spec and no registry entry", s.Name)
			continue
		}
		if e.New == nil || e.Refs == nil || e.Render == nil || e.Describe == nil || e.Summarize == nil || len(e.Watches) == 0 {
			t.Errorf("router %s: entry incomplete: %+v", s.Name, e)
		}
	}
	if len(entries) != len(specs) {
		t.Errorf("%d registry entries for %d router specs", len(entries), len(specs))
	}
}

func stableIngress(name string) *networkingv1.Ingress {
	prefix := networkingv1.PathTypePrefix
	return &networkingv1.Ingress{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "shop"},
		Spec: networkingv1.IngressSpec{Rules: []networkingv1.IngressRule{{
			IngressRuleValue: networkingv1.IngressRuleValue{HTTP: &networkingv1.HTTPIngressRuleValue{
				Paths: []networkingv1.HTTPIngressPath{{Path: "/", PathType: &prefix, Backend: networkingv1.IngressBackend{
					Service: &networkingv1.IngressServiceBackend{Name: "web-stable", Port: networkingv1.ServiceBackendPort{Number: 80}},
				}}},
			}},
		}}},
	}
}

// Offline, the router renders and observes given objects as it does cached ones: what
// Render makes, ObserveObjects reads back in sync.
func TestOfflineRenderThenObserve(t *testing.T) {
	ro := nginxRollout("web")
	ro.UID = "uid-web"
	if st := ObserveObjects(ro, []runtime.Object{stableIngress("web")}); st != nil {
		t.Errorf("before any write: %+v, want nil", st)
	}
	if st := ObserveObjects(ro, nil); st == nil || !strings.Contains(st.Problem, "stable Ingress web not found") {
		t.Errorf("without the stable Ingress: %+v, want a Problem naming it", st)
	}
	split := plan.SetTraffic{CanaryWeight: 30}
	rendered := Render(ro, []runtime.Object{stableIngress("web"), &corev1.Service{}}, split)
	if len(rendered) != 1 {
		t.Fatalf("Render = %d objects, want the canary Ingress", len(rendered))
	}
	canary := rendered[0].(*networkingv1.Ingress)
	if got, want := Summarize(ro, canary), "web-web-canary canary-weight=30"; got != want {
		t.Errorf("Summarize = %q, want %q", got, want)
	}
	st := ObserveObjects(ro, []runtime.Object{stableIngress("web"), canary})
	if st == nil || st.CanaryWeight != 30 || st.OutOfSync || st.Problem != "" {
		t.Errorf("ObserveObjects(rendered) = %+v, want weight 30 in sync", st)
	}
	if got := Render(ro, nil, split); got != nil {
		t.Errorf("Render without the stable Ingress = %v, want nothing", got)
	}
	noRouter := &v1alpha1.Rollout{Spec: v1alpha1.RolloutSpec{Strategy: v1alpha1.RolloutStrategy{Canary: &v1alpha1.CanaryStrategy{}}}}
	if st := ObserveObjects(noRouter, nil); st != nil {
		t.Errorf("ObserveObjects without a router = %+v, want nil", st)
	}
}
