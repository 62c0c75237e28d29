package podsim

import (
	"context"
	"fmt"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	corelisters "k8s.io/client-go/listers/core/v1"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/util/workqueue"
)

// Run watches the pods of namespace (every namespace when empty) and feeds each change to
// r, until ctx ends; then it closes every listener. Pod events go through a rate-limited
// work queue: a pod whose Sync fails (its address is still held by a pod whose deletion
// is not processed yet, an invalid SERIN_SIM_* value) is retried with backoff. The first
// error, if the informer never syncs, is returned.
func Run(ctx context.Context, client kubernetes.Interface, namespace string, r *Reconciler) error {
	defer r.Close()
	factory := informers.NewSharedInformerFactoryWithOptions(client, 0, informers.WithNamespace(namespace))
	pods := factory.Core().V1().Pods()
	informer, lister := pods.Informer(), pods.Lister()
	queue := workqueue.NewTypedRateLimitingQueueWithConfig(
		workqueue.DefaultTypedControllerRateLimiter[string](),
		workqueue.TypedRateLimitingQueueConfig[string]{Name: "podsim"})
	defer queue.ShutDown()

	enqueue := func(obj any) {
		if key, err := cache.DeletionHandlingMetaNamespaceKeyFunc(obj); err == nil {
			queue.Add(key)
		}
	}
	if _, err := informer.AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    enqueue,
		UpdateFunc: func(_, obj any) { enqueue(obj) },
		DeleteFunc: enqueue,
	}); err != nil {
		return err
	}
	factory.Start(ctx.Done())
	defer factory.Shutdown()
	if !cache.WaitForCacheSync(ctx.Done(), informer.HasSynced) {
		return fmt.Errorf("podsim: the pod informer did not sync: %w", context.Cause(ctx))
	}

	go func() {
		<-ctx.Done()
		queue.ShutDown()
	}()
	for process(queue, lister, r) {
	}
	return nil
}

// process handles one key of the queue; false once the queue is shut down.
func process(queue workqueue.TypedRateLimitingInterface[string], pods corelisters.PodLister, r *Reconciler) bool {
	key, quit := queue.Get()
	if quit {
		return false
	}
	defer queue.Done(key)
	ns, name, err := cache.SplitMetaNamespaceKey(key)
	if err != nil {
		queue.Forget(key)
		return true
	}
	pod, err := pods.Pods(ns).Get(name)
	if apierrors.IsNotFound(err) {
		pod, err = nil, nil
	}
	if err == nil {
		err = r.Sync(key, pod)
	}
	if err != nil {
		r.logf("podsim: %s: %v (retrying)", key, err)
		queue.AddRateLimited(key)
		return true
	}
	queue.Forget(key)
	return true
}
