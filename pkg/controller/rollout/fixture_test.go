package rollout

import (
	"context"
	"fmt"
	"io"
	"testing"
	"time"

	"github.com/sirupsen/logrus"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	kubefake "k8s.io/client-go/kubernetes/fake"
	k8stesting "k8s.io/client-go/testing"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/tools/record"
	clocktesting "k8s.io/utils/clock/testing"

	"github.com/serin-dev/serin/pkg/apis/rollouts/v1alpha1"
	serinfake "github.com/serin-dev/serin/pkg/client/clientset/versioned/fake"
	"github.com/serin-dev/serin/pkg/controller"
	"github.com/serin-dev/serin/pkg/logging"
	"github.com/serin-dev/serin/pkg/metrics"
	"github.com/serin-dev/serin/pkg/plan"
	"github.com/serin-dev/serin/pkg/trafficrouting"
)

const ns = "shop"

// fixture is a controller on fake clientsets whose caches are informer indexers filled
// by hand: seed puts objects in both, refresh copies the clientsets into the caches (as
// the watches would).
type fixture struct {
	t        *testing.T
	kube     *kubefake.Clientset
	serin    *serinfake.Clientset
	inf      *Informers
	c        *Controller
	recorder *record.FakeRecorder
	clock    *clocktesting.FakeClock
	router   *fakeRouter
}

type fixtureOpt func(*fixture, *Config)

// withRealRouter uses trafficrouting.For (nginx on the fake clientset) instead of the
// fake router.
func withRealRouter() fixtureOpt {
	return func(_ *fixture, cfg *Config) { cfg.RouterFor = trafficrouting.For }
}

func newFixture(t *testing.T, objs []runtime.Object, opts ...fixtureOpt) *fixture {
	t.Helper()
	f := &fixture{
		t:        t,
		kube:     kubefake.NewClientset(),
		serin:    serinfake.NewSimpleClientset(),
		recorder: record.NewFakeRecorder(100),
		clock:    clocktesting.NewFakeClock(time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)),
		router:   &fakeRouter{},
	}
	// The fake clientset does not implement eviction: evicting deletes the pod.
	f.kube.PrependReactor("create", "pods", func(a k8stesting.Action) (bool, runtime.Object, error) {
		if a.GetSubresource() != "eviction" {
			return false, nil, nil
		}
		ev := a.(k8stesting.CreateAction).GetObject().(interface{ GetName() string })
		return true, nil, f.kube.Tracker().Delete(corev1.SchemeGroupVersion.WithResource("pods"), a.GetNamespace(), ev.GetName())
	})
	inf, err := NewInformers(f.kube, f.serin, trafficrouting.Clients{}, "")
	if err != nil {
		t.Fatal(err)
	}
	f.inf = inf
	cfg := Config{
		Kube: f.kube, Serin: f.serin, Informers: inf, Recorder: f.recorder,
		Metrics: metrics.New(), Clock: f.clock,
		RouterFor: func(ro *v1alpha1.Rollout, _ trafficrouting.Deps) (trafficrouting.Router, error) {
			if ro.Spec.Strategy.Canary == nil || ro.Spec.Strategy.Canary.TrafficRouting == nil {
				return nil, nil
			}
			return f.router, nil
		},
	}
	for _, o := range opts {
		o(f, &cfg)
	}
	c, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	// The runner registers the handlers on its queue; the tests sync by hand.
	if _, err := controller.NewRunner(c, controller.Options{SyncTimeout: SyncTimeout, Log: quietLogger()}); err != nil {
		t.Fatal(err)
	}
	f.c = c
	f.router.f = f
	for _, o := range objs {
		f.seed(o)
	}
	f.clearActions()
	return f
}

func quietLogger() *logrus.Logger {
	log := logrus.New()
	log.SetOutput(io.Discard)
	return log
}

// seed creates obj in its fake clientset and in its cache.
func (f *fixture) seed(obj runtime.Object) {
	f.t.Helper()
	var err error
	switch obj.(type) {
	case *v1alpha1.Rollout, *v1alpha1.AnalysisRun, *v1alpha1.AnalysisTemplate:
		err = f.serin.Tracker().Add(obj)
	default:
		err = f.kube.Tracker().Add(obj)
	}
	if err != nil {
		f.t.Fatal(err)
	}
	if err := f.indexerFor(obj).Add(obj); err != nil {
		f.t.Fatal(err)
	}
}

func (f *fixture) indexerFor(obj runtime.Object) cache.Indexer {
	switch obj.(type) {
	case *v1alpha1.Rollout:
		return f.inf.Rollouts.GetIndexer()
	case *appsv1.ReplicaSet:
		return f.inf.ReplicaSets.GetIndexer()
	case *corev1.Pod:
		return f.inf.Pods.GetIndexer()
	case *corev1.Service:
		return f.inf.Services.GetIndexer()
	case *networkingv1.Ingress:
		return f.inf.Router["Ingress"].GetIndexer()
	case *v1alpha1.AnalysisRun:
		return f.inf.AnalysisRuns.GetIndexer()
	case *v1alpha1.AnalysisTemplate:
		return f.inf.AnalysisTemplates.GetIndexer()
	}
	f.t.Fatalf("no cache for %T", obj)
	return nil
}

// refresh replaces every cache with what the fake clientsets hold, as the watches
// would once they delivered every event.
func (f *fixture) refresh() {
	f.t.Helper()
	ctx := context.Background()
	ros, err := f.serin.SerinV1alpha1().Rollouts("").List(ctx, metav1.ListOptions{})
	must(f.t, err)
	rss, err := f.kube.AppsV1().ReplicaSets("").List(ctx, metav1.ListOptions{})
	must(f.t, err)
	pods, err := f.kube.CoreV1().Pods("").List(ctx, metav1.ListOptions{})
	must(f.t, err)
	svcs, err := f.kube.CoreV1().Services("").List(ctx, metav1.ListOptions{})
	must(f.t, err)
	ings, err := f.kube.NetworkingV1().Ingresses("").List(ctx, metav1.ListOptions{})
	must(f.t, err)
	replace := func(idx cache.Indexer, items []any) { must(f.t, idx.Replace(items, "")) }
	replace(f.inf.Rollouts.GetIndexer(), ptrs(ros.Items))
	replace(f.inf.ReplicaSets.GetIndexer(), ptrs(rss.Items))
	replace(f.inf.Pods.GetIndexer(), ptrs(pods.Items))
	replace(f.inf.Services.GetIndexer(), ptrs(svcs.Items))
	replace(f.inf.Router["Ingress"].GetIndexer(), ptrs(ings.Items))
	runs, err := f.serin.SerinV1alpha1().AnalysisRuns("").List(ctx, metav1.ListOptions{})
	must(f.t, err)
	replace(f.inf.AnalysisRuns.GetIndexer(), ptrs(runs.Items))
	f.clearActions()
}

func ptrs[T any](items []T) []any {
	out := make([]any, len(items))
	for i := range items {
		out[i] = &items[i]
	}
	return out
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// replicaSetsUp plays the ReplicaSet controller: every ReplicaSet gets as many
// available pods as it asks for (Ready pods, and its status says so).
func (f *fixture) replicaSetsUp() {
	f.t.Helper()
	ctx := context.Background()
	rss, err := f.kube.AppsV1().ReplicaSets(ns).List(ctx, metav1.ListOptions{})
	must(f.t, err)
	pods, err := f.kube.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{})
	must(f.t, err)
	for i := range rss.Items {
		rs := &rss.Items[i]
		n := *rs.Spec.Replicas
		f.podsUp(rs, pods.Items)
		rs.Status = appsv1.ReplicaSetStatus{Replicas: n, ReadyReplicas: n, AvailableReplicas: n, ObservedGeneration: rs.Generation}
		_, err := f.kube.AppsV1().ReplicaSets(ns).UpdateStatus(ctx, rs, metav1.UpdateOptions{})
		must(f.t, err)
	}
	f.refresh()
}

// podsUp gives rs n Ready pods: it creates the missing ones and deletes the others.
func (f *fixture) podsUp(rs *appsv1.ReplicaSet, pods []corev1.Pod) {
	ctx := context.Background()
	var have int32
	names := map[string]bool{}
	for i := range pods {
		pod := &pods[i]
		names[pod.Name] = true
		if ref := metav1.GetControllerOf(pod); ref == nil || ref.Name != rs.Name || ref.UID != rs.UID {
			continue
		}
		if have++; have > *rs.Spec.Replicas {
			must(f.t, f.kube.CoreV1().Pods(ns).Delete(ctx, pod.Name, metav1.DeleteOptions{}))
		}
	}
	for i := 0; have < *rs.Spec.Replicas; i++ {
		name := fmt.Sprintf("%s-%d", rs.Name, i)
		if names[name] {
			continue
		}
		_, err := f.kube.CoreV1().Pods(ns).Create(ctx, testPod(rs, name, f0()), metav1.CreateOptions{})
		must(f.t, err)
		have++
	}
}

func (f *fixture) clearActions() {
	f.kube.ClearActions()
	f.serin.ClearActions()
}

// sync runs one sync of the Rollout name, with a quiet logger in its context.
func (f *fixture) sync(name string) error {
	ctx := logging.Into(context.Background(), logrus.NewEntry(quietLogger()))
	return f.c.sync(ctx, cache.ObjectName{Namespace: ns, Name: name})
}

func (f *fixture) mustSync(name string) {
	f.t.Helper()
	if err := f.sync(name); err != nil {
		f.t.Fatalf("sync %s: %v", name, err)
	}
}

// writes are the mutating requests the fakes received since the last clear, as
// "verb resource[/subresource]".
func (f *fixture) writes() []string {
	var out []string
	for _, a := range append(f.kube.Actions(), f.serin.Actions()...) {
		switch a.GetVerb() {
		case "create", "update", "patch", "delete", "deletecollection":
			r := a.GetResource().Resource
			if s := a.GetSubresource(); s != "" {
				r += "/" + s
			}
			out = append(out, a.GetVerb()+" "+r)
		}
	}
	return out
}

func (f *fixture) rollout(name string) *v1alpha1.Rollout {
	f.t.Helper()
	ro, err := f.serin.SerinV1alpha1().Rollouts(ns).Get(context.Background(), name, metav1.GetOptions{})
	must(f.t, err)
	return ro
}

// setImage gives Rollout name a new template image (a new generation, as the API server
// would) and refreshes the caches.
func (f *fixture) setImage(name, image string) {
	f.t.Helper()
	cur := f.rollout(name)
	cur.Spec.Template.Spec.Containers[0].Image = image
	cur.Generation++
	_, err := f.serin.SerinV1alpha1().Rollouts(ns).Update(context.Background(), cur, metav1.UpdateOptions{})
	must(f.t, err)
	f.refresh()
}

func (f *fixture) replicaSet(name string) *appsv1.ReplicaSet {
	f.t.Helper()
	rs, err := f.kube.AppsV1().ReplicaSets(ns).Get(context.Background(), name, metav1.GetOptions{})
	must(f.t, err)
	return rs
}

func (f *fixture) service(name string) *corev1.Service {
	f.t.Helper()
	svc, err := f.kube.CoreV1().Services(ns).Get(context.Background(), name, metav1.GetOptions{})
	must(f.t, err)
	return svc
}

// events drains the recorded events, as "Type Reason".
func (f *fixture) events() []string {
	var out []string
	for {
		select {
		case e := <-f.recorder.Events:
			out = append(out, e)
		default:
			return out
		}
	}
}

// fakeRouter records each split it is asked for, with the cluster as it was at that
// moment, and applies it to its own state.
type fakeRouter struct {
	f       *fixture
	state   *plan.TrafficState
	err     error
	applied []routerCall
}

type routerCall struct {
	weight int32
	// canarySelects is the hash the canary Service selected when the router was called.
	canarySelects string
	// replicas of each ReplicaSet when the router was called.
	replicas map[string]int32
}

func (r *fakeRouter) Name() string { return "fake" }

func (r *fakeRouter) Observe(*v1alpha1.Rollout) *plan.TrafficState { return r.state }

func (r *fakeRouter) SetTraffic(ctx context.Context, ro *v1alpha1.Rollout, t plan.SetTraffic) error {
	if r.err != nil {
		return r.err
	}
	call := routerCall{weight: t.CanaryWeight, replicas: map[string]int32{}}
	if c := ro.Spec.Strategy.Canary; c != nil && c.CanaryService != "" {
		svc, err := r.f.kube.CoreV1().Services(ro.Namespace).Get(ctx, c.CanaryService, metav1.GetOptions{})
		if err == nil {
			call.canarySelects = svc.Spec.Selector[v1alpha1.DefaultRolloutUniqueLabelKey]
		}
	}
	rss, _ := r.f.kube.AppsV1().ReplicaSets(ro.Namespace).List(ctx, metav1.ListOptions{})
	for _, rs := range rss.Items {
		call.replicas[rs.Name] = *rs.Spec.Replicas
	}
	r.applied = append(r.applied, call)
	r.state = &plan.TrafficState{CanaryWeight: t.CanaryWeight, HeaderRoutes: t.HeaderRoutes}
	return nil
}

// --- builders ---------------------------------------------------------------------

type rolloutOpt func(*v1alpha1.Rollout)

func testRollout(name string, opts ...rolloutOpt) *v1alpha1.Rollout {
	replicas := int32(4)
	ro := &v1alpha1.Rollout{
		TypeMeta:   metav1.TypeMeta{APIVersion: v1alpha1.SchemeGroupVersion.String(), Kind: "Rollout"},
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns, UID: types.UID("uid-" + name), Generation: 1},
		Spec: v1alpha1.RolloutSpec{
			Replicas: &replicas,
			Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": name}},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"app": name}},
				Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: name, Image: "img:v1"}}},
			},
			Strategy: v1alpha1.RolloutStrategy{Canary: &v1alpha1.CanaryStrategy{}},
		},
	}
	for _, o := range opts {
		o(ro)
	}
	return ro
}

func withServices() rolloutOpt {
	return func(ro *v1alpha1.Rollout) {
		c := ro.Spec.Strategy.Canary
		c.StableService, c.CanaryService = ro.Name+"-stable", ro.Name+"-canary"
	}
}

func withNginx() rolloutOpt {
	return func(ro *v1alpha1.Rollout) {
		withServices()(ro)
		ro.Spec.Strategy.Canary.TrafficRouting = &v1alpha1.RolloutTrafficRouting{
			Nginx: &v1alpha1.NginxTrafficRouting{StableIngress: ro.Name}}
	}
}

func withSteps(steps ...v1alpha1.CanaryStep) rolloutOpt {
	return func(ro *v1alpha1.Rollout) { ro.Spec.Strategy.Canary.Steps = steps }
}

func withFinalizer() rolloutOpt {
	return func(ro *v1alpha1.Rollout) { ro.Finalizers = append(ro.Finalizers, plan.Finalizer) }
}

func setWeight(w int32) v1alpha1.CanaryStep { return v1alpha1.CanaryStep{SetWeight: &w} }
func pause() v1alpha1.CanaryStep            { return v1alpha1.CanaryStep{Pause: &v1alpha1.RolloutPause{}} }

func testService(name string, selector map[string]string) *corev1.Service {
	return &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns},
		Spec:       corev1.ServiceSpec{Selector: selector},
	}
}

func testIngress(name, service string) *networkingv1.Ingress {
	prefix := networkingv1.PathTypePrefix
	return &networkingv1.Ingress{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns},
		Spec: networkingv1.IngressSpec{Rules: []networkingv1.IngressRule{{
			Host: "web.example.com",
			IngressRuleValue: networkingv1.IngressRuleValue{HTTP: &networkingv1.HTTPIngressRuleValue{
				Paths: []networkingv1.HTTPIngressPath{{Path: "/", PathType: &prefix, Backend: networkingv1.IngressBackend{
					Service: &networkingv1.IngressServiceBackend{Name: service, Port: networkingv1.ServiceBackendPort{Name: "http"}},
				}}},
			}},
		}}},
	}
}

// testRS is a ReplicaSet of hash owned by owner (nil: by nobody) with replicas pods,
// all available.
func testRS(owner *v1alpha1.Rollout, name, hash string, replicas int32, annotations map[string]string) *appsv1.ReplicaSet {
	rs := &appsv1.ReplicaSet{
		ObjectMeta: metav1.ObjectMeta{
			Name: name, Namespace: ns, UID: types.UID("uid-" + name),
			Labels:      map[string]string{v1alpha1.DefaultRolloutUniqueLabelKey: hash},
			Annotations: annotations,
		},
		Spec: appsv1.ReplicaSetSpec{
			Replicas: &replicas,
			Selector: &metav1.LabelSelector{MatchLabels: map[string]string{v1alpha1.DefaultRolloutUniqueLabelKey: hash}},
			Template: corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{
				Labels: map[string]string{v1alpha1.DefaultRolloutUniqueLabelKey: hash}}},
		},
		Status: appsv1.ReplicaSetStatus{Replicas: replicas, ReadyReplicas: replicas, AvailableReplicas: replicas},
	}
	if owner != nil {
		rs.OwnerReferences = []metav1.OwnerReference{*metav1.NewControllerRef(owner, v1alpha1.SchemeGroupVersion.WithKind("Rollout"))}
	}
	return rs
}

func testPod(rs *appsv1.ReplicaSet, name string, created time.Time) *corev1.Pod {
	return &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{
			Name: name, Namespace: ns, UID: types.UID("uid-" + name),
			Labels:            map[string]string{v1alpha1.DefaultRolloutUniqueLabelKey: rs.Labels[v1alpha1.DefaultRolloutUniqueLabelKey]},
			OwnerReferences:   []metav1.OwnerReference{*metav1.NewControllerRef(rs, appsv1.SchemeGroupVersion.WithKind("ReplicaSet"))},
			CreationTimestamp: metav1.NewTime(created),
		},
		Status: corev1.PodStatus{Conditions: []corev1.PodCondition{{Type: corev1.PodReady, Status: corev1.ConditionTrue}}},
	}
}

var rolloutsResource = schema.GroupVersionResource{Group: v1alpha1.SchemeGroupVersion.Group, Version: "v1alpha1", Resource: "rollouts"}

func ptr[T any](v T) *T { return &v }

func f0() time.Time { return time.Date(2026, 5, 1, 11, 0, 0, 0, time.UTC) }
