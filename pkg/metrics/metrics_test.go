package metrics

import (
	"context"
	"io"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/serin-dev/serin/pkg/apis/rollouts/v1alpha1"
)

func rollout(name string, phase v1alpha1.RolloutPhase, weight int32) *v1alpha1.Rollout {
	ro := &v1alpha1.Rollout{ObjectMeta: metav1.ObjectMeta{Namespace: "shop", Name: name}}
	ro.Spec.Strategy.Canary = &v1alpha1.CanaryStrategy{}
	ro.Status.Phase = phase
	ro.Status.Canary.Weights = &v1alpha1.TrafficWeights{Canary: v1alpha1.WeightDestination{Weight: weight}}
	return ro
}

func TestRolloutSeries(t *testing.T) {
	m := New()
	m.SetRollout(rollout("web", v1alpha1.RolloutPhasePaused, 20))
	m.SetRollout(rollout("api", v1alpha1.RolloutPhaseHealthy, 0))

	if got := testutil.ToFloat64(m.rolloutPhase.WithLabelValues("shop", "web", "Paused")); got != 1 {
		t.Errorf("web Paused = %v, want 1", got)
	}
	m.SetRollout(rollout("web", v1alpha1.RolloutPhaseProgressing, 50))
	m.SetRollout(rollout("web", v1alpha1.RolloutPhasePaused, 20))
	if n := testutil.CollectAndCount(m.rolloutPhase); n != 2 {
		t.Errorf("phase series = %d, want one per rollout", n)
	}
	if got := testutil.ToFloat64(m.canaryWeight.WithLabelValues("shop", "web")); got != 20 {
		t.Errorf("web weight = %v, want 20", got)
	}
	if got := testutil.ToFloat64(m.rolloutInfo.WithLabelValues("shop", "web", "canary")); got != 1 {
		t.Errorf("web info = %v, want 1", got)
	}

	m.DeleteRollout("shop", "web")
	if n := testutil.CollectAndCount(m.rolloutPhase); n != 1 {
		t.Errorf("phase series after deleting web = %d, want api's 1", n)
	}
	if n := testutil.CollectAndCount(m.canaryWeight) + testutil.CollectAndCount(m.rolloutInfo); n != 2 {
		t.Errorf("weight and info series after deleting web = %d, want api's 2", n)
	}
}

func TestReconcileAndClientMetricsAreServed(t *testing.T) {
	m := New()
	m.ObserveReconcile(30*time.Millisecond, false)
	m.ObserveReconcile(10*time.Millisecond, true)
	m.ObserveAnalysisRunReconcile(time.Second, true)
	requestResult{m}.Increment(context.Background(), "200", "patch", "127.0.0.1:6443")
	m.FencedWrite()
	m.FencedWrite()

	srv := httptest.NewServer(m.Handler())
	defer srv.Close()
	resp, err := srv.Client().Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	for _, want := range []string{
		"serin_reconcile_duration_seconds_count 2",
		"serin_reconcile_errors_total 1",
		"serin_analysisrun_reconcile_duration_seconds_count 1",
		"serin_analysisrun_reconcile_errors_total 1",
		`serin_client_requests_total{code="200",host="127.0.0.1:6443",method="PATCH"} 1`,
		"serin_fenced_writes_total 2",
		"go_goroutines",
	} {
		if !strings.Contains(string(body), want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
}
