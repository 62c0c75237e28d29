package plan

import (
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"

	"github.com/serin-dev/serin/pkg/apis/rollouts/v1alpha1"
)

// healthyFacts are those of a rollout of 4 replicas, promoted and fully available.
func healthyFacts(mutate ...func(*statusFacts)) statusFacts {
	f := statusFacts{desired: 4, counts: replicaCounts{replicas: 4, ready: 4, available: 4, updated: 4},
		promoted: true, created: true, newRSAvail: 4, revision: 2, newRSName: "web-abc",
		progressMessage: "step 1/2: setWeight 20"}
	for _, m := range mutate {
		m(&f)
	}
	return f
}

func TestRolloutPhase(t *testing.T) {
	updating := func(f *statusFacts) {
		f.promoted, f.counts.updated, f.newRSAvail, f.counts.replicas = false, 1, 1, 5
	}
	tests := map[string]struct {
		facts   statusFacts
		phase   v1alpha1.RolloutPhase
		message string
	}{
		"healthy": {healthyFacts(), v1alpha1.RolloutPhaseHealthy, ""},
		"updating": {healthyFacts(updating),
			v1alpha1.RolloutPhaseProgressing, "step 1/2: setWeight 20"},
		"promoted, old pods still running": {healthyFacts(func(f *statusFacts) { f.counts.replicas = 6 }),
			v1alpha1.RolloutPhaseProgressing, "step 1/2: setWeight 20"},
		"promoted, the old stable waiting out its scale-down delay": {healthyFacts(func(f *statusFacts) { f.counts.replicas, f.counts.waiting = 8, 4 }),
			v1alpha1.RolloutPhaseHealthy, ""},
		"promoted, one old ReplicaSet waiting and another going down now": {healthyFacts(func(f *statusFacts) { f.counts.replicas, f.counts.waiting = 9, 4 }),
			v1alpha1.RolloutPhaseProgressing, "step 1/2: setWeight 20"},
		"an old ReplicaSet waiting does not make an update healthy": {healthyFacts(updating, func(f *statusFacts) { f.counts.waiting = 4 }),
			v1alpha1.RolloutPhaseProgressing, "step 1/2: setWeight 20"},
		"promoted, new pods not all available": {healthyFacts(func(f *statusFacts) { f.newRSAvail = 3 }),
			v1alpha1.RolloutPhaseProgressing, "step 1/2: setWeight 20"},
		"the new ReplicaSet only planned": {healthyFacts(func(f *statusFacts) { f.created = false }),
			v1alpha1.RolloutPhaseProgressing, "step 1/2: setWeight 20"},
		"paused by the controller": {healthyFacts(updating, func(f *statusFacts) { f.pauseReason = "CanaryPauseStep" }),
			v1alpha1.RolloutPhasePaused, "CanaryPauseStep"},
		"paused by the user wins over a pause step": {healthyFacts(updating, func(f *statusFacts) { f.specPaused, f.pauseReason = true, "CanaryPauseStep" }),
			v1alpha1.RolloutPhasePaused, "manually paused"},
		"a missed deadline wins over a pause": {healthyFacts(updating, func(f *statusFacts) { f.deadlineExceeded, f.specPaused = true, true }),
			v1alpha1.RolloutPhaseDegraded, `ProgressDeadlineExceeded: ReplicaSet "web-abc" has timed out progressing`},
		"aborted, with the failed run": {healthyFacts(updating, func(f *statusFacts) {
			f.aborted, f.deadlineExceeded, f.abortCause = true, true, ": step AnalysisRun web-abc-2-1 Failed"
		}), v1alpha1.RolloutPhaseDegraded, "RolloutAborted: Rollout aborted update to revision 2: step AnalysisRun web-abc-2-1 Failed"},
		"a router problem wins over an abort": {healthyFacts(func(f *statusFacts) { f.aborted, f.trafficProblem = true, "ingress web not found" }),
			v1alpha1.RolloutPhaseDegraded, "TrafficRoutingError: ingress web not found"},
		"an invalid spec wins over everything": {healthyFacts(func(f *statusFacts) { f.blocked, f.trafficProblem, f.aborted = "bad steps", "x", true }),
			v1alpha1.RolloutPhaseDegraded, "InvalidSpec: bad steps"},
		"an invalid spec is never healthy": {healthyFacts(func(f *statusFacts) { f.blocked = "bad steps" }),
			v1alpha1.RolloutPhaseDegraded, "InvalidSpec: bad steps"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			phase, msg := rolloutPhase(tc.facts)
			if phase != tc.phase || msg != tc.message {
				t.Errorf("rolloutPhase = %s %q, want %s %q", phase, msg, tc.phase, tc.message)
			}
		})
	}
}

func TestRolloutConditions(t *testing.T) {
	type want struct{ available, healthy, completed, paused string } // reasons
	tests := map[string]struct {
		facts statusFacts
		want  want
	}{
		"healthy": {healthyFacts(), want{"AvailableReason", "RolloutHealthy", "RolloutCompleted", "RolloutResumed"}},
		"a pod down": {healthyFacts(func(f *statusFacts) { f.counts.available, f.newRSAvail = 3, 3 }),
			want{"NotAvailable", "RolloutNotHealthy", "RolloutCompleted", "RolloutResumed"}},
		"updating, paused, with every stable pod up": {healthyFacts(func(f *statusFacts) {
			f.promoted, f.counts.updated, f.counts.available, f.pauseReason = false, 1, 5, "CanaryPauseStep"
		}), want{"AvailableReason", "RolloutNotHealthy", "RolloutNotCompleted", "RolloutPaused"}},
		"promoted, the old stable waiting out its scale-down delay": {healthyFacts(func(f *statusFacts) { f.counts.replicas, f.counts.available, f.counts.waiting = 8, 8, 4 }),
			want{"AvailableReason", "RolloutHealthy", "RolloutCompleted", "RolloutResumed"}},
		"promoted, new pods not all available, old stable waiting": {healthyFacts(func(f *statusFacts) {
			f.counts.replicas, f.counts.available, f.counts.waiting, f.newRSAvail = 8, 7, 4, 3
		}), want{"AvailableReason", "RolloutNotHealthy", "RolloutCompleted", "RolloutResumed"}},
		"paused by the user": {healthyFacts(func(f *statusFacts) { f.specPaused = true }),
			want{"AvailableReason", "RolloutHealthy", "RolloutCompleted", "RolloutPaused"}},
		"an invalid spec is neither healthy nor completed": {healthyFacts(func(f *statusFacts) { f.blocked = "bad" }),
			want{"AvailableReason", "RolloutNotHealthy", "RolloutNotCompleted", "RolloutResumed"}},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			conds := rolloutConditions(tc.facts)
			types := []v1alpha1.RolloutConditionType{v1alpha1.RolloutAvailable, v1alpha1.RolloutHealthy, v1alpha1.RolloutCompleted, v1alpha1.RolloutPaused}
			reasons := []string{tc.want.available, tc.want.healthy, tc.want.completed, tc.want.paused}
			if len(conds) != len(types) {
				t.Fatalf("%d conditions, want %d", len(conds), len(types))
			}
			for i, c := range conds {
				wantStatus := corev1.ConditionTrue
				if reasons[i] == "NotAvailable" || reasons[i] == "RolloutNotHealthy" || reasons[i] == "RolloutNotCompleted" || reasons[i] == "RolloutResumed" {
					wantStatus = corev1.ConditionFalse
				}
				if c.Type != types[i] || c.Reason != reasons[i] || c.Status != wantStatus {
					t.Errorf("condition %d = %s %s %s, want %s %s %s", i, c.Type, c.Status, c.Reason, types[i], wantStatus, reasons[i])
				}
			}
		})
	}
}

func TestCountReplicas(t *testing.T) {
	rs := func(hash string, replicas, ready, available int32) *appsv1.ReplicaSet {
		r := newReplicaSet(rollout("web"), hash, 1, replicas)
		r.Status = appsv1.ReplicaSetStatus{Replicas: replicas, ReadyReplicas: ready, AvailableReplicas: available}
		return r
	}
	delayed := func(r *appsv1.ReplicaSet) *appsv1.ReplicaSet {
		r.Annotations[AnnotationScaleDownDeadline] = "2030-01-01T00:00:30Z"
		return r
	}
	tests := map[string]struct {
		rss  []*appsv1.ReplicaSet
		want replicaCounts
	}{
		"none":                   {nil, replicaCounts{}},
		"stable only":            {[]*appsv1.ReplicaSet{rs("old", 4, 4, 3)}, replicaCounts{replicas: 4, ready: 4, available: 3}},
		"canary beside stable":   {[]*appsv1.ReplicaSet{rs("old", 4, 4, 4), rs("new", 1, 1, 0)}, replicaCounts{replicas: 5, ready: 5, available: 4, updated: 1}},
		"a canary not yet ready": {[]*appsv1.ReplicaSet{rs("new", 2, 0, 0)}, replicaCounts{replicas: 2, updated: 2}},
		"promoted, the old stable waiting out its delay": {[]*appsv1.ReplicaSet{delayed(rs("old", 4, 4, 4)), rs("new", 4, 4, 4)},
			replicaCounts{replicas: 8, ready: 8, available: 8, updated: 4, waiting: 4}},
		"an aborted canary waiting is the current template, not waiting": {[]*appsv1.ReplicaSet{rs("old", 4, 4, 4), delayed(rs("new", 1, 1, 1))},
			replicaCounts{replicas: 5, ready: 5, available: 5, updated: 1}},
		"an older ReplicaSet going down at once": {[]*appsv1.ReplicaSet{delayed(rs("old", 4, 4, 4)), rs("older", 1, 0, 0), rs("new", 4, 4, 4)},
			replicaCounts{replicas: 9, ready: 8, available: 8, updated: 4, waiting: 4}},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			waiting := func(rs *appsv1.ReplicaSet) bool { _, ok := scaleDownDeadline(rs); return ok }
			if got := countReplicas(tc.rss, "new", waiting); got != tc.want {
				t.Errorf("countReplicas = %+v, want %+v", got, tc.want)
			}
		})
	}
}
