package job

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/sirupsen/logrus"
	logtest "github.com/sirupsen/logrus/hooks/test"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes/fake"
	"k8s.io/client-go/tools/cache"

	"github.com/serin-dev/serin/pkg/analysis/provider"
	"github.com/serin-dev/serin/pkg/apis/rollouts/v1alpha1"
	"github.com/serin-dev/serin/pkg/logging"
)

func run() *v1alpha1.AnalysisRun {
	return &v1alpha1.AnalysisRun{ObjectMeta: metav1.ObjectMeta{Name: "web-1", Namespace: "ns", UID: "uid-1"}}
}

func metric() *v1alpha1.Metric {
	return &v1alpha1.Metric{Name: "smoke", Provider: v1alpha1.MetricProvider{Job: &v1alpha1.JobMetric{
		Metadata: v1alpha1.JobMetadata{Labels: map[string]string{"team": "a"}},
		Spec: batchv1.JobSpec{Template: corev1.PodTemplateSpec{Spec: corev1.PodSpec{
			RestartPolicy: corev1.RestartPolicyNever,
			Containers:    []corev1.Container{{Name: "c", Image: "busybox"}},
		}}},
	}}}
}

// fixture is the provider over a fake clientset whose Job cache follows the clientset.
func fixture(t *testing.T, objs ...*batchv1.Job) (*Provider, *fake.Clientset, cache.Indexer) {
	t.Helper()
	kube := fake.NewClientset()
	for _, o := range objs {
		if _, err := kube.BatchV1().Jobs(o.Namespace).Create(context.Background(), o, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	f := informers.NewSharedInformerFactory(kube, 0)
	inf := f.Batch().V1().Jobs()
	lister := inf.Lister()
	idx := inf.Informer().GetIndexer()
	for _, o := range objs {
		if err := idx.Add(o); err != nil {
			t.Fatal(err)
		}
	}
	return New(kube, lister), kube, idx
}

func TestMeasureCreatesOwnedJobOnce(t *testing.T) {
	p, kube, _ := fixture(t)
	req := provider.Request{Run: run(), Metric: metric(), Index: 2, Now: time.Now()}
	res := p.Measure(context.Background(), req)
	if res.Err != nil || res.Phase != v1alpha1.AnalysisPhaseRunning || res.Metadata[NameKey] != "web-1-smoke-2" {
		t.Fatalf("result %+v", res)
	}
	// A retried sync finds its own Job.
	if res := p.Measure(context.Background(), req); res.Err != nil || res.Phase != v1alpha1.AnalysisPhaseRunning {
		t.Fatalf("second create: %+v", res)
	}
	job, err := kube.BatchV1().Jobs("ns").Get(context.Background(), "web-1-smoke-2", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if ref := metav1.GetControllerOf(job); ref == nil || ref.UID != "uid-1" || ref.Kind != "AnalysisRun" {
		t.Errorf("controller %+v, want the run", ref)
	}
	if job.Labels[RunLabel] != "web-1" || job.Labels["team"] != "a" || job.Labels[MetricLabel] != "smoke" {
		t.Errorf("labels %v", job.Labels)
	}
}

func TestMeasureRefusesForeignJob(t *testing.T) {
	other := Desired(run(), metric(), 0)
	other.OwnerReferences = nil
	p, _, _ := fixture(t, other)
	res := p.Measure(context.Background(), provider.Request{Run: run(), Metric: metric()})
	if res.Err == nil || !strings.Contains(res.Err.Error(), "does not belong") {
		t.Fatalf("error %v, want 'does not belong'", res.Err)
	}
}

func TestCheckFollowsJobConditions(t *testing.T) {
	tests := map[string]struct {
		cond      batchv1.JobConditionType
		wantPhase v1alpha1.AnalysisPhase
		wantValue string
	}{
		"running":  {wantPhase: v1alpha1.AnalysisPhaseRunning, wantValue: "running"},
		"complete": {cond: batchv1.JobComplete, wantPhase: v1alpha1.AnalysisPhaseSuccessful, wantValue: "Complete"},
		"failed":   {cond: batchv1.JobFailed, wantPhase: v1alpha1.AnalysisPhaseFailed, wantValue: "Failed: BackoffLimitExceeded"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			job := Desired(run(), metric(), 0)
			if tc.cond != "" {
				job.Status.Conditions = []batchv1.JobCondition{{Type: tc.cond, Status: corev1.ConditionTrue, Reason: "BackoffLimitExceeded"}}
			}
			p, _, _ := fixture(t, job)
			running := &v1alpha1.Measurement{Phase: v1alpha1.AnalysisPhaseRunning, Metadata: map[string]string{NameKey: job.Name}}
			res := p.Measure(context.Background(), provider.Request{Run: run(), Metric: metric(), Running: running})
			if res.Err != nil || res.Phase != tc.wantPhase || !strings.HasPrefix(res.Value, tc.wantValue) {
				t.Errorf("result %+v, want %s %q", res, tc.wantPhase, tc.wantValue)
			}
		})
	}
}

func TestCheckDeletedJobIsAnError(t *testing.T) {
	p, _, _ := fixture(t)
	running := &v1alpha1.Measurement{Phase: v1alpha1.AnalysisPhaseRunning, Metadata: map[string]string{NameKey: "gone"}}
	res := p.Measure(context.Background(), provider.Request{Run: run(), Metric: metric(), Running: running})
	if res.Err == nil || !strings.Contains(res.Err.Error(), "deleted before it finished") {
		t.Fatalf("error %v", res.Err)
	}
}

func TestTerminateDeletesJob(t *testing.T) {
	job := Desired(run(), metric(), 0)
	p, kube, _ := fixture(t, job)
	running := &v1alpha1.Measurement{Metadata: map[string]string{NameKey: job.Name}}
	if err := p.Terminate(context.Background(), provider.Request{Run: run(), Metric: metric(), Running: running}); err != nil {
		t.Fatal(err)
	}
	jobs, _ := kube.BatchV1().Jobs("ns").List(context.Background(), metav1.ListOptions{})
	if len(jobs.Items) != 0 {
		t.Errorf("%d jobs left", len(jobs.Items))
	}
	// Terminating again (already gone) is fine.
	if err := p.Terminate(context.Background(), provider.Request{Run: run(), Metric: metric(), Running: running}); err != nil {
		t.Fatal(err)
	}
}

func TestName(t *testing.T) {
	if n := Name("Web_1", "smoke", 3); n != "web-1-smoke-3" {
		t.Errorf("Name %q", n)
	}
	long := Name(strings.Repeat("a", 60), "metric", 0)
	if len(long) > 63 || long != Name(strings.Repeat("a", 60), "metric", 0) || long == Name(strings.Repeat("a", 60), "metric", 1) {
		t.Errorf("long name %q (%d chars) is not a stable, distinct, short name", long, len(long))
	}
}

// The provider logs with the keys of the run being reconciled, taken from the context.
func TestMeasureLogsWithTheRunsLogger(t *testing.T) {
	p, _, _ := fixture(t)
	log, hook := logtest.NewNullLogger()
	log.SetLevel(logrus.DebugLevel)
	ctx := logging.Into(context.Background(), log.WithFields(logrus.Fields{"analysisrun": "web-1", "namespace": "ns"}))
	if res := p.Measure(ctx, provider.Request{Run: run(), Metric: metric(), Now: time.Now()}); res.Err != nil {
		t.Fatal(res.Err)
	}
	e := hook.LastEntry()
	if e == nil || e.Data["analysisrun"] != "web-1" || e.Data["namespace"] != "ns" || e.Data["job"] != "web-1-smoke-0" {
		t.Errorf("log entry %+v, want one with the run's keys and the Job", e)
	}
}
