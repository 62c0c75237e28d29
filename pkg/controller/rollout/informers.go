package rollout

import (
	"context"
	"fmt"
	"maps"
	"slices"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	kubeinformers "k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/cache"

	"github.com/serin-dev/serin/pkg/apis/rollouts/v1alpha1"
	"github.com/serin-dev/serin/pkg/client/clientset/versioned"
	serininformers "github.com/serin-dev/serin/pkg/client/informers/externalversions"
	"github.com/serin-dev/serin/pkg/refs"
	"github.com/serin-dev/serin/pkg/trafficrouting"
)

// Index names on the informers' indexers.
const (
	// indexRolloutByService maps "namespace/service" to the Rollouts naming that Service
	// as stable, canary, active or preview Service.
	indexRolloutByService = "rolloutByService"
	// indexRolloutByRouter + kind (e.g. "rolloutByRouter/Ingress") maps "namespace/name"
	// of an object of a kind a traffic router watches to the Rollouts whose router reads
	// or writes that object (trafficrouting.Refs): e.g. nginx's stable Ingress, and its
	// canary Ingress, so that the deletion of a foreign Ingress in the way lets the
	// Rollout go on at once.
	indexRolloutByRouter = "rolloutByRouter/"
	// indexRolloutByTemplate maps "namespace/name" of an AnalysisTemplate, or
	// "cluster/name" of a ClusterAnalysisTemplate, to the Rollouts whose analysis uses it.
	indexRolloutByTemplate = "rolloutByTemplate"
	// indexByControllerUID maps a controller owner's UID to the objects it controls.
	indexByControllerUID = "byControllerUID"
	// indexPodByHash maps "namespace/pod-template-hash" to the pods of that revision.
	indexPodByHash = "podByHash"
)

// lastApplied is kubectl's copy of the whole object, as large as the object itself.
const lastApplied = "kubectl.kubernetes.io/last-applied-configuration"

// Informers are the caches the Rollout controller reads. Nothing else is watched: the
// ReplicaSets and Pods are only those labelled with a pod template hash by a Rollout,
// and every object is stored without its managedFields.
type Informers struct {
	Rollouts    cache.SharedIndexInformer
	ReplicaSets cache.SharedIndexInformer
	Pods        cache.SharedIndexInformer
	Services    cache.SharedIndexInformer
	// Router holds, by kind, the caches of the objects the traffic routers read
	// (trafficrouting.ServedWatches: Ingresses for nginx, HTTPRoutes for Gateway API when
	// their CRD is installed).
	Router map[string]cache.SharedIndexInformer
	// UnservedRouterKinds are the kinds a router reads that the API server did not serve
	// at start (a CRD not installed): they are not cached.
	UnservedRouterKinds []string
	// AnalysisRuns, AnalysisTemplates and ClusterAnalysisTemplates feed analysis steps
	// and background analysis. ClusterAnalysisTemplates is nil for a controller limited
	// to one namespace (a namespaced Role cannot grant a cluster-scoped kind).
	AnalysisRuns             cache.SharedIndexInformer
	AnalysisTemplates        cache.SharedIndexInformer
	ClusterAnalysisTemplates cache.SharedIndexInformer

	start   []func(stop <-chan struct{})
	routers trafficrouting.Clients
}

// NewInformers builds the informers for namespace ("" for every namespace) with no
// periodic resync: every sync is caused by a change or by a requeue the plan asked for.
// routers are the traffic routers' clients (trafficrouting.NewClients); kube stands in
// for their Kube when unset.
func NewInformers(kube kubernetes.Interface, serin versioned.Interface, routers trafficrouting.Clients, namespace string) (*Informers, error) {
	if routers.Kube == nil {
		routers.Kube = kube
	}
	serinFactory := serininformers.NewSharedInformerFactoryWithOptions(serin, 0,
		serininformers.WithNamespace(namespace),
		serininformers.WithTransform(stripRollout))
	// Only what a Rollout labelled: ReplicaSets and Pods of Deployments are not cached.
	ownedFactory := kubeinformers.NewSharedInformerFactoryWithOptions(kube, 0,
		kubeinformers.WithNamespace(namespace),
		kubeinformers.WithTweakListOptions(func(o *metav1.ListOptions) {
			o.LabelSelector = v1alpha1.DefaultRolloutUniqueLabelKey
		}),
		kubeinformers.WithTransform(stripOwned))
	kubeFactory := kubeinformers.NewSharedInformerFactoryWithOptions(kube, 0,
		kubeinformers.WithNamespace(namespace),
		kubeinformers.WithTransform(stripKube))

	inf := &Informers{
		Rollouts:    serinFactory.Serin().V1alpha1().Rollouts().Informer(),
		ReplicaSets: ownedFactory.Apps().V1().ReplicaSets().Informer(),
		Pods:        ownedFactory.Core().V1().Pods().Informer(),
		Services:    kubeFactory.Core().V1().Services().Informer(),
		Router:      map[string]cache.SharedIndexInformer{},
		start:       []func(<-chan struct{}){serinFactory.Start, ownedFactory.Start, kubeFactory.Start},
		routers:     routers,

		AnalysisRuns:      serinFactory.Serin().V1alpha1().AnalysisRuns().Informer(),
		AnalysisTemplates: serinFactory.Serin().V1alpha1().AnalysisTemplates().Informer(),
	}
	if namespace == "" {
		inf.ClusterAnalysisTemplates = serinFactory.Serin().V1alpha1().ClusterAnalysisTemplates().Informer()
	}
	if err := inf.AnalysisRuns.AddIndexers(cache.Indexers{indexByControllerUID: controllerUID}); err != nil {
		return nil, fmt.Errorf("analysisrun indexers: %w", err)
	}
	rolloutIndexers := cache.Indexers{
		indexRolloutByService:  rolloutServices,
		indexRolloutByTemplate: rolloutTemplates,
	}
	watches, unserved, err := trafficrouting.ServedWatches(routers)
	if err != nil {
		return nil, err
	}
	inf.UnservedRouterKinds = unserved
	factories := trafficrouting.NewFactories(kubeFactory, routers, namespace, stripKube)
	for _, w := range watches {
		inf.Router[w.Kind] = w.Informer(factories)
		rolloutIndexers[indexRolloutByRouter+w.Kind] = rolloutRouterObjects(w.Kind)
	}
	// After the informers are made: a factory starts only those it has made.
	inf.start = append(inf.start, factories.Start)
	if err := inf.Rollouts.AddIndexers(rolloutIndexers); err != nil {
		return nil, fmt.Errorf("rollout indexers: %w", err)
	}
	if err := inf.ReplicaSets.AddIndexers(cache.Indexers{indexByControllerUID: controllerUID}); err != nil {
		return nil, fmt.Errorf("replicaset indexers: %w", err)
	}
	if err := inf.Pods.AddIndexers(cache.Indexers{indexPodByHash: podHash}); err != nil {
		return nil, fmt.Errorf("pod indexers: %w", err)
	}
	return inf, nil
}

// Start starts every informer; they stop with ctx.
func (inf *Informers) Start(ctx context.Context) {
	for _, start := range inf.start {
		start(ctx.Done())
	}
}

// HasSynced reports whether every cache holds its initial list.
func (inf *Informers) HasSynced() bool {
	for _, i := range inf.all() {
		if !i.HasSynced() {
			return false
		}
	}
	return true
}

// WaitForCacheSync blocks until every cache is synced or ctx ends; false in that case.
func (inf *Informers) WaitForCacheSync(ctx context.Context) bool {
	return cache.WaitForCacheSync(ctx.Done(), inf.HasSynced)
}

func (inf *Informers) all() []cache.SharedIndexInformer {
	all := []cache.SharedIndexInformer{inf.Rollouts, inf.ReplicaSets, inf.Pods, inf.Services,
		inf.AnalysisRuns, inf.AnalysisTemplates}
	for _, kind := range slices.Sorted(maps.Keys(inf.Router)) {
		all = append(all, inf.Router[kind])
	}
	if inf.ClusterAnalysisTemplates != nil {
		all = append(all, inf.ClusterAnalysisTemplates)
	}
	return all
}

// RouterDeps are the traffic routers' Deps over these caches, writing with the routers'
// clients.
func (inf *Informers) RouterDeps() trafficrouting.Deps {
	d := trafficrouting.Deps{Clients: inf.routers, Caches: map[string]cache.Indexer{}}
	for kind, i := range inf.Router {
		d.Caches[kind] = i.GetIndexer()
	}
	return d
}

// rolloutServices is the indexRolloutByService index function.
func rolloutServices(obj any) ([]string, error) {
	ro, ok := obj.(*v1alpha1.Rollout)
	if !ok {
		return nil, nil
	}
	return namespacedKeys(ro.Namespace, refs.Of(ro).ServiceNames()), nil
}

// rolloutRouterObjects is the index function of indexRolloutByRouter+kind.
func rolloutRouterObjects(kind string) cache.IndexFunc {
	return func(obj any) ([]string, error) {
		ro, ok := obj.(*v1alpha1.Rollout)
		if !ok {
			return nil, nil
		}
		return namespacedKeys(ro.Namespace, trafficrouting.Refs(ro).RouterNames(kind)), nil
	}
}

// namespacedKeys is "namespace/name" for each distinct non-empty name.
func namespacedKeys(namespace string, names []string) []string {
	var keys []string
	seen := map[string]bool{}
	for _, n := range names {
		if n == "" || seen[n] {
			continue
		}
		seen[n] = true
		keys = append(keys, namespace+"/"+n)
	}
	return keys
}

func controllerUID(obj any) ([]string, error) {
	m, err := metaOf(obj)
	if err != nil {
		return nil, err
	}
	if ref := metav1.GetControllerOfNoCopy(m); ref != nil {
		return []string{string(ref.UID)}, nil
	}
	return nil, nil
}

func podHash(obj any) ([]string, error) {
	pod, ok := obj.(*corev1.Pod)
	if !ok {
		return nil, nil
	}
	if h := pod.Labels[v1alpha1.DefaultRolloutUniqueLabelKey]; h != "" {
		return []string{pod.Namespace + "/" + h}, nil
	}
	return nil, nil
}

func metaOf(obj any) (metav1.Object, error) {
	m, ok := obj.(metav1.Object)
	if !ok {
		return nil, fmt.Errorf("%T has no object metadata", obj)
	}
	return m, nil
}

// stripRollout drops what the controller never reads from a cached Rollout. The
// controller writes a Rollout only through its status subresource (which ignores
// metadata) and metadata patches, so nothing dropped here is ever written back.
func stripRollout(obj any) (any, error) {
	if m, ok := obj.(metav1.Object); ok {
		// The same for the analysis kinds served by the same factory.
		m.SetManagedFields(nil)
		if a := m.GetAnnotations(); a != nil {
			delete(a, lastApplied)
		}
	}
	return obj, nil
}

// stripOwned keeps the whole of a ReplicaSet but its managedFields, and of a Pod only
// what restartAt, role metadata and the diagnosis (pkg/diagnosis) need: identity,
// labels, annotations (but kubectl's last-applied copy), owners, times, the Ready
// condition, PodScheduled while False, and — only for a pod that is not Ready or has
// restarted — the few fields of its containers' states that name a problem. A Ready
// pod that never restarted, the pod of an idle Rollout, costs no more than before.
func stripOwned(obj any) (any, error) {
	switch o := obj.(type) {
	case *appsv1.ReplicaSet:
		o.ManagedFields = nil
		return o, nil
	case *corev1.Pod:
		delete(o.Annotations, lastApplied)
		return minimalPod(o), nil
	}
	return obj, nil
}

func minimalPod(pod *corev1.Pod) *corev1.Pod {
	out := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{
		Name:              pod.Name,
		Namespace:         pod.Namespace,
		UID:               pod.UID,
		ResourceVersion:   pod.ResourceVersion,
		Labels:            pod.Labels,
		Annotations:       pod.Annotations,
		OwnerReferences:   pod.OwnerReferences,
		CreationTimestamp: pod.CreationTimestamp,
		DeletionTimestamp: pod.DeletionTimestamp,
	}}
	out.Status.Phase = pod.Status.Phase
	ready := false
	for _, c := range pod.Status.Conditions {
		switch {
		case c.Type == corev1.PodReady:
			ready = c.Status == corev1.ConditionTrue
			out.Status.Conditions = append(out.Status.Conditions, corev1.PodCondition{Type: c.Type, Status: c.Status, LastTransitionTime: c.LastTransitionTime})
		case c.Type == corev1.PodScheduled && c.Status == corev1.ConditionFalse:
			out.Status.Conditions = append(out.Status.Conditions, corev1.PodCondition{Type: c.Type, Status: c.Status,
				Reason: c.Reason, Message: c.Message, LastTransitionTime: c.LastTransitionTime})
		}
	}
	restarted := false
	for _, cs := range pod.Status.ContainerStatuses {
		restarted = restarted || cs.RestartCount > 0
	}
	if !ready || restarted {
		out.Status.StartTime = pod.Status.StartTime
		out.Status.InitContainerStatuses = minimalContainers(pod.Status.InitContainerStatuses)
		out.Status.ContainerStatuses = minimalContainers(pod.Status.ContainerStatuses)
	}
	return out
}

// minimalContainers keeps of each container status what pkg/diagnosis reads.
func minimalContainers(in []corev1.ContainerStatus) []corev1.ContainerStatus {
	if len(in) == 0 {
		return nil
	}
	out := make([]corev1.ContainerStatus, len(in))
	for i, cs := range in {
		out[i] = corev1.ContainerStatus{Name: cs.Name, Ready: cs.Ready, RestartCount: cs.RestartCount}
		if w := cs.State.Waiting; w != nil {
			out[i].State.Waiting = &corev1.ContainerStateWaiting{Reason: w.Reason, Message: w.Message}
		}
		if r := cs.State.Running; r != nil {
			out[i].State.Running = &corev1.ContainerStateRunning{StartedAt: r.StartedAt}
		}
		if t := cs.LastTerminationState.Terminated; t != nil {
			out[i].LastTerminationState.Terminated = &corev1.ContainerStateTerminated{Reason: t.Reason, ExitCode: t.ExitCode}
		}
	}
	return out
}

// stripKube drops managedFields from Services and the routers' objects, and kubectl's
// copy of a Service (Services are only ever merge-patched, never updated from the cache;
// a router may update its objects from the cache, so their copy stays).
func stripKube(obj any) (any, error) {
	switch o := obj.(type) {
	case *corev1.Service:
		o.ManagedFields = nil
		delete(o.Annotations, lastApplied)
	case metav1.Object:
		o.SetManagedFields(nil)
	}
	return obj, nil
}
