package dashboard

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/sirupsen/logrus"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	kubeinformers "k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/cache"

	"github.com/serin-dev/serin/pkg/apis/rollouts/v1alpha1"
	"github.com/serin-dev/serin/pkg/client/clientset/versioned"
	serininformers "github.com/serin-dev/serin/pkg/client/informers/externalversions"
	"github.com/serin-dev/serin/pkg/rolloutview"
)

// Source is what the HTTP layer reads: the current views and a signal when they change.
type Source interface {
	// Snapshot returns the views, sorted by key, and their JSON; the slices are the
	// caller's to read, never to modify.
	Snapshot() []Entry
	// Subscribe returns a channel that receives a value (coalesced: at most one pending)
	// after every change, and a function to stop.
	Subscribe() (<-chan struct{}, func())
}

// Entry is one Rollout's view and its JSON encoding.
type Entry struct {
	View RolloutView
	JSON []byte
}

// Cache keeps informers on Rollouts, their ReplicaSets and Pods (those with a pod
// template hash label), AnalysisRuns and Events about Rollouts, and a snapshot of views
// rebuilt after each change. Changes that arrive while a rebuild runs coalesce into the
// next one: there is no timer and no polling.
type Cache struct {
	log       *logrus.Entry
	informers map[string]cache.SharedIndexInformer
	start     []func(<-chan struct{})
	dirty     chan struct{}

	mu      sync.RWMutex
	entries []Entry
	subs    map[chan struct{}]struct{}
}

// Index names.
const (
	byOwner     = "byOwner"    // controller owner UID → ReplicaSets, AnalysisRuns
	byHash      = "byHash"     // namespace/hash → Pods
	byInvolved  = "byInvolved" // namespace/name of the Rollout → Events
	rolloutKind = "Rollout"
)

// syncWait bounds the wait for the optional caches (what the user may not be allowed to
// list); the Rollouts must sync.
const syncWait = 20 * time.Second

// NewCache builds the informers for namespace ("" for all namespaces) with the user's
// clients. Nothing is listed until Run.
func NewCache(kube kubernetes.Interface, serin versioned.Interface, namespace string, log *logrus.Entry) (*Cache, error) {
	sf := serininformers.NewSharedInformerFactoryWithOptions(serin, 0,
		serininformers.WithNamespace(namespace), serininformers.WithTransform(stripManaged))
	owned := kubeinformers.NewSharedInformerFactoryWithOptions(kube, 0,
		kubeinformers.WithNamespace(namespace), kubeinformers.WithTransform(stripManaged),
		kubeinformers.WithTweakListOptions(func(o *metav1.ListOptions) {
			o.LabelSelector = v1alpha1.DefaultRolloutUniqueLabelKey
		}))
	evf := kubeinformers.NewSharedInformerFactoryWithOptions(kube, 0,
		kubeinformers.WithNamespace(namespace), kubeinformers.WithTransform(stripManaged),
		kubeinformers.WithTweakListOptions(func(o *metav1.ListOptions) {
			o.FieldSelector = fields.OneTermEqualSelector("involvedObject.kind", rolloutKind).String()
		}))
	c := &Cache{
		log: log,
		informers: map[string]cache.SharedIndexInformer{
			"rollouts":     sf.Serin().V1alpha1().Rollouts().Informer(),
			"analysisruns": sf.Serin().V1alpha1().AnalysisRuns().Informer(),
			"replicasets":  owned.Apps().V1().ReplicaSets().Informer(),
			"pods":         owned.Core().V1().Pods().Informer(),
			"events":       evf.Core().V1().Events().Informer(),
		},
		start:   []func(<-chan struct{}){sf.Start, owned.Start, evf.Start},
		dirty:   make(chan struct{}, 1),
		entries: []Entry{},
		subs:    map[chan struct{}]struct{}{},
	}
	indexers := map[string]cache.Indexers{
		"replicasets":  {byOwner: ownerIndex},
		"analysisruns": {byOwner: ownerIndex},
		"pods":         {byHash: hashIndex},
		"events":       {byInvolved: involvedIndex},
	}
	for name, idx := range indexers {
		if err := c.informers[name].AddIndexers(idx); err != nil {
			return nil, fmt.Errorf("indexers of %s: %w", name, err)
		}
	}
	for name, inf := range c.informers {
		if _, err := inf.AddEventHandler(cache.ResourceEventHandlerFuncs{
			AddFunc:    func(any) { c.markDirty() },
			UpdateFunc: func(any, any) { c.markDirty() },
			DeleteFunc: func(any) { c.markDirty() },
		}); err != nil {
			return nil, fmt.Errorf("handler of %s: %w", name, err)
		}
	}
	return c, nil
}

// Run starts the informers, waits for the Rollouts to sync (and up to syncWait for the
// rest) and rebuilds the snapshot after every change until ctx ends. It returns once the
// first snapshot is built; the rebuilds go on in the background.
func (c *Cache) Run(ctx context.Context) error {
	for _, start := range c.start {
		start(ctx.Done())
	}
	if !cache.WaitForCacheSync(ctx.Done(), c.informers["rollouts"].HasSynced) {
		return fmt.Errorf("rollouts did not sync: %w", context.Cause(ctx))
	}
	wait, cancel := context.WithTimeout(ctx, syncWait)
	defer cancel()
	for name, inf := range c.informers {
		if !cache.WaitForCacheSync(wait.Done(), inf.HasSynced) {
			c.log.Warnf("%s not listed after %s (forbidden?): the views show without them until they are", name, syncWait)
		}
	}
	c.rebuild()
	go func() {
		for {
			select {
			case <-ctx.Done():
				return
			case <-c.dirty:
				c.rebuild()
			}
		}
	}()
	return nil
}

func (c *Cache) markDirty() {
	select {
	case c.dirty <- struct{}{}:
	default: // a rebuild is already pending: it will see this change too
	}
}

// Snapshot implements Source.
func (c *Cache) Snapshot() []Entry {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.entries
}

// Subscribe implements Source.
func (c *Cache) Subscribe() (<-chan struct{}, func()) {
	ch := make(chan struct{}, 1)
	c.mu.Lock()
	c.subs[ch] = struct{}{}
	c.mu.Unlock()
	return ch, func() {
		c.mu.Lock()
		delete(c.subs, ch)
		c.mu.Unlock()
	}
}

// rebuild recomputes every view and tells the subscribers when any changed.
func (c *Cache) rebuild() {
	var entries []Entry
	for _, obj := range c.informers["rollouts"].GetStore().List() {
		v := BuildView(c.objectsOf(obj.(*v1alpha1.Rollout)))
		data, err := json.Marshal(v)
		if err != nil {
			c.log.WithError(err).Errorf("encode view of %s", v.Key)
			continue
		}
		entries = append(entries, Entry{View: v, JSON: data})
	}
	slices.SortFunc(entries, func(a, b Entry) int { return strings.Compare(a.View.Key, b.View.Key) })
	c.mu.Lock()
	defer c.mu.Unlock()
	if sameEntries(c.entries, entries) {
		return
	}
	if entries == nil {
		entries = []Entry{}
	}
	c.entries = entries
	for ch := range c.subs {
		select {
		case ch <- struct{}{}:
		default:
		}
	}
}

func sameEntries(a, b []Entry) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if !bytes.Equal(a[i].JSON, b[i].JSON) {
			return false
		}
	}
	return true
}

// objectsOf gathers what belongs to ro from the caches, by owner (and pods by their
// ReplicaSet's hash).
func (c *Cache) objectsOf(ro *v1alpha1.Rollout) *rolloutview.Snapshot {
	o := &rolloutview.Snapshot{Rollout: ro}
	for _, x := range byIndex(c.informers["replicasets"], byOwner, string(ro.UID)) {
		o.ReplicaSets = append(o.ReplicaSets, x.(*appsv1.ReplicaSet))
	}
	for _, rs := range o.ReplicaSets {
		hash := rs.Labels[v1alpha1.DefaultRolloutUniqueLabelKey]
		for _, x := range byIndex(c.informers["pods"], byHash, ro.Namespace+"/"+hash) {
			o.Pods = append(o.Pods, x.(*corev1.Pod))
		}
	}
	for _, x := range byIndex(c.informers["analysisruns"], byOwner, string(ro.UID)) {
		o.AnalysisRuns = append(o.AnalysisRuns, x.(*v1alpha1.AnalysisRun))
	}
	for _, x := range byIndex(c.informers["events"], byInvolved, ro.Namespace+"/"+ro.Name) {
		if ev := x.(*corev1.Event); ev.InvolvedObject.UID == "" || ev.InvolvedObject.UID == ro.UID {
			o.Events = append(o.Events, ev)
		}
	}
	return o
}

func byIndex(inf cache.SharedIndexInformer, index, key string) []any {
	objs, err := inf.GetIndexer().ByIndex(index, key)
	if err != nil {
		return nil
	}
	return objs
}

func ownerIndex(obj any) ([]string, error) {
	m, err := metaOf(obj)
	if err != nil {
		return nil, err
	}
	if ref := metav1.GetControllerOfNoCopy(m); ref != nil && ref.Kind == rolloutKind {
		return []string{string(ref.UID)}, nil
	}
	return nil, nil
}

func hashIndex(obj any) ([]string, error) {
	m, err := metaOf(obj)
	if err != nil {
		return nil, err
	}
	if h, ok := m.GetLabels()[v1alpha1.DefaultRolloutUniqueLabelKey]; ok {
		return []string{m.GetNamespace() + "/" + h}, nil
	}
	return nil, nil
}

func involvedIndex(obj any) ([]string, error) {
	ev, ok := obj.(*corev1.Event)
	if !ok {
		return nil, fmt.Errorf("not an Event: %T", obj)
	}
	return []string{ev.InvolvedObject.Namespace + "/" + ev.InvolvedObject.Name}, nil
}

func metaOf(obj any) (metav1.Object, error) {
	m, ok := obj.(metav1.Object)
	if !ok {
		return nil, fmt.Errorf("no object metadata: %T", obj)
	}
	return m, nil
}

// stripManaged drops managedFields and kubectl's last-applied copy: the views never use
// them and they are the largest part of most objects.
func stripManaged(obj any) (any, error) {
	if m, ok := obj.(metav1.Object); ok {
		m.SetManagedFields(nil)
		if a := m.GetAnnotations(); a != nil {
			delete(a, corev1.LastAppliedConfigAnnotation)
		}
	}
	return obj, nil
}
