//go:build e2e

package analysis

import (
	"context"
	"math"
	"strconv"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/tools/cache"
	watchtools "k8s.io/client-go/tools/watch"
	"k8s.io/utils/ptr"

	"github.com/serin-dev/serin/pkg/analysis/runspec"
	"github.com/serin-dev/serin/pkg/apis/rollouts/v1alpha1"
	"github.com/serin-dev/serin/pkg/client/clientset/versioned"
	"github.com/serin-dev/serin/test/e2e/framework"
)

var analysisRuns = framework.Resource("serin.dev", "v1alpha1", "analysisruns")

func serin(t *testing.T) versioned.Interface {
	t.Helper()
	c, err := versioned.NewForConfig(framework.Current().Config)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// args turns name/value pairs into run arguments.
func args(kv ...string) []v1alpha1.Argument {
	var out []v1alpha1.Argument
	for i := 0; i+1 < len(kv); i += 2 {
		out = append(out, v1alpha1.Argument{Name: kv[i], Value: ptr.To(kv[i+1])})
	}
	return out
}

// runFromTemplates does what the Rollout controller does for an analysis step: reads the
// named AnalysisTemplates (and ClusterAnalysisTemplates, prefixed "cluster:") from the
// cluster, builds the run with runspec.NewRun and creates it.
func runFromTemplates(e *framework.Env, name string, templates []string, runArgs []v1alpha1.Argument, mutate ...func(*v1alpha1.AnalysisRun)) *v1alpha1.AnalysisRun {
	e.T.Helper()
	c := serin(e.T)
	ctx := e.T.Context()
	var ats []*v1alpha1.AnalysisTemplate
	var cats []*v1alpha1.ClusterAnalysisTemplate
	for _, n := range templates {
		if cn, ok := strings.CutPrefix(n, "cluster:"); ok {
			cat, err := c.SerinV1alpha1().ClusterAnalysisTemplates().Get(ctx, cn, metav1.GetOptions{})
			if err != nil {
				e.T.Fatal(err)
			}
			cats = append(cats, cat)
			continue
		}
		at, err := c.SerinV1alpha1().AnalysisTemplates(e.Namespace).Get(ctx, n, metav1.GetOptions{})
		if err != nil {
			e.T.Fatal(err)
		}
		ats = append(ats, at)
	}
	run, err := runspec.NewRun(ats, cats, runArgs, runspec.RunMeta{Name: name, Namespace: e.Namespace,
		Labels: map[string]string{"e2e.serin.dev/run": name}})
	if err != nil {
		e.T.Fatalf("NewRun: %v", err)
	}
	for _, m := range mutate {
		m(run)
	}
	created, err := c.SerinV1alpha1().AnalysisRuns(e.Namespace).Create(ctx, run, metav1.CreateOptions{})
	if err != nil {
		e.T.Fatalf("create run %s: %v", name, err)
	}
	return created
}

// waitRun waits until run name satisfies cond.
func waitRun(e *framework.Env, name, what string, cond func(*v1alpha1.AnalysisRun) bool) *v1alpha1.AnalysisRun {
	e.T.Helper()
	var last v1alpha1.AnalysisRun
	e.Then().Object(analysisRuns, name, what, func(o *unstructured.Unstructured) (bool, error) {
		last = v1alpha1.AnalysisRun{}
		if err := runtime.DefaultUnstructuredConverter.FromUnstructured(o.Object, &last); err != nil {
			return false, err
		}
		return cond(&last), nil
	})
	return &last
}

// waitPhase waits until run name is in phase.
func waitPhase(e *framework.Env, name string, phase v1alpha1.AnalysisPhase) *v1alpha1.AnalysisRun {
	e.T.Helper()
	return waitRun(e, name, "phase "+string(phase), func(r *v1alpha1.AnalysisRun) bool {
		if r.Status.Phase.Completed() && r.Status.Phase != phase {
			e.T.Fatalf("run %s ended %s, want %s: %s\n%+v", name, r.Status.Phase, phase, r.Status.Message, r.Status.MetricResults)
		}
		return r.Status.Phase == phase
	})
}

// waitEvent waits for an Event with reason on the object named name, and returns it.
func waitEvent(e *framework.Env, name, reason string) *corev1.Event {
	e.T.Helper()
	kube := framework.Current().Kube
	sel := fields.AndSelectors(fields.OneTermEqualSelector("involvedObject.name", name),
		fields.OneTermEqualSelector("reason", reason)).String()
	lw := cache.NewFilteredListWatchFromClient(kube.CoreV1().RESTClient(), "events", e.Namespace,
		func(o *metav1.ListOptions) { o.FieldSelector = sel })
	ctx, cancel := context.WithTimeout(e.T.Context(), e.Timeout)
	defer cancel()
	var found *corev1.Event
	check := func(objs []any) bool {
		for _, o := range objs {
			if ev, ok := o.(*corev1.Event); ok {
				found = ev
				return true
			}
		}
		return false
	}
	start := time.Now()
	_, err := watchtools.UntilWithSync(ctx, lw, &corev1.Event{},
		func(s cache.Store) (bool, error) { return check(s.List()), nil },
		func(ev watch.Event) (bool, error) { return check([]any{ev.Object}), nil })
	if err != nil {
		e.T.Fatalf("waiting for event %s on %s: %v", reason, name, err)
	}
	e.T.Logf("event %s on %s (after %s): %s", reason, name, time.Since(start).Round(time.Millisecond), found.Message)
	return found
}

// serveApp registers this test's app on the metrics target and waits until Prometheus
// has its series.
func serveApp(e *framework.Env, nginx bool, errorRatio, latencySeconds float64) {
	e.T.Helper()
	if err := load.serve(e.Namespace, nginx, errorRatio, latencySeconds, e.Timeout); err != nil {
		e.T.Fatal(err)
	}
}

// metricResult returns the run's result for metric name.
func metricResult(t *testing.T, run *v1alpha1.AnalysisRun, name string) v1alpha1.MetricResult {
	t.Helper()
	for _, r := range run.Status.MetricResults {
		if r.Name == name {
			return r
		}
	}
	t.Fatalf("run %s has no result for metric %s: %+v", run.Name, name, run.Status.MetricResults)
	return v1alpha1.MetricResult{}
}

// sampleValue is the single number of a recorded vector value such as "[0.99]".
func sampleValue(t *testing.T, value string) float64 {
	t.Helper()
	f, err := strconv.ParseFloat(strings.TrimSuffix(strings.TrimPrefix(value, "["), "]"), 64)
	if err != nil {
		t.Fatalf("value %q is not a one-sample vector: %v", value, err)
	}
	return f
}

// near reports whether a recorded one-sample value is want, up to float rounding.
func near(t *testing.T, value string, want float64) bool {
	t.Helper()
	return math.Abs(sampleValue(t, value)-want) < 1e-9*math.Max(1, math.Abs(want))
}
