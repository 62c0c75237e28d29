//go:build e2e

package canary

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/watch"

	"github.com/serin-dev/serin/pkg/apis/rollouts/v1alpha1"
	"github.com/serin-dev/serin/test/e2e/framework"
)

const (
	hashLabel    = v1alpha1.DefaultRolloutUniqueLabelKey
	nginxPrefix  = "nginx.ingress.kubernetes.io"
	weightKey    = nginxPrefix + "/canary-weight"
	canaryKey    = nginxPrefix + "/canary"
	stableSvc    = "web-stable"
	canarySvc    = "web-canary"
	stableIngKey = "web"
)

// app is the YAML of a Rollout "web" with nginx routing: its stable and canary Services
// and the stable Ingress, with the given image, steps (YAML list items, indented 6) and
// extra canary-strategy fields (indented 6).
func app(image, steps, extra string) string {
	return framework.NginxCanaryApp(image, 4, extra, steps)
}

// rollout is the YAML of Rollout "web" with 4 replicas; strategy holds canary fields
// (indented 6).
func rollout(image, steps, strategy string) string {
	return framework.RolloutWeb(image, 4, "    canary:\n"+strategy+"      steps:\n"+steps)
}

// setImage, promote and waitRollout act on Rollout "web" (see framework.Env).
func setImage(e *framework.Env, image string)    { e.T.Helper(); e.SetImage("web", image) }
func statusPatch(e *framework.Env, patch string) { e.T.Helper(); e.PatchStatus("web", patch) }
func promote(e *framework.Env)                   { statusPatch(e, `{"status":{"pauseConditions":null}}`) }
func waitRollout(e *framework.Env, what string, cond func(*v1alpha1.Rollout) bool) *v1alpha1.Rollout {
	e.T.Helper()
	return e.WaitRollout("web", what, cond)
}

// atPause waits for the rollout to be Paused at step idx.
func atPause(e *framework.Env, idx int32) *v1alpha1.Rollout {
	e.T.Helper()
	return waitRollout(e, fmt.Sprintf("Paused at step %d", idx), func(ro *v1alpha1.Rollout) bool {
		return ro.Status.Phase == v1alpha1.RolloutPhasePaused && ro.Status.CurrentStepIndex != nil && *ro.Status.CurrentStepIndex == idx
	})
}

func healthy(e *framework.Env) *v1alpha1.Rollout {
	e.T.Helper()
	return waitRollout(e, "Healthy", func(ro *v1alpha1.Rollout) bool { return ro.Status.Phase == v1alpha1.RolloutPhaseHealthy })
}

// replicaSets returns the Rollout's ReplicaSets by image.
func replicaSets(e *framework.Env) map[string]*appsv1.ReplicaSet {
	e.T.Helper()
	list, err := e.F.Kube.AppsV1().ReplicaSets(e.Namespace).List(e.T.Context(), metav1.ListOptions{LabelSelector: hashLabel})
	if err != nil {
		e.T.Fatal(err)
	}
	out := map[string]*appsv1.ReplicaSet{}
	for i := range list.Items {
		out[list.Items[i].Spec.Template.Spec.Containers[0].Image] = &list.Items[i]
	}
	return out
}

// waitReplicas waits until the ReplicaSet of each image wants and has that many pods
// ready (images absent from the map are not checked).
func waitReplicas(e *framework.Env, want map[string]int32) {
	e.T.Helper()
	waitReplicasOf(e, "app=web", want)
}

// waitReplicasOf is waitReplicas for the pods a label selector picks.
func waitReplicasOf(e *framework.Env, selector string, want map[string]int32) {
	e.T.Helper()
	e.Then().Pods(selector, fmt.Sprintf("ready pods per image %v", want), func(pods []corev1.Pod) bool {
		got := map[string]int32{}
		for i := range pods {
			if pods[i].DeletionTimestamp == nil && framework.IsReady(&pods[i]) {
				got[pods[i].Spec.Containers[0].Image]++
			}
		}
		for img, n := range want {
			if got[img] != n {
				return false
			}
		}
		return true
	})
	rss := replicaSets(e)
	for img, n := range want {
		if rs := rss[img]; (rs == nil && n > 0) || (rs != nil && *rs.Spec.Replicas != n) {
			e.T.Errorf("ReplicaSet of %s: want %d replicas, have %v", img, n, rs)
		}
	}
}

// selectorHash is the pod template hash a Service selects.
func selectorHash(e *framework.Env, svc string) string {
	e.T.Helper()
	s, err := e.F.Kube.CoreV1().Services(e.Namespace).Get(e.T.Context(), svc, metav1.GetOptions{})
	if err != nil {
		e.T.Fatal(err)
	}
	return s.Spec.Selector[hashLabel]
}

// hashOf is the pod template hash of the ReplicaSet running image.
func hashOf(e *framework.Env, image string) string {
	e.T.Helper()
	rs := replicaSets(e)[image]
	if rs == nil {
		e.T.Fatalf("no ReplicaSet runs %s", image)
	}
	return rs.Labels[hashLabel]
}

func ingress(e *framework.Env, name string) *networkingv1.Ingress {
	e.T.Helper()
	ing, err := e.F.Kube.NetworkingV1().Ingresses(e.Namespace).Get(e.T.Context(), name, metav1.GetOptions{})
	if err != nil {
		e.T.Fatal(err)
	}
	return ing
}

// waitCanaryWeight waits until the canary Ingress carries weight.
func waitCanaryWeight(e *framework.Env, name string, weight int) {
	e.T.Helper()
	e.Then().Object(framework.Resource("networking.k8s.io", "v1", "ingresses"), name, fmt.Sprintf("canary-weight %d", weight),
		func(o *unstructured.Unstructured) (bool, error) {
			a := o.GetAnnotations()
			return a[canaryKey] == "true" && a[weightKey] == strconv.Itoa(weight), nil
		})
}

// expectServices checks which revision each Service selects.
func expectServices(e *framework.Env, stableImage, canaryImage string) {
	e.T.Helper()
	if got, want := selectorHash(e, stableSvc), hashOf(e, stableImage); got != want {
		e.T.Errorf("%s selects %q, want %q (%s)", stableSvc, got, want, stableImage)
	}
	if got, want := selectorHash(e, canarySvc), hashOf(e, canaryImage); got != want {
		e.T.Errorf("%s selects %q, want %q (%s)", canarySvc, got, want, canaryImage)
	}
}

// weightWatch records every canary Ingress weight and every ReplicaSet change in the
// namespace, from watches on the same etcd: resourceVersions order the two streams.
// check fails the test if a weight above 0 was ever written while the ReplicaSet the
// canary Service selected had no available pod (docs/design.md invariant 1).
type weightWatch struct {
	mu     sync.Mutex
	events []recorded
	cancel context.CancelFunc
	done   sync.WaitGroup
}

type recorded struct {
	rv     int64
	kind   string // "ingress", "replicaset" or "service"
	name   string
	weight int
	hash   string // ReplicaSet: its hash; Service: the hash it selects
	avail  int32
}

func watchWeights(e *framework.Env) *weightWatch {
	ctx, cancel := context.WithCancel(context.Background())
	w := &weightWatch{cancel: cancel}
	e.T.Cleanup(func() { cancel(); w.done.Wait() }) // when check did not run
	start := func(res string, watchFn func() (watch.Interface, error), rec func(runtime.Object) (recorded, bool)) {
		wi, err := watchFn()
		if err != nil {
			e.T.Fatalf("watch %s: %v", res, err)
		}
		w.done.Add(1)
		go func() {
			defer w.done.Done()
			defer wi.Stop()
			for {
				select {
				case <-ctx.Done():
					return
				case ev, ok := <-wi.ResultChan():
					if !ok {
						return
					}
					if r, ok := rec(ev.Object); ok {
						w.mu.Lock()
						w.events = append(w.events, r)
						w.mu.Unlock()
					}
				}
			}
		}()
	}
	ns, kube := e.Namespace, e.F.Kube
	rvOf := func(m metav1.Object) int64 { n, _ := strconv.ParseInt(m.GetResourceVersion(), 10, 64); return n }
	start("ingresses", func() (watch.Interface, error) {
		return kube.NetworkingV1().Ingresses(ns).Watch(ctx, metav1.ListOptions{})
	}, func(o runtime.Object) (recorded, bool) {
		ing, ok := o.(*networkingv1.Ingress)
		if !ok || ing.Annotations[canaryKey] != "true" {
			return recorded{}, false
		}
		wt, _ := strconv.Atoi(ing.Annotations[weightKey])
		return recorded{rv: rvOf(ing), kind: "ingress", name: ing.Name, weight: wt}, true
	})
	start("replicasets", func() (watch.Interface, error) {
		return kube.AppsV1().ReplicaSets(ns).Watch(ctx, metav1.ListOptions{})
	}, func(o runtime.Object) (recorded, bool) {
		rs, ok := o.(*appsv1.ReplicaSet)
		if !ok {
			return recorded{}, false
		}
		return recorded{rv: rvOf(rs), kind: "replicaset", name: rs.Name, hash: rs.Labels[hashLabel], avail: rs.Status.AvailableReplicas}, true
	})
	start("services", func() (watch.Interface, error) {
		return kube.CoreV1().Services(ns).Watch(ctx, metav1.ListOptions{})
	}, func(o runtime.Object) (recorded, bool) {
		svc, ok := o.(*corev1.Service)
		if !ok || svc.Name != canarySvc {
			return recorded{}, false
		}
		return recorded{rv: rvOf(svc), kind: "service", name: svc.Name, hash: svc.Spec.Selector[hashLabel]}, true
	})
	return w
}

// check stops the watches and replays the events in resourceVersion order.
func (w *weightWatch) check(t *testing.T) {
	t.Helper()
	w.cancel()
	w.done.Wait()
	w.mu.Lock()
	defer w.mu.Unlock()
	events := append([]recorded(nil), w.events...)
	sortByRV(events)
	avail := map[string]int32{} // by hash
	selected := ""
	checked := 0
	var weights []string
	for _, ev := range events {
		switch ev.kind {
		case "replicaset":
			avail[ev.hash] = ev.avail
		case "service":
			selected = ev.hash
		case "ingress":
			weights = append(weights, strconv.Itoa(ev.weight))
			if ev.weight > 0 {
				checked++
				if selected == "" || avail[selected] == 0 {
					t.Errorf("canary weight %d written (rv %d) while the canary Service selected %q with %d available pods",
						ev.weight, ev.rv, selected, avail[selected])
				}
			}
		}
	}
	t.Logf("weight watch: %d events, %d non-zero weights checked; weights seen %s", len(events), checked, strings.Join(weights, " "))
}

func sortByRV(evs []recorded) {
	for i := 1; i < len(evs); i++ {
		for j := i; j > 0 && evs[j].rv < evs[j-1].rv; j-- {
			evs[j], evs[j-1] = evs[j-1], evs[j]
		}
	}
}

// serverNow is the API server's clock, to the second it stores: the creationTimestamp of
// a ConfigMap created for the purpose.
func serverNow(e *framework.Env) metav1.Time {
	e.T.Helper()
	cm, err := e.F.Kube.CoreV1().ConfigMaps(e.Namespace).Create(e.T.Context(),
		&corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{GenerateName: "clock-"}}, metav1.CreateOptions{})
	if err != nil {
		e.T.Fatal(err)
	}
	return cm.CreationTimestamp
}

// rolloutHolds watches the Rollout "web" for d and fails the test at the first change
// after which cond no longer holds: every change during d is checked.
func rolloutHolds(e *framework.Env, d time.Duration, what string, cond func(*v1alpha1.Rollout) bool) {
	e.T.Helper()
	ctx, cancel := context.WithTimeout(e.T.Context(), d)
	defer cancel()
	ri := e.F.Dynamic.Resource(framework.Rollouts).Namespace(e.Namespace)
	check := func(o *unstructured.Unstructured) {
		e.T.Helper()
		var ro v1alpha1.Rollout
		if err := runtime.DefaultUnstructuredConverter.FromUnstructured(o.Object, &ro); err != nil {
			e.T.Fatal(err)
		}
		if !cond(&ro) {
			e.T.Fatalf("%s stopped holding (resourceVersion %s): phase %s, step %v, status %+v",
				what, ro.ResourceVersion, ro.Status.Phase, ro.Status.CurrentStepIndex, ro.Status)
		}
	}
	o, err := ri.Get(ctx, "web", metav1.GetOptions{})
	if err != nil {
		e.T.Fatal(err)
	}
	check(o)
	wi, err := ri.Watch(ctx, metav1.ListOptions{FieldSelector: "metadata.name=web", ResourceVersion: o.GetResourceVersion()})
	if err != nil {
		e.T.Fatal(err)
	}
	defer wi.Stop()
	for {
		select {
		case <-ctx.Done():
			if e.T.Context().Err() != nil {
				e.T.Fatalf("test ended while checking that %s", what)
			}
			e.T.Logf("%s, throughout %s", what, d)
			return
		case ev, ok := <-wi.ResultChan():
			if !ok {
				if ctx.Err() == nil {
					e.T.Fatalf("the watch ended early while checking that %s", what)
				}
				continue
			}
			u, isObj := ev.Object.(*unstructured.Unstructured)
			if ev.Type == watch.Error || !isObj {
				e.T.Fatalf("watching whether %s: %v", what, ev.Object)
			}
			if ev.Type != watch.Deleted {
				check(u)
			} else {
				e.T.Fatalf("the Rollout was deleted while checking that %s", what)
			}
		}
	}
}

// recorder records every change to the objects of a resource in the test namespace that
// a label or field selector picks, from a list and a watch resuming at the list's
// resourceVersion: nothing is missed, and the changes come in the order etcd made them.
type recorder struct {
	mu      sync.Mutex
	initial []unstructured.Unstructured
	events  []watch.Event
	arrived []time.Time // when each event reached the test
	err     error       // the watch ended or failed before stop
	cancel  context.CancelFunc
	done    sync.WaitGroup
}

func record(e *framework.Env, gvr schema.GroupVersionResource, labels, fields string) *recorder {
	e.T.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	r := &recorder{cancel: cancel}
	e.T.Cleanup(func() { cancel(); r.done.Wait() }) // when stop did not run
	ri := e.F.Dynamic.Resource(gvr).Namespace(e.Namespace)
	list, err := ri.List(ctx, metav1.ListOptions{LabelSelector: labels, FieldSelector: fields})
	if err != nil {
		cancel()
		e.T.Fatal(err)
	}
	r.initial = list.Items
	wi, err := ri.Watch(ctx, metav1.ListOptions{LabelSelector: labels, FieldSelector: fields, ResourceVersion: list.GetResourceVersion()})
	if err != nil {
		cancel()
		e.T.Fatal(err)
	}
	r.done.Add(1)
	go func() {
		defer r.done.Done()
		defer wi.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case ev, ok := <-wi.ResultChan():
				at := time.Now()
				r.mu.Lock()
				switch {
				case !ok:
					if ctx.Err() == nil {
						r.err = fmt.Errorf("the %s watch ended before the test stopped it", gvr.Resource)
					}
				case ev.Type == watch.Error:
					r.err = fmt.Errorf("%s watch: %v", gvr.Resource, ev.Object)
				default:
					r.events = append(r.events, ev)
					r.arrived = append(r.arrived, at)
				}
				r.mu.Unlock()
				if !ok || ev.Type == watch.Error {
					return
				}
			}
		}
	}()
	return r
}

// stop ends the watch; one that ended early fails the test, its record being incomplete.
func (r *recorder) stop(t *testing.T) {
	t.Helper()
	r.cancel()
	r.done.Wait()
	if r.err != nil {
		t.Error(r.err)
	}
}

// firstAfter is the time the first change that arrived after t and whose object
// satisfies cond reached the test (deletions included as the object deleted).
func (r *recorder) firstAfter(t time.Time, cond func(*unstructured.Unstructured) bool) (time.Time, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for i, ev := range r.events {
		if o, ok := ev.Object.(*unstructured.Unstructured); ok && r.arrived[i].After(t) && cond(o) {
			return r.arrived[i], true
		}
	}
	return time.Time{}, false
}

// first is firstAfter from the start of the record.
func (r *recorder) first(cond func(*unstructured.Unstructured) bool) (time.Time, bool) {
	return r.firstAfter(time.Time{}, cond)
}

// replay calls visit with the recorded objects by name after the list and after each
// change (once stopped), and returns the number of changes.
func (r *recorder) replay(visit func(objs map[string]*unstructured.Unstructured, rv string)) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	objs := map[string]*unstructured.Unstructured{}
	for i := range r.initial {
		objs[r.initial[i].GetName()] = &r.initial[i]
	}
	visit(objs, "list")
	for _, ev := range r.events {
		o, ok := ev.Object.(*unstructured.Unstructured)
		if !ok {
			continue
		}
		if ev.Type == watch.Deleted {
			delete(objs, o.GetName())
		} else {
			objs[o.GetName()] = o
		}
		visit(objs, o.GetResourceVersion())
	}
	return len(r.events)
}

// leastReady replays a pod record and returns the fewest pods that were Ready, not being
// deleted and picked by keep at any point, and the resourceVersion of the change that
// left that few ("list" if none did).
func (r *recorder) leastReady(t *testing.T, keep func(*corev1.Pod) bool) (least int, rv string) {
	t.Helper()
	least = -1
	r.replay(func(objs map[string]*unstructured.Unstructured, at string) {
		n := 0
		for _, o := range objs {
			var p corev1.Pod
			if err := runtime.DefaultUnstructuredConverter.FromUnstructured(o.Object, &p); err != nil {
				t.Fatal(err)
			}
			if p.DeletionTimestamp == nil && framework.IsReady(&p) && keep(&p) {
				n++
			}
		}
		if least < 0 || n < least {
			least, rv = n, at
		}
	})
	return least, rv
}

// servedWeights replays a record of the canary Ingress, the canary Service and the pods
// together, in resourceVersion order (one etcd orders them), and fails the test if a
// weight above 0 was ever written while the pods the canary Service selected had none
// Ready and not being deleted: pod by pod, not as a ReplicaSet's status (which lags)
// says. It returns the weights seen.
func servedWeights(t *testing.T, ingresses, services, pods *recorder, canaryIngress string) []string {
	t.Helper()
	type change struct {
		rv  int64
		obj *unstructured.Unstructured
		del bool
	}
	var all []change
	for _, r := range []*recorder{pods, services, ingresses} { // initial states: the Ingress last
		r.mu.Lock()
		for i := range r.initial {
			all = append(all, change{rv: 0, obj: &r.initial[i]})
		}
		for _, ev := range r.events {
			if o, ok := ev.Object.(*unstructured.Unstructured); ok {
				rv, _ := strconv.ParseInt(o.GetResourceVersion(), 10, 64)
				all = append(all, change{rv: rv, obj: o, del: ev.Type == watch.Deleted})
			}
		}
		r.mu.Unlock()
	}
	slices.SortStableFunc(all, func(a, b change) int { return cmp.Compare(a.rv, b.rv) })

	serving := map[string]map[string]bool{} // hash → pod name → Ready and not being deleted
	state := map[string]string{}            // pod name → what it was last seen as
	selected := ""
	var weights []string
	for _, c := range all {
		switch c.obj.GetKind() {
		case "Pod":
			var p corev1.Pod
			if err := runtime.DefaultUnstructuredConverter.FromUnstructured(c.obj.Object, &p); err != nil {
				t.Fatal(err)
			}
			h := p.Labels[hashLabel]
			if serving[h] == nil {
				serving[h] = map[string]bool{}
			}
			serving[h][p.Name] = !c.del && p.DeletionTimestamp == nil && framework.IsReady(&p)
			state[p.Name] = fmt.Sprintf("%s (Ready %t, being deleted %t, gone %t, rv %d)", p.Name, framework.IsReady(&p), p.DeletionTimestamp != nil, c.del, c.rv)
		case "Service":
			if c.obj.GetName() == canarySvc {
				selected, _, _ = unstructured.NestedString(c.obj.Object, "spec", "selector", hashLabel)
			}
		case "Ingress":
			a := c.obj.GetAnnotations()
			if c.obj.GetName() != canaryIngress || a[canaryKey] != "true" {
				continue
			}
			wt, _ := strconv.Atoi(a[weightKey])
			if len(weights) == 0 || weights[len(weights)-1] != a[weightKey] {
				weights = append(weights, a[weightKey])
			}
			n := 0
			var seen []string
			for name, ok := range serving[selected] {
				if ok {
					n++
				}
				seen = append(seen, state[name])
			}
			if wt > 0 && n == 0 {
				t.Errorf("canary weight %d written (resourceVersion %d) while the canary Service selected %q, which had no pod Ready and not being deleted: %s",
					wt, c.rv, selected, strings.Join(seen, "; "))
			}
		}
	}
	return weights
}
