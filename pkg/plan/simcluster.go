package plan

import (
	"fmt"
	"maps"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/serin-dev/serin/pkg/apis/rollouts/v1alpha1"
)

// SimCluster is an in-memory cluster that carries out plans: it applies each Action as
// the API server, the ReplicaSet controller, the AnalysisRun controller and a traffic
// router would, and builds the next Input from what it holds. It decides nothing. The
// plan's tests drive Next over it (checking the safety invariants after every write),
// and so does the preview (pkg/preview); it is here, beside Next, because the plan's own
// tests must use it and may import nothing that imports pkg/plan.
//
// Pods come up when PodsUp is called, all Ready but those of the images in notReady.
type SimCluster struct {
	ro               *v1alpha1.Rollout
	rss              []*appsv1.ReplicaSet // in creation order
	svcs             map[string]*corev1.Service
	traffic          *TrafficState
	runs             []*v1alpha1.AnalysisRun // in creation order
	templates        map[string]*v1alpha1.AnalysisTemplate
	clusterTemplates map[string]*v1alpha1.ClusterAnalysisTemplate
	podsOf           map[string][]*corev1.Pod // by ReplicaSet name
	notReady         map[string]bool          // images whose pods never become ready
	// podStatus, by image, is the status the pods of that image report instead of
	// Ready (e.g. an image pull error); they are then not ready.
	podStatus map[string]*corev1.PodStatus
	// failFast is the controller's default thresholds (Input.FailFast).
	failFast *v1alpha1.FailFast
	now      time.Time

	weights []int32  // every canary weight written, in order
	evicted []string // every pod evicted, in order
	podSeq  int
}

// SimObjects are what a SimCluster starts with.
type SimObjects struct {
	// Rollout is used as it is (not copied): the cluster writes its status.
	Rollout                  *v1alpha1.Rollout
	ReplicaSets              []*appsv1.ReplicaSet
	Services                 map[string]*corev1.Service
	Traffic                  *TrafficState
	AnalysisTemplates        map[string]*v1alpha1.AnalysisTemplate
	ClusterAnalysisTemplates map[string]*v1alpha1.ClusterAnalysisTemplate
}

// NewSimCluster is a cluster holding copies of objs (but the Rollout), at time now.
func NewSimCluster(objs SimObjects, now time.Time) *SimCluster {
	c := &SimCluster{ro: objs.Rollout, svcs: map[string]*corev1.Service{}, now: now,
		templates: objs.AnalysisTemplates, clusterTemplates: objs.ClusterAnalysisTemplates,
		notReady: map[string]bool{}, podsOf: map[string][]*corev1.Pod{}, podStatus: map[string]*corev1.PodStatus{}}
	for _, rs := range objs.ReplicaSets {
		c.rss = append(c.rss, rs.DeepCopy())
	}
	for name, svc := range objs.Services {
		c.svcs[name] = svc.DeepCopy()
	}
	if objs.Traffic != nil {
		t := *objs.Traffic
		c.traffic = &t
	}
	return c
}

// Rollout is the Rollout the cluster holds; set its status to what a plan says.
func (c *SimCluster) Rollout() *v1alpha1.Rollout { return c.ro }

// ReplicaSets are the ReplicaSets the cluster holds, in creation order.
func (c *SimCluster) ReplicaSets() []*appsv1.ReplicaSet { return c.rss }

// Service is the Service of that name, or nil.
func (c *SimCluster) Service(name string) *corev1.Service { return c.svcs[name] }

// Traffic is the split the router applies: nil before any was written.
func (c *SimCluster) Traffic() *TrafficState { return c.traffic }

// AnalysisRun is the AnalysisRun of that name, or nil; set its phase as its controller
// would.
func (c *SimCluster) AnalysisRun(name string) *v1alpha1.AnalysisRun {
	for _, run := range c.runs {
		if run.Name == name {
			return run
		}
	}
	return nil
}

// Now is the cluster's time.
func (c *SimCluster) Now() time.Time { return c.now }

// Advance lets d pass.
func (c *SimCluster) Advance(d time.Duration) { c.now = c.now.Add(d) }

// Input is what the controller would gather now, as copies: the Rollout's ReplicaSets
// and orphans (with their ready pods), Services, pods, runs, templates and traffic.
func (c *SimCluster) Input() Input {
	var pods []*corev1.Pod
	for _, rs := range c.rss {
		for _, pod := range c.podsOf[rs.Name] {
			pods = append(pods, pod.DeepCopy())
		}
	}
	svcs := map[string]*corev1.Service{}
	for k, v := range c.svcs {
		svcs[k] = v.DeepCopy()
	}
	in := Input{Rollout: c.ro.DeepCopy(), Services: svcs, Pods: pods, Now: c.now, FailFast: c.failFast,
		AnalysisTemplates: c.templates, ClusterAnalysisTemplates: c.clusterTemplates}
	if c.traffic != nil {
		t := *c.traffic
		in.Traffic = &t
	}
	for _, run := range c.runs {
		in.AnalysisRuns = append(in.AnalysisRuns, run.DeepCopy())
	}
	for _, rs := range c.rss {
		rs = rs.DeepCopy()
		switch ref := metav1.GetControllerOf(rs); {
		case ref == nil:
			in.Orphans = append(in.Orphans, rs)
		case ref.UID == c.ro.UID:
			in.ReplicaSets = append(in.ReplicaSets, rs)
			if in.ReadyPods == nil {
				in.ReadyPods = map[string]ReadyPods{}
			}
			in.ReadyPods[rs.Name] = ReadyPodsOf(c.podsOf[rs.Name])
		}
	}
	if !NeedsPods(in.Rollout, in.ReplicaSets) {
		in.Pods = nil // as the controller gathers them
	}
	return in
}

// PodsUp plays the ReplicaSet controller: every ReplicaSet gets the pods it asks for,
// Ready and available at once but those of notReady images, and its status says so.
func (c *SimCluster) PodsUp() {
	for _, rs := range c.rss {
		n := replicasOf(rs)
		c.syncPods(rs)
		rs.Status.Replicas = n
		rs.Status.ObservedGeneration = rs.Generation
		if img := rs.Spec.Template.Spec.Containers[0].Image; c.notReady[img] || c.podStatus[img] != nil {
			rs.Status.ReadyReplicas, rs.Status.AvailableReplicas = 0, 0
		} else {
			rs.Status.ReadyReplicas, rs.Status.AvailableReplicas = n, n
		}
	}
}

// syncPods creates pods (at now) or removes them (newest first) to match rs' replicas;
// terminating pods are gone by now.
func (c *SimCluster) syncPods(rs *appsv1.ReplicaSet) {
	var pods []*corev1.Pod
	for _, pod := range c.podsOf[rs.Name] {
		if pod.DeletionTimestamp == nil {
			pods = append(pods, pod)
		}
	}
	ready := corev1.ConditionTrue
	if c.notReady[rs.Spec.Template.Spec.Containers[0].Image] {
		ready = corev1.ConditionFalse
	}
	for int32(len(pods)) < replicasOf(rs) {
		c.podSeq++
		// Pods carry the template's metadata at the time they are created.
		pods = append(pods, &corev1.Pod{
			ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("%s-%d", rs.Name, c.podSeq), CreationTimestamp: metav1.NewTime(c.now),
				Labels: maps.Clone(rs.Spec.Template.Labels), Annotations: maps.Clone(rs.Spec.Template.Annotations)},
		})
	}
	pods = pods[:replicasOf(rs)]
	for _, pod := range pods {
		pod.Status.Conditions = []corev1.PodCondition{{Type: corev1.PodReady, Status: ready}}
		if st := c.podStatus[rs.Spec.Template.Spec.Containers[0].Image]; st != nil {
			pod.Status = *st.DeepCopy()
		}
	}
	c.podsOf[rs.Name] = pods
}

func (c *SimCluster) rsByName(name string) *appsv1.ReplicaSet {
	for _, rs := range c.rss {
		if rs.Name == name {
			return rs
		}
	}
	return nil
}

// PodsTerminating plays a ReplicaSet controller that has begun scale-downs its status does
// not show yet: every ReplicaSet's pods beyond its replicas get a deletionTimestamp
// (newest first), while its status still counts them. PodsUp then removes them.
func (c *SimCluster) PodsTerminating() {
	for _, rs := range c.rss {
		keep := replicasOf(rs)
		for _, pod := range c.podsOf[rs.Name] {
			if pod.DeletionTimestamp != nil {
				continue
			}
			if keep > 0 {
				keep--
				continue
			}
			t := metav1.NewTime(c.now)
			pod.DeletionTimestamp = &t
		}
	}
}
