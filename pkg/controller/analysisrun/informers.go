package analysisrun

import (
	"context"

	batchv1 "k8s.io/api/batch/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	kubeinformers "k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/cache"

	"github.com/serin-dev/serin/pkg/analysis/registry"
	"github.com/serin-dev/serin/pkg/apis/rollouts/v1alpha1"
	"github.com/serin-dev/serin/pkg/client/clientset/versioned"
	serininformers "github.com/serin-dev/serin/pkg/client/informers/externalversions"
)

// Informers are the caches the AnalysisRun controller reads: the runs, and only the Jobs
// the job provider created (labelled serin.dev/analysis-run).
type Informers struct {
	Runs cache.SharedIndexInformer
	Jobs cache.SharedIndexInformer

	start []func(stop <-chan struct{})
}

// NewInformers builds the informers for namespace ("" for every namespace), without
// periodic resync: a sync is caused by a change or by the requeue of a timer.
func NewInformers(kube kubernetes.Interface, serin versioned.Interface, namespace string) *Informers {
	serinFactory := serininformers.NewSharedInformerFactoryWithOptions(serin, 0,
		serininformers.WithNamespace(namespace),
		serininformers.WithTransform(func(obj any) (any, error) {
			if r, ok := obj.(*v1alpha1.AnalysisRun); ok {
				r.ManagedFields = nil
			}
			return obj, nil
		}))
	jobFactory := kubeinformers.NewSharedInformerFactoryWithOptions(kube, 0,
		kubeinformers.WithNamespace(namespace),
		kubeinformers.WithTweakListOptions(func(o *metav1.ListOptions) { o.LabelSelector = registry.JobLabel }),
		kubeinformers.WithTransform(func(obj any) (any, error) {
			if j, ok := obj.(*batchv1.Job); ok {
				j.ManagedFields = nil
			}
			return obj, nil
		}))
	return &Informers{
		Runs:  serinFactory.Serin().V1alpha1().AnalysisRuns().Informer(),
		Jobs:  jobFactory.Batch().V1().Jobs().Informer(),
		start: []func(<-chan struct{}){serinFactory.Start, jobFactory.Start},
	}
}

// Start starts every informer; they stop with ctx.
func (inf *Informers) Start(ctx context.Context) {
	for _, start := range inf.start {
		start(ctx.Done())
	}
}

// HasSynced reports whether both caches hold their initial list.
func (inf *Informers) HasSynced() bool { return inf.Runs.HasSynced() && inf.Jobs.HasSynced() }

// WaitForCacheSync blocks until the caches are synced or ctx ends; false in that case.
func (inf *Informers) WaitForCacheSync(ctx context.Context) bool {
	return cache.WaitForCacheSync(ctx.Done(), inf.HasSynced)
}
