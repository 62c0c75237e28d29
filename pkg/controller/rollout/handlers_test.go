package rollout

import (
	"reflect"
	"slices"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/tools/cache"

	"github.com/serin-dev/serin/pkg/apis/rollouts/v1alpha1"
	"github.com/serin-dev/serin/pkg/diagnosis"
	"github.com/serin-dev/serin/pkg/replicaset"
)

// queued drains the queue into a sorted list of names.
func (f *fixture) queued() []string {
	var names []string
	for f.c.queue.Len() > 0 {
		key, _ := f.c.queue.Get()
		names = append(names, key.Name)
		f.c.queue.Done(key)
		f.c.queue.Forget(key)
	}
	slices.Sort(names)
	return names
}

func TestHandlersEnqueueTheRolloutsConcerned(t *testing.T) {
	web := testRollout("web", withNginx())
	api := testRollout("api", withServices())
	other := testRollout("other")
	f := newFixture(t, []runtime.Object{web, api, other})

	canaryIngress := testIngress("web-web-canary", "web-canary")
	canaryIngress.OwnerReferences = []metav1.OwnerReference{*metav1.NewControllerRef(web, v1alpha1.SchemeGroupVersion.WithKind("Rollout"))}
	strangerRS := testRS(nil, "web-x", "x", 1, nil)
	strangerRS.OwnerReferences = []metav1.OwnerReference{{APIVersion: v1alpha1.SchemeGroupVersion.String(), Kind: "Rollout", Name: "web", UID: "not-web", Controller: ptr(true)}}
	withRV := func(s *corev1.Service, rv string, sel map[string]string) *corev1.Service {
		s = s.DeepCopy()
		s.ResourceVersion, s.Spec.Selector = rv, sel
		return s
	}
	svc := testService("api-stable", map[string]string{"app": "api"})

	tests := map[string]struct {
		event func()
		want  []string
	}{
		"Service named as stable":  {func() { f.c.serviceChanged(svc) }, []string{"api"}},
		"Service no Rollout names": {func() { f.c.serviceChanged(testService("db", nil)) }, nil},
		"Service deleted (tombstone)": {func() {
			f.c.serviceChanged(cache.DeletedFinalStateUnknown{Key: "shop/web-canary", Obj: testService("web-canary", nil)})
		}, []string{"web"}},
		"Service update, same selector": {func() { changed(f.c.serviceUpdated)(withRV(svc, "1", nil), withRV(svc, "2", nil)) }, nil},
		"Service update, other selector": {func() {
			changed(f.c.serviceUpdated)(withRV(svc, "1", nil), withRV(svc, "2", map[string]string{"a": "b"}))
		}, []string{"api"}},
		"stable Ingress":              {func() { f.c.routerObjectChanged("Ingress")(testIngress("web", "web-stable")) }, []string{"web"}},
		"canary Ingress owned by web": {func() { f.c.routerObjectChanged("Ingress")(canaryIngress) }, []string{"web"}},
		"foreign Ingress in the way of web's canary Ingress, deleted": {func() {
			f.c.routerObjectChanged("Ingress")(cache.DeletedFinalStateUnknown{Key: "shop/web-web-canary", Obj: testIngress("web-web-canary", "x")})
		}, []string{"web"}},
		"unrelated Ingress":            {func() { f.c.routerObjectChanged("Ingress")(testIngress("web-other-canary", "x")) }, nil},
		"ReplicaSet owned by web":      {func() { f.c.enqueueOwner(testRS(web, "web-abc", "abc", 1, nil)) }, []string{"web"}},
		"ReplicaSet of a previous web": {func() { f.c.enqueueOwner(strangerRS) }, nil},
		"Rollout update, same version": {func() { changed(func(_, cur any) { f.c.enqueue(cur) })(web, web) }, nil},
		"Rollout added":                {func() { f.c.enqueue(other) }, []string{"other"}},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			f.queued()
			tc.event()
			if got := f.queued(); !slices.Equal(got, tc.want) {
				t.Errorf("enqueued %v, want %v", got, tc.want)
			}
		})
	}
}

// Only Rollout-labelled objects are cached, without managedFields; pods keep only what
// a restart needs.
func TestTransformsKeepCachesLean(t *testing.T) {
	ro := testRollout("web")
	ro.ManagedFields = []metav1.ManagedFieldsEntry{{Manager: "kubectl"}}
	ro.Annotations = map[string]string{lastApplied: "{...}", "keep": "me"}
	out, _ := stripRollout(ro)
	if r := out.(*v1alpha1.Rollout); r.ManagedFields != nil || r.Annotations[lastApplied] != "" || r.Annotations["keep"] != "me" {
		t.Errorf("stripped Rollout meta = %+v", r.ObjectMeta)
	}

	pod := testPod(testRS(ro, "web-abc", "abc", 1, nil), "web-abc-1", f0())
	pod.Spec.Containers = []corev1.Container{{Name: "web", Image: "img"}}
	pod.ManagedFields = []metav1.ManagedFieldsEntry{{Manager: "kubelet"}}
	pod.Status.ContainerStatuses = []corev1.ContainerStatus{{Name: "web"}}
	out, _ = stripOwned(pod)
	p := out.(*corev1.Pod)
	if len(p.Spec.Containers) != 0 || p.ManagedFields != nil || len(p.Status.ContainerStatuses) != 0 {
		t.Errorf("stripped pod keeps %+v", p)
	}
	if !replicaset.PodReady(p) || p.Labels[hashLabel] != "abc" || metav1.GetControllerOf(p) == nil || !p.CreationTimestamp.Equal(&pod.CreationTimestamp) {
		t.Errorf("stripped pod lost what restartAt needs: %+v", p)
	}
}

// A pod that is not Ready keeps, through the transform, every field its diagnosis reads:
// the stripped pod tells the same problem as the pod the API server sent.
func TestTransformKeepsWhatTheDiagnosisReads(t *testing.T) {
	ro := testRollout("web")
	at := metav1.NewTime(f0().Add(3 * time.Second))
	tests := map[string]corev1.PodStatus{
		"image pull": {StartTime: &at, ContainerStatuses: []corev1.ContainerStatus{{Name: "web", Image: "web:nope", ImageID: "x",
			State: corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: "ImagePullBackOff", Message: `Back-off pulling image "web:nope"`}}}}},
		"crash loop in an init container": {InitContainerStatuses: []corev1.ContainerStatus{{Name: "init", RestartCount: 4,
			State:                corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: "CrashLoopBackOff"}},
			LastTerminationState: corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{Reason: "OOMKilled", ExitCode: 137, Message: "long"}}}}},
		"unschedulable": {Conditions: []corev1.PodCondition{{Type: corev1.PodScheduled, Status: corev1.ConditionFalse,
			Reason: corev1.PodReasonUnschedulable, Message: "0/3 nodes are available", LastTransitionTime: at}}},
		"flapping": {Conditions: []corev1.PodCondition{{Type: corev1.PodReady, Status: corev1.ConditionFalse, LastTransitionTime: at}},
			ContainerStatuses: []corev1.ContainerStatus{{Name: "web", State: corev1.ContainerState{Running: &corev1.ContainerStateRunning{StartedAt: metav1.NewTime(f0())}}}}},
	}
	for name, st := range tests {
		t.Run(name, func(t *testing.T) {
			pod := testPod(testRS(ro, "web-abc", "abc", 1, nil), "web-abc-1", f0())
			pod.Status = st
			want, ok := diagnosis.Pod(pod.DeepCopy())
			if !ok {
				t.Fatalf("the test pod shows no problem")
			}
			out, _ := stripOwned(pod)
			if got, _ := diagnosis.Pod(out.(*corev1.Pod)); !reflect.DeepEqual(got, want) {
				t.Errorf("stripped pod shows %+v, want %+v", got, want)
			}
		})
	}
}

// A pod of the current revision, while that revision lacks available pods, enqueues its
// Rollout when the problem it shows changes (a restart counted, a new waiting reason),
// and not when nothing the diagnosis reads changed; a pod of a fully available revision
// does not.
func TestPodProblemChangesEnqueue(t *testing.T) {
	ro := testRollout("web")
	ro.Status.CurrentPodHash = "new"
	failing := testRS(ro, "web-new", "new", 2, nil)
	failing.Status.AvailableReplicas = 1
	fine := testRS(ro, "web-old", "old", 2, nil)
	f := newFixture(t, []runtime.Object{ro, failing, fine})
	crash := func(rs string, restarts int32, rv string) *corev1.Pod {
		pod := testPod(f.replicaSet(rs), rs+"-1", f0())
		pod.ResourceVersion = rv
		pod.Status.Conditions[0].Status = corev1.ConditionFalse
		pod.Status.ContainerStatuses = []corev1.ContainerStatus{{Name: "web", RestartCount: restarts,
			State:                corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: "CrashLoopBackOff"}},
			LastTerminationState: corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{Reason: "Error", ExitCode: 1}}}}
		return pod
	}
	tests := map[string]struct {
		old, cur *corev1.Pod
		want     []string
	}{
		"a restart counted":               {crash("web-new", 1, "1"), crash("web-new", 2, "2"), []string{"web"}},
		"the same problem, a new version": {crash("web-new", 1, "1"), crash("web-new", 1, "2"), nil},
		"a revision fully available":      {crash("web-old", 1, "1"), crash("web-old", 2, "2"), nil},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			f.queued()
			changed(f.c.podUpdated)(tc.old, tc.cur)
			if got := f.queued(); !slices.Equal(got, tc.want) {
				t.Errorf("enqueued %v, want %v", got, tc.want)
			}
		})
	}
}
