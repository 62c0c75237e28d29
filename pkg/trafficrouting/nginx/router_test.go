package nginx

import (
	"context"
	"reflect"
	"strings"
	"testing"

	networkingv1 "k8s.io/api/networking/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/kubernetes/fake"
	networkinglisters "k8s.io/client-go/listers/networking/v1"
	k8stesting "k8s.io/client-go/testing"
	"k8s.io/client-go/tools/cache"

	"github.com/serin-dev/serin/pkg/apis/rollouts/v1alpha1"
	"github.com/serin-dev/serin/pkg/plan"
)

// fixture is a fake cluster and a lister over it that an informer would keep; sync
// refreshes the lister from the cluster.
type fixture struct {
	t       *testing.T
	client  *fake.Clientset
	indexer cache.Indexer
	router  *Router
}

func newFixture(t *testing.T, objs ...*networkingv1.Ingress) *fixture {
	t.Helper()
	var rt []runtime.Object
	for _, o := range objs {
		rt = append(rt, o)
	}
	f := &fixture{
		t:       t,
		client:  fake.NewClientset(rt...),
		indexer: cache.NewIndexer(cache.MetaNamespaceKeyFunc, cache.Indexers{cache.NamespaceIndex: cache.MetaNamespaceIndexFunc}),
	}
	f.router = New(f.client, networkinglisters.NewIngressLister(f.indexer))
	f.sync()
	return f
}

// sync copies the cluster's Ingresses into the lister.
func (f *fixture) sync() {
	f.t.Helper()
	list, err := f.client.NetworkingV1().Ingresses(metav1.NamespaceAll).List(context.Background(), metav1.ListOptions{})
	if err != nil {
		f.t.Fatal(err)
	}
	var items []any
	for i := range list.Items {
		items = append(items, &list.Items[i])
	}
	if err := f.indexer.Replace(items, ""); err != nil {
		f.t.Fatal(err)
	}
}

// set calls SetTraffic, fails the test on error and syncs the lister.
func (f *fixture) set(ro *v1alpha1.Rollout, tr plan.SetTraffic) {
	f.t.Helper()
	if err := f.router.SetTraffic(context.Background(), ro, tr); err != nil {
		f.t.Fatalf("SetTraffic: %v", err)
	}
	f.sync()
}

func (f *fixture) get(name string) *networkingv1.Ingress {
	f.t.Helper()
	ing, err := f.client.NetworkingV1().Ingresses(ns).Get(context.Background(), name, metav1.GetOptions{})
	if err != nil {
		f.t.Fatal(err)
	}
	return ing
}

// edit changes an Ingress in the cluster as another controller or a person would.
func (f *fixture) edit(name string, change func(*networkingv1.Ingress)) {
	f.t.Helper()
	ing := f.get(name)
	change(ing)
	if _, err := f.client.NetworkingV1().Ingresses(ns).Update(context.Background(), ing, metav1.UpdateOptions{}); err != nil {
		f.t.Fatal(err)
	}
	f.sync()
}

// writes counts the create, update, patch and delete calls since the last reset.
func (f *fixture) writes() int {
	n := 0
	for _, a := range f.client.Actions() {
		switch a.GetVerb() {
		case "create", "update", "patch", "delete":
			n++
		}
	}
	return n
}

func (f *fixture) resetActions() { f.client.ClearActions() }

// wantAnnotations checks the given annotations on Ingress name; an empty want value means
// the key must be absent.
func (f *fixture) wantAnnotations(name string, want map[string]string) {
	f.t.Helper()
	got := f.get(name).Annotations
	for k, v := range want {
		gv, ok := got[k]
		switch {
		case v == "" && ok:
			f.t.Errorf("%s: annotation %s=%q should be gone", name, k, gv)
		case v != "" && gv != v:
			f.t.Errorf("%s: annotation %s=%q, want %q", name, k, gv, v)
		}
	}
}

func wantState(t *testing.T, got *plan.TrafficState, want *plan.TrafficState) {
	t.Helper()
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Observe = %+v, want %+v", got, want)
	}
}

const (
	annCanaryKey = DefaultAnnotationPrefix + "/canary"
	weightKey    = DefaultAnnotationPrefix + "/canary-weight"
	byHeaderKey  = DefaultAnnotationPrefix + "/canary-by-header"
	valueKey     = DefaultAnnotationPrefix + "/canary-by-header-value"
	patternKey   = DefaultAnnotationPrefix + "/canary-by-header-pattern"
	cookieKey    = DefaultAnnotationPrefix + "/canary-by-cookie"
)

var beta = headerRoute("beta", "X-Beta", v1alpha1.StringMatch{Exact: "yes"})

func TestSetTrafficCreates(t *testing.T) {
	ro := rollout("web")
	f := newFixture(t, ingress("web"))
	if got := f.router.Observe(ro); got != nil {
		t.Fatalf("Observe before any write = %+v, want nil", got)
	}
	f.set(ro, plan.SetTraffic{CanaryWeight: 10})

	got := f.get("web-web-canary")
	want, err := DesiredCanaryIngress(ro, ingress("web"), plan.SetTraffic{CanaryWeight: 10})
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got.Annotations, want.Annotations) || !reflect.DeepEqual(got.Labels, want.Labels) ||
		!reflect.DeepEqual(got.Spec, want.Spec) || !reflect.DeepEqual(got.OwnerReferences, want.OwnerReferences) {
		t.Errorf("created Ingress differs from the rendered one:\ngot  %+v\nwant %+v", got, want)
	}
	wantState(t, f.router.Observe(ro), &plan.TrafficState{CanaryWeight: 10})
}

func TestSetTrafficUpdatesWeight(t *testing.T) {
	ro := rollout("web")
	f := newFixture(t, ingress("web"))
	f.set(ro, plan.SetTraffic{CanaryWeight: 10})
	f.resetActions()

	f.set(ro, plan.SetTraffic{CanaryWeight: 30})
	f.wantAnnotations("web-web-canary", map[string]string{weightKey: "30", annCanaryKey: "true"})
	if n := f.writes(); n != 1 {
		t.Errorf("%d writes, want 1 update", n)
	}
	wantState(t, f.router.Observe(ro), &plan.TrafficState{CanaryWeight: 30})
}

func TestSetTrafficWritesNothingWhenEqual(t *testing.T) {
	ro := rollout("web", withStableIngresses("web", "web-internal"), withMaxWeight(1000),
		withAdditional(map[string]string{"ssl-redirect": "false"}))
	f := newFixture(t, ingress("web"), ingress("web-internal", withLegacyClass("internal")))
	tr := plan.SetTraffic{CanaryWeight: 200, HeaderRoutes: []v1alpha1.SetHeaderRoute{beta, cookieRoute("optin", "optin")}}
	f.set(ro, tr)
	f.edit("web-web-canary", func(ing *networkingv1.Ingress) {
		ing.Annotations["other.io/owner"] = "someone"
		ing.Labels["team"] = "shop"
	})
	f.resetActions()

	f.set(ro, tr)
	if n := f.writes(); n != 0 {
		t.Errorf("%d writes for a split already in place, want 0: %v", n, f.client.Actions())
	}
	wantState(t, f.router.Observe(ro), &plan.TrafficState{CanaryWeight: 200, HeaderRoutes: tr.HeaderRoutes})
}

func TestSetTrafficKeepsForeignAnnotationsAndLabels(t *testing.T) {
	ro := rollout("web")
	f := newFixture(t, ingress("web"))
	f.set(ro, plan.SetTraffic{CanaryWeight: 10})
	f.edit("web-web-canary", func(ing *networkingv1.Ingress) {
		ing.Annotations["other.io/owner"] = "someone"
		ing.Annotations[DefaultAnnotationPrefix+"/proxy-body-size"] = "8m"
		ing.Labels["team"] = "shop"
	})

	f.set(ro, plan.SetTraffic{CanaryWeight: 20, HeaderRoutes: []v1alpha1.SetHeaderRoute{beta}})
	f.wantAnnotations("web-web-canary", map[string]string{
		"other.io/owner": "someone",
		DefaultAnnotationPrefix + "/proxy-body-size": "8m",
		weightKey:   "20",
		byHeaderKey: "X-Beta",
	})
	if got := f.get("web-web-canary").Labels; got["team"] != "shop" || got[RolloutLabel] != "web" {
		t.Errorf("labels = %v, want team=shop and %s=web", got, RolloutLabel)
	}
	f.set(ro, plan.SetTraffic{CanaryWeight: 0})
	f.wantAnnotations("web-web-canary", map[string]string{
		"other.io/owner": "someone",
		DefaultAnnotationPrefix + "/proxy-body-size": "8m",
		weightKey: "0",
	})
}

func TestSetTrafficRemovesRoutesItNoLongerWants(t *testing.T) {
	tests := map[string]struct {
		before, after []v1alpha1.SetHeaderRoute
		want          map[string]string
	}{
		"all routes removed": {
			before: []v1alpha1.SetHeaderRoute{beta, cookieRoute("optin", "optin")},
			want: map[string]string{
				byHeaderKey: "", valueKey: "", cookieKey: "", HeaderRoutesAnnotation: "",
				weightKey: "10", "other.io/owner": "someone",
			},
		},
		"exact becomes regex": {
			before: []v1alpha1.SetHeaderRoute{beta},
			after:  []v1alpha1.SetHeaderRoute{headerRoute("beta", "X-Beta", v1alpha1.StringMatch{Regex: "y.*"})},
			want:   map[string]string{byHeaderKey: "X-Beta", valueKey: "", patternKey: "y.*", "other.io/owner": "someone"},
		},
		"header becomes cookie": {
			before: []v1alpha1.SetHeaderRoute{beta},
			after:  []v1alpha1.SetHeaderRoute{cookieRoute("optin", "optin")},
			want:   map[string]string{byHeaderKey: "", valueKey: "", cookieKey: "optin", "other.io/owner": "someone"},
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			ro := rollout("web")
			f := newFixture(t, ingress("web"))
			f.set(ro, plan.SetTraffic{CanaryWeight: 10, HeaderRoutes: tc.before})
			f.edit("web-web-canary", func(ing *networkingv1.Ingress) { ing.Annotations["other.io/owner"] = "someone" })

			f.set(ro, plan.SetTraffic{CanaryWeight: 10, HeaderRoutes: tc.after})
			f.wantAnnotations("web-web-canary", tc.want)
			wantState(t, f.router.Observe(ro), &plan.TrafficState{CanaryWeight: 10, HeaderRoutes: tc.after})
		})
	}
}

// Rollout annotations removed from the spec go from the Ingress; a changed prefix moves
// every canary annotation to the new prefix.
func TestSetTrafficFollowsAnnotationConfig(t *testing.T) {
	ro := rollout("web", withAdditional(map[string]string{"ssl-redirect": "false"}),
		withCanaryAnnotations(map[string]string{"example.com/team": "shop"}))
	f := newFixture(t, ingress("web"))
	f.set(ro, plan.SetTraffic{CanaryWeight: 10, HeaderRoutes: []v1alpha1.SetHeaderRoute{beta}})

	moved := rollout("web", withPrefix("custom.io"))
	f.set(moved, plan.SetTraffic{CanaryWeight: 10, HeaderRoutes: []v1alpha1.SetHeaderRoute{beta}})
	f.wantAnnotations("web-web-canary", map[string]string{
		DefaultAnnotationPrefix + "/ssl-redirect": "", "example.com/team": "",
		annCanaryKey: "", weightKey: "", byHeaderKey: "", valueKey: "",
		"custom.io/canary": "true", "custom.io/canary-weight": "10", "custom.io/canary-by-header": "X-Beta",
	})
	wantState(t, f.router.Observe(moved), &plan.TrafficState{CanaryWeight: 10, HeaderRoutes: []v1alpha1.SetHeaderRoute{beta}})
}

// Without the record of the keys it wrote, Serin still removes the canary annotations of
// its prefix it no longer wants.
func TestSetTrafficWithoutManagedRecord(t *testing.T) {
	ro := rollout("web")
	f := newFixture(t, ingress("web"))
	f.set(ro, plan.SetTraffic{CanaryWeight: 10, HeaderRoutes: []v1alpha1.SetHeaderRoute{beta}})
	f.edit("web-web-canary", func(ing *networkingv1.Ingress) {
		delete(ing.Annotations, ManagedAnnotationsAnnotation)
		ing.Annotations["other.io/owner"] = "someone"
	})

	f.set(ro, plan.SetTraffic{CanaryWeight: 10})
	f.wantAnnotations("web-web-canary", map[string]string{
		byHeaderKey: "", valueKey: "", HeaderRoutesAnnotation: "",
		ManagedAnnotationsAnnotation: annCanaryKey + "," + weightKey, "other.io/owner": "someone",
	})
}

func TestSetTrafficRefusesIngressItDoesNotOwn(t *testing.T) {
	foreignOwner := metav1.OwnerReference{APIVersion: "serin.dev/v1alpha1", Kind: "Rollout", Name: "web", UID: "an-older-web-uid", Controller: ptr(true)}
	tests := map[string]*networkingv1.Ingress{
		"no owner": ingress("web-web-canary"),
		"another rollout of the same name": ingress("web-web-canary", func(ing *networkingv1.Ingress) {
			ing.OwnerReferences = []metav1.OwnerReference{foreignOwner}
		}),
		"owned but not controlled": ingress("web-web-canary", func(ing *networkingv1.Ingress) {
			ref := *metav1.NewControllerRef(rollout("web"), v1alpha1.SchemeGroupVersion.WithKind("Rollout"))
			ref.Controller = nil
			ing.OwnerReferences = []metav1.OwnerReference{ref}
		}),
	}
	for name, existing := range tests {
		t.Run(name, func(t *testing.T) {
			ro := rollout("web")
			f := newFixture(t, ingress("web"), existing)
			before := f.get("web-web-canary")

			err := f.router.SetTraffic(context.Background(), ro, plan.SetTraffic{CanaryWeight: 10})
			if err == nil || !strings.Contains(err.Error(), "ingress web-web-canary exists and is not owned by Rollout web") {
				t.Errorf("SetTraffic error = %v, want a refusal", err)
			}
			if n := f.writes(); n != 0 {
				t.Errorf("%d writes, want 0", n)
			}
			if after := f.get("web-web-canary"); !reflect.DeepEqual(before, after) {
				t.Errorf("the Ingress changed:\nbefore %+v\nafter  %+v", before, after)
			}
			wantState(t, f.router.Observe(ro), &plan.TrafficState{
				Problem: "Ingress web-web-canary exists and is not owned by Rollout web: Serin never takes it over",
			})
		})
	}
}

func TestSetTrafficReturnsConflict(t *testing.T) {
	ro := rollout("web")
	f := newFixture(t, ingress("web"))
	f.set(ro, plan.SetTraffic{CanaryWeight: 10})
	f.client.PrependReactor("update", "ingresses", func(k8stesting.Action) (bool, runtime.Object, error) {
		return true, nil, apierrors.NewConflict(schema.GroupResource{Group: "networking.k8s.io", Resource: "ingresses"}, "web-web-canary", nil)
	})
	err := f.router.SetTraffic(context.Background(), ro, plan.SetTraffic{CanaryWeight: 20})
	if !apierrors.IsConflict(err) {
		t.Errorf("SetTraffic error = %v, want a conflict", err)
	}
}

// Every stable Ingress is tried even when one fails.
func TestSetTrafficMissingStable(t *testing.T) {
	ro := rollout("web", withStableIngresses("gone", "web"))
	f := newFixture(t, ingress("web"))
	err := f.router.SetTraffic(context.Background(), ro, plan.SetTraffic{CanaryWeight: 10})
	if !apierrors.IsNotFound(err) || !strings.Contains(err.Error(), "stable Ingress gone") {
		t.Errorf("SetTraffic error = %v, want stable Ingress gone not found", err)
	}
	f.sync()
	f.wantAnnotations("web-web-canary", map[string]string{weightKey: "10"})
}

func TestName(t *testing.T) {
	if got := New(nil, nil).Name(); got != "nginx" {
		t.Errorf("Name() = %q", got)
	}
}

func ptr[T any](v T) *T { return &v }

func TestSetTrafficWithoutStableIngress(t *testing.T) {
	f := newFixture(t, ingress("web"))
	ro := rollout("web", func(ro *v1alpha1.Rollout) { nginxOf(ro).StableIngress = "" })
	err := f.router.SetTraffic(context.Background(), ro, plan.SetTraffic{CanaryWeight: 10})
	if err == nil || !strings.Contains(err.Error(), "names no stable Ingress") {
		t.Errorf("SetTraffic error = %v, want no stable Ingress", err)
	}
	if n := f.writes(); n != 0 {
		t.Errorf("%d writes, want 0", n)
	}
}
