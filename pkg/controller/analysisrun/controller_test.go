package analysisrun

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/sirupsen/logrus"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	kubefake "k8s.io/client-go/kubernetes/fake"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/tools/record"
	clocktesting "k8s.io/utils/clock/testing"
	"k8s.io/utils/ptr"

	"github.com/serin-dev/serin/pkg/analysis/provider"
	"github.com/serin-dev/serin/pkg/analysis/registry"
	"github.com/serin-dev/serin/pkg/apis/rollouts/v1alpha1"
	serinfake "github.com/serin-dev/serin/pkg/client/clientset/versioned/fake"
	"github.com/serin-dev/serin/pkg/controller"
	"github.com/serin-dev/serin/pkg/logging"
)

// fakeProvider answers every measurement with result and remembers the requests.
type fakeProvider struct {
	result provider.Result
	got    []provider.Request
}

func (p *fakeProvider) Measure(_ context.Context, req provider.Request) provider.Result {
	p.got = append(p.got, req)
	return p.result
}
func (p *fakeProvider) Terminate(context.Context, provider.Request) error { return nil }

type fixture struct {
	c        *Controller
	serin    *serinfake.Clientset
	prov     *fakeProvider
	recorder *record.FakeRecorder
	clock    *clocktesting.FakeClock
}

func newFixture(t *testing.T, run *v1alpha1.AnalysisRun, objs ...*corev1.Secret) *fixture {
	t.Helper()
	kube := kubefake.NewClientset()
	for _, s := range objs {
		if _, err := kube.CoreV1().Secrets(s.Namespace).Create(context.Background(), s, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	serin := serinfake.NewSimpleClientset(run)
	inf := NewInformers(kube, serin, "")
	if err := inf.Runs.GetIndexer().Add(run); err != nil {
		t.Fatal(err)
	}
	f := &fixture{serin: serin, prov: &fakeProvider{}, recorder: record.NewFakeRecorder(10),
		clock: clocktesting.NewFakeClock(time.Date(2026, 1, 1, 10, 0, 0, 0, time.UTC))}
	f.c = New(Config{Kube: kube, Serin: serin, Informers: inf, Recorder: f.recorder,
		Providers: provider.Registry{provider.Prometheus: f.prov}, Clock: f.clock})
	// The runner registers the handlers on its queue; the tests sync by hand.
	if _, err := controller.NewRunner(f.c, controller.Options{SyncTimeout: SyncTimeout, Log: quietLogger()}); err != nil {
		t.Fatal(err)
	}
	return f
}

func quietLogger() *logrus.Logger {
	log := logrus.New()
	log.SetLevel(logrus.PanicLevel)
	return log
}

// metric is a Prometheus metric named name that passes at 0.95 or more.
func metric(name string) v1alpha1.Metric {
	return v1alpha1.Metric{Name: name, SuccessCondition: "result[0] >= 0.95",
		Provider: v1alpha1.MetricProvider{Prometheus: &v1alpha1.PrometheusMetric{Address: "http://p", Query: "q"}}}
}

func tokenRun() *v1alpha1.AnalysisRun {
	m := metric("rate")
	m.Provider.Prometheus.Query = `up{job="{{args.job}}"}`
	m.Provider.Prometheus.Headers = []v1alpha1.WebMetricHeader{{Key: "Authorization", Value: "Bearer {{args.token}}"}}
	return &v1alpha1.AnalysisRun{
		ObjectMeta: metav1.ObjectMeta{Name: "r", Namespace: "ns"},
		Spec: v1alpha1.AnalysisRunSpec{Metrics: []v1alpha1.Metric{m}, Args: []v1alpha1.Argument{
			{Name: "job", Value: ptr.To("web")},
			{Name: "token", ValueFrom: &v1alpha1.ValueFrom{SecretKeyRef: &v1alpha1.SecretKeyRef{Name: "creds", Key: "token"}}},
		}},
	}
}

func TestSyncMeasuresWithResolvedArgsAndWritesStatus(t *testing.T) {
	secret := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "creds", Namespace: "ns"}, Data: map[string][]byte{"token": []byte("s3cret")}}
	run := tokenRun()
	f := newFixture(t, run, secret)
	f.prov.result = provider.Result{Query: `up{job="web"}`, Data: []float64{0.2}, Value: "[0.2]"}

	stored := f.syncOnce(t, run)
	if len(f.prov.got) != 1 {
		t.Fatalf("%d measurements, want 1", len(f.prov.got))
	}
	req := f.prov.got[0].Metric.Provider.Prometheus
	if req.Query != `up{job="web"}` || req.Headers[0].Value != "Bearer s3cret" {
		t.Errorf("provider got %q %+v", req.Query, req.Headers)
	}
	if stored.Status.Phase != v1alpha1.AnalysisPhaseFailed || !strings.Contains(stored.Status.Message, `metric "rate" Failed: value [0.2]`) {
		t.Errorf("stored status %s %q", stored.Status.Phase, stored.Status.Message)
	}
	select {
	case ev := <-f.recorder.Events:
		if !strings.HasPrefix(ev, "Warning AnalysisRunFailed metric \"rate\" Failed") {
			t.Errorf("event %q", ev)
		}
	default:
		t.Error("no event recorded")
	}
	// A completed run is left alone: no measurement, no write.
	writes := f.writes()
	f.syncOnce(t, stored)
	if len(f.prov.got) != 1 || f.writes() != writes {
		t.Errorf("a completed run was measured or written again: %d measurements, %d writes", len(f.prov.got), f.writes()-writes)
	}
}

func TestSyncMissingSecretIsAnErrorNamingTheArgument(t *testing.T) {
	run := tokenRun()
	f := newFixture(t, run)
	stored := f.syncOnce(t, run)
	if stored.Status.Phase != v1alpha1.AnalysisPhaseError || !strings.Contains(stored.Status.Message, `spec.args[1] (token): valueFrom.secretKeyRef ns/creds key "token"`) {
		t.Errorf("status %s %q", stored.Status.Phase, stored.Status.Message)
	}
	if len(f.prov.got) != 0 {
		t.Error("measured without its arguments")
	}
}

func TestSyncRunningRunWritesOnlyWhenChanged(t *testing.T) {
	run := tokenRun()
	run.Spec.Metrics[0].Interval = "1m"
	run.Spec.Args[1] = v1alpha1.Argument{Name: "token", Value: ptr.To("t")}
	f := newFixture(t, run)
	f.prov.result = provider.Result{Data: []float64{0.99}, Value: "[0.99]"}
	stored := f.syncOnce(t, run)
	if stored.Status.Phase != v1alpha1.AnalysisPhaseRunning || len(stored.Status.MetricResults[0].Measurements) != 1 {
		t.Fatalf("status %+v", stored.Status)
	}
	// Before the interval: nothing to measure, nothing to write.
	f.clock.Step(30 * time.Second)
	before := f.writes()
	f.syncOnce(t, stored)
	if len(f.prov.got) != 1 || f.writes() != before {
		t.Errorf("early sync measured or wrote: %d measurements, %d writes", len(f.prov.got), f.writes()-before)
	}
	f.clock.Step(30 * time.Second)
	stored = f.syncOnce(t, stored)
	if len(f.prov.got) != 2 || len(stored.Status.MetricResults[0].Measurements) != 2 {
		t.Errorf("at the interval: %d measurements, status %+v", len(f.prov.got), stored.Status.MetricResults)
	}
}

// syncOnce puts run in the cache (as the watch would), syncs it and returns what is stored.
func (f *fixture) syncOnce(t *testing.T, run *v1alpha1.AnalysisRun) *v1alpha1.AnalysisRun {
	t.Helper()
	// The cache holds what the API holds.
	cur, err := f.serin.SerinV1alpha1().AnalysisRuns(run.Namespace).Get(context.Background(), run.Name, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if err := f.c.runsIndexer.Update(cur); err != nil {
		t.Fatal(err)
	}
	key := cache.ObjectName{Namespace: run.Namespace, Name: run.Name}
	ctx := logging.Into(context.Background(), logrus.NewEntry(quietLogger()))
	if err := f.c.sync(ctx, key); err != nil {
		t.Fatal(err)
	}
	stored, err := f.serin.SerinV1alpha1().AnalysisRuns(run.Namespace).Get(context.Background(), run.Name, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return stored
}

// writes counts the writes the controller made to runs.
func (f *fixture) writes() int {
	n := 0
	for _, a := range f.serin.Actions() {
		if a.GetVerb() != "get" && a.GetVerb() != "list" && a.GetVerb() != "watch" {
			n++
		}
	}
	return n
}

func TestJobEventsEnqueueTheirRun(t *testing.T) {
	f := newFixture(t, tokenRun())
	run := &v1alpha1.AnalysisRun{ObjectMeta: metav1.ObjectMeta{Name: "r", Namespace: "ns", UID: "u"}}
	owned := &batchv1.Job{ObjectMeta: metav1.ObjectMeta{Name: "r-smoke-0", Namespace: "ns",
		Labels: map[string]string{registry.JobLabel: "r"},
		OwnerReferences: []metav1.OwnerReference{*metav1.NewControllerRef(run,
			v1alpha1.SchemeGroupVersion.WithKind("AnalysisRun"))}}}
	foreign := owned.DeepCopy()
	foreign.Name, foreign.OwnerReferences = "foreign", nil

	f.c.enqueueJobOwner(foreign)
	if n := f.c.queue.Len(); n != 0 {
		t.Fatalf("a Job no run controls enqueued %d keys", n)
	}
	f.c.enqueueJobOwner(cache.DeletedFinalStateUnknown{Key: "ns/" + owned.Name, Obj: owned})
	key, _ := f.c.queue.Get()
	if key != (cache.ObjectName{Namespace: "ns", Name: "r"}) {
		t.Errorf("enqueued %v, want ns/r", key)
	}
}
