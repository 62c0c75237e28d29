package nginx

import (
	"context"
	"testing"

	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/serin-dev/serin/pkg/apis/rollouts/v1alpha1"
	"github.com/serin-dev/serin/pkg/plan"
)

// Observe reads back exactly the split SetTraffic applied, for every kind of route.
func TestObserveRoundTrip(t *testing.T) {
	tests := map[string]struct {
		ro *v1alpha1.Rollout
		tr plan.SetTraffic
	}{
		"weight":         {rollout("web"), plan.SetTraffic{CanaryWeight: 40}},
		"zero":           {rollout("web"), plan.SetTraffic{}},
		"custom prefix":  {rollout("web", withPrefix("custom.io")), plan.SetTraffic{CanaryWeight: 5}},
		"max weight":     {rollout("web", withMaxWeight(1000)), plan.SetTraffic{CanaryWeight: 999}},
		"header exact":   {rollout("web"), plan.SetTraffic{HeaderRoutes: []v1alpha1.SetHeaderRoute{beta}}},
		"header regex":   {rollout("web"), plan.SetTraffic{CanaryWeight: 1, HeaderRoutes: []v1alpha1.SetHeaderRoute{headerRoute("r", "X", v1alpha1.StringMatch{Regex: "a|b"})}}},
		"header prefix":  {rollout("web"), plan.SetTraffic{CanaryWeight: 1, HeaderRoutes: []v1alpha1.SetHeaderRoute{headerRoute("p", "X", v1alpha1.StringMatch{Prefix: "v2."})}}},
		"cookie":         {rollout("web"), plan.SetTraffic{CanaryWeight: 1, HeaderRoutes: []v1alpha1.SetHeaderRoute{cookieRoute("c", "optin")}}},
		"header, cookie": {rollout("web", withStableIngresses("web", "api")), plan.SetTraffic{CanaryWeight: 1, HeaderRoutes: []v1alpha1.SetHeaderRoute{cookieRoute("c", "optin"), beta}}},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			f := newFixture(t, ingress("web"), ingress("api"))
			f.set(tc.ro, tc.tr)
			wantState(t, f.router.Observe(tc.ro), &plan.TrafficState{CanaryWeight: tc.tr.CanaryWeight, HeaderRoutes: tc.tr.HeaderRoutes})
		})
	}
}

func TestObserveProblems(t *testing.T) {
	t.Run("stable Ingress missing", func(t *testing.T) {
		f := newFixture(t)
		wantState(t, f.router.Observe(rollout("web")), &plan.TrafficState{Problem: "stable Ingress web not found"})
	})
	t.Run("stable Ingress missing, canary in place", func(t *testing.T) {
		ro := rollout("web")
		f := newFixture(t, ingress("web"))
		f.set(ro, plan.SetTraffic{CanaryWeight: 30})
		if err := f.client.NetworkingV1().Ingresses(ns).Delete(context.Background(), "web", metav1.DeleteOptions{}); err != nil {
			t.Fatal(err)
		}
		f.sync()
		wantState(t, f.router.Observe(ro), &plan.TrafficState{CanaryWeight: 30, Problem: "stable Ingress web not found"})
	})
	t.Run("no path to the stable Service", func(t *testing.T) {
		f := newFixture(t, ingress("web", withRules(rule("web.example.com", path("/", "other", 80)))))
		wantState(t, f.router.Observe(rollout("web")), &plan.TrafficState{
			Problem: "stable Ingress web has no path routing to the stable Service web-stable",
		})
	})
	t.Run("two problems", func(t *testing.T) {
		f := newFixture(t, ingress("web"), ingress("web-api-canary"))
		wantState(t, f.router.Observe(rollout("web", withStableIngresses("gone", "api"))), &plan.TrafficState{
			Problem: "stable Ingress gone not found; stable Ingress api not found; " +
				"Ingress web-api-canary exists and is not owned by Rollout web: Serin never takes it over",
		})
	})
}

// When the canary Ingresses do not show one split SetTraffic would leave alone, Observe
// reports the highest weight with OutOfSync set, and one SetTraffic brings them in line.
func TestObserveOutOfSync(t *testing.T) {
	two := rollout("web", withStableIngresses("web", "api"))
	tests := map[string]struct {
		ro      *v1alpha1.Rollout
		prepare func(f *fixture)
		want    *plan.TrafficState
	}{
		"only some canary Ingresses exist": {
			ro: two,
			prepare: func(f *fixture) {
				f.set(rollout("web"), plan.SetTraffic{CanaryWeight: 30})
			},
			want: &plan.TrafficState{CanaryWeight: 30, OutOfSync: true},
		},
		"weights disagree": {
			ro: two,
			prepare: func(f *fixture) {
				f.set(two, plan.SetTraffic{CanaryWeight: 10})
				f.set(rollout("web", withStableIngresses("api")), plan.SetTraffic{CanaryWeight: 40})
			},
			want: &plan.TrafficState{CanaryWeight: 40, OutOfSync: true},
		},
		"routes disagree": {
			ro: two,
			prepare: func(f *fixture) {
				f.set(two, plan.SetTraffic{CanaryWeight: 10, HeaderRoutes: []v1alpha1.SetHeaderRoute{beta}})
				f.set(rollout("web", withStableIngresses("api")), plan.SetTraffic{CanaryWeight: 10})
			},
			want: &plan.TrafficState{CanaryWeight: 10, HeaderRoutes: []v1alpha1.SetHeaderRoute{beta}, OutOfSync: true},
		},
		"canary annotation removed by hand": {
			ro: rollout("web"),
			prepare: func(f *fixture) {
				f.set(rollout("web"), plan.SetTraffic{CanaryWeight: 10})
				f.edit("web-web-canary", func(ing *networkingv1.Ingress) { delete(ing.Annotations, annCanaryKey) })
			},
			want: &plan.TrafficState{CanaryWeight: 100, OutOfSync: true},
		},
		"weight unreadable": {
			ro: rollout("web", withMaxWeight(1000)),
			prepare: func(f *fixture) {
				f.set(rollout("web", withMaxWeight(1000)), plan.SetTraffic{CanaryWeight: 10})
				f.edit("web-web-canary", func(ing *networkingv1.Ingress) { ing.Annotations[weightKey] = "ten" })
			},
			want: &plan.TrafficState{CanaryWeight: 1000, OutOfSync: true},
		},
		"header annotation edited by hand": {
			ro: rollout("web"),
			prepare: func(f *fixture) {
				f.set(rollout("web"), plan.SetTraffic{CanaryWeight: 10, HeaderRoutes: []v1alpha1.SetHeaderRoute{beta}})
				f.edit("web-web-canary", func(ing *networkingv1.Ingress) { ing.Annotations[valueKey] = "anyone" })
			},
			want: &plan.TrafficState{CanaryWeight: 10, HeaderRoutes: []v1alpha1.SetHeaderRoute{beta}, OutOfSync: true},
		},
		"route record unreadable": {
			ro: rollout("web"),
			prepare: func(f *fixture) {
				f.set(rollout("web"), plan.SetTraffic{CanaryWeight: 10, HeaderRoutes: []v1alpha1.SetHeaderRoute{beta}})
				f.edit("web-web-canary", func(ing *networkingv1.Ingress) { ing.Annotations[HeaderRoutesAnnotation] = "{" })
			},
			want: &plan.TrafficState{CanaryWeight: 10, OutOfSync: true},
		},
		"stable Ingress gained a path": {
			ro: rollout("web"),
			prepare: func(f *fixture) {
				f.set(rollout("web"), plan.SetTraffic{CanaryWeight: 10})
				f.edit("web", func(ing *networkingv1.Ingress) {
					ing.Spec.Rules[0].HTTP.Paths = append(ing.Spec.Rules[0].HTTP.Paths, path("/v2", stableSvc, 80))
				})
			},
			want: &plan.TrafficState{CanaryWeight: 10, OutOfSync: true},
		},
		"maxTrafficWeight changed": {
			ro: rollout("web", withMaxWeight(1000)),
			prepare: func(f *fixture) {
				f.set(rollout("web"), plan.SetTraffic{CanaryWeight: 10})
			},
			want: &plan.TrafficState{CanaryWeight: 10, OutOfSync: true},
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			f := newFixture(t, ingress("web"), ingress("api"))
			tc.prepare(f)
			wantState(t, f.router.Observe(tc.ro), tc.want)

			f.set(tc.ro, plan.SetTraffic{CanaryWeight: 10})
			wantState(t, f.router.Observe(tc.ro), &plan.TrafficState{CanaryWeight: 10})
			f.resetActions()
			f.set(tc.ro, plan.SetTraffic{CanaryWeight: 10})
			if n := f.writes(); n != 0 {
				t.Errorf("%d writes after the split is in line, want 0", n)
			}
		})
	}
}
