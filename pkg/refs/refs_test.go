package refs

import (
	"reflect"
	"testing"

	"github.com/serin-dev/serin/pkg/apis/rollouts/v1alpha1"
)

func TestOf(t *testing.T) {
	at := func(name string, cluster bool) v1alpha1.AnalysisTemplateRef {
		return v1alpha1.AnalysisTemplateRef{TemplateName: name, ClusterScope: cluster}
	}
	analysis := func(refs ...v1alpha1.AnalysisTemplateRef) *v1alpha1.RolloutAnalysis {
		return &v1alpha1.RolloutAnalysis{Templates: refs}
	}
	tests := map[string]struct {
		strategy      v1alpha1.RolloutStrategy
		wantServices  []Object
		wantNames     []string
		wantTemplates []v1alpha1.AnalysisTemplateRef
	}{
		"empty strategy": {},
		"canary": {
			strategy: v1alpha1.RolloutStrategy{Canary: &v1alpha1.CanaryStrategy{
				StableService: "web-stable", CanaryService: "web-canary",
				Steps:    []v1alpha1.CanaryStep{{Analysis: analysis(at("rate", false))}, {}, {Analysis: analysis(at("rate", false), at("rate", true))}},
				Analysis: &v1alpha1.RolloutAnalysisBackground{RolloutAnalysis: *analysis(at("latency", false))},
			}},
			wantServices: []Object{{Kind: KindService, Name: "web-stable", Role: RoleStable}, {Kind: KindService, Name: "web-canary", Role: RoleCanary}},
			wantNames:    []string{"web-stable", "web-canary"},
			// Each template once; a ClusterAnalysisTemplate is another template than an
			// AnalysisTemplate of the same name.
			wantTemplates: []v1alpha1.AnalysisTemplateRef{at("rate", false), at("rate", true), at("latency", false)},
		},
		"canary without Services": {
			strategy: v1alpha1.RolloutStrategy{Canary: &v1alpha1.CanaryStrategy{}},
		},
		"one Service in two roles": {
			strategy:     v1alpha1.RolloutStrategy{Canary: &v1alpha1.CanaryStrategy{StableService: "web", CanaryService: "web"}},
			wantServices: []Object{{Kind: KindService, Name: "web", Role: RoleStable}, {Kind: KindService, Name: "web", Role: RoleCanary}},
			wantNames:    []string{"web"},
		},
		"blue-green": {
			strategy: v1alpha1.RolloutStrategy{BlueGreen: &v1alpha1.BlueGreenStrategy{
				ActiveService: "web-active", PreviewService: "web-preview",
				PrePromotionAnalysis: analysis(at("smoke", false)), PostPromotionAnalysis: analysis(at("rate", true)),
			}},
			wantServices:  []Object{{Kind: KindService, Name: "web-active", Role: RoleActive}, {Kind: KindService, Name: "web-preview", Role: RolePreview}},
			wantNames:     []string{"web-active", "web-preview"},
			wantTemplates: []v1alpha1.AnalysisTemplateRef{at("smoke", false), at("rate", true)},
		},
		"blue-green without preview": {
			strategy:     v1alpha1.RolloutStrategy{BlueGreen: &v1alpha1.BlueGreenStrategy{ActiveService: "web"}},
			wantServices: []Object{{Kind: KindService, Name: "web", Role: RoleActive}},
			wantNames:    []string{"web"},
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			r := Of(&v1alpha1.Rollout{Spec: v1alpha1.RolloutSpec{Strategy: tc.strategy}})
			if !reflect.DeepEqual(r.Services, tc.wantServices) {
				t.Errorf("Services = %+v, want %+v", r.Services, tc.wantServices)
			}
			if got := r.ServiceNames(); !reflect.DeepEqual(got, tc.wantNames) {
				t.Errorf("ServiceNames = %q, want %q", got, tc.wantNames)
			}
			if !reflect.DeepEqual(r.Templates, tc.wantTemplates) {
				t.Errorf("Templates = %+v, want %+v", r.Templates, tc.wantTemplates)
			}
			if r.Router != nil {
				t.Errorf("Router = %+v: Of leaves the router's objects to trafficrouting.Refs", r.Router)
			}
		})
	}
}

func TestRouterNames(t *testing.T) {
	r := Refs{Router: []Object{
		{Kind: "Ingress", Name: "web", Role: RoleStable},
		{Kind: "Ingress", Name: "web-web-canary", Role: RoleCanary, Written: true},
		{Kind: "HTTPRoute", Name: "web", Role: RoleStable},
		{Kind: "Ingress", Name: "web", Role: RoleStable},
	}}
	if got, want := r.RouterNames("Ingress"), []string{"web", "web-web-canary"}; !reflect.DeepEqual(got, want) {
		t.Errorf("RouterNames(Ingress) = %q, want %q", got, want)
	}
	if got := r.RouterNames("Gateway"); got != nil {
		t.Errorf("RouterNames(Gateway) = %q, want none", got)
	}
}
