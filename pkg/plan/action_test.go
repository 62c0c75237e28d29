package plan

import (
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/serin-dev/serin/pkg/apis/rollouts/v1alpha1"
)

// Each kind of action names itself and says what it does.
func TestActionDescribesItself(t *testing.T) {
	rs := &appsv1.ReplicaSet{ObjectMeta: metav1.ObjectMeta{Name: "web-abc"}}
	run := &v1alpha1.AnalysisRun{ObjectMeta: metav1.ObjectMeta{Name: "web-abc-2-1"}}
	tests := map[string]struct {
		action   Action
		kind     string
		describe string
	}{
		"create":         {Action{CreateReplicaSet: rs}, "CreateReplicaSet", "create ReplicaSet web-abc"},
		"scale":          {Action{ScaleReplicaSet: &ScaleReplicaSet{Name: "web-abc", Replicas: 3}}, "ScaleReplicaSet", "scale ReplicaSet web-abc to 3"},
		"annotate":       {Action{AnnotateRS: &AnnotateReplicaSet{Name: "web-abc"}}, "AnnotateReplicaSet", "annotate ReplicaSet web-abc"},
		"delete":         {Action{DeleteReplicaSet: strp("web-abc")}, "DeleteReplicaSet", "delete ReplicaSet web-abc"},
		"adopt":          {Action{AdoptReplicaSet: strp("web-abc")}, "AdoptReplicaSet", "adopt ReplicaSet web-abc"},
		"selector":       {Action{SetSelector: &SetServiceSelector{Service: "web-stable", Hash: "abc"}}, "SetServiceSelector", "point Service web-stable at abc"},
		"selector reset": {Action{SetSelector: &SetServiceSelector{Service: "web-stable"}}, "SetServiceSelector", "remove the hash from Service web-stable"},
		"traffic":        {Action{SetTraffic: &SetTraffic{CanaryWeight: 20}}, "SetTraffic", "set canary weight 20 (0 header routes)"},
		"evict":          {Action{EvictPod: strp("web-abc-1")}, "EvictPod", "evict pod web-abc-1"},
		"template roles": {Action{SetPodMetadata: &PodMetadataPatch{ReplicaSet: "web-abc"}}, "SetPodMetadata", "set role metadata on the pod template of ReplicaSet web-abc"},
		"pod roles":      {Action{SetPodMetadata: &PodMetadataPatch{Pod: "web-abc-1"}}, "SetPodMetadata", "set role metadata on pod web-abc-1"},
		"create run":     {Action{CreateAnalysisRun: run}, "CreateAnalysisRun", "create AnalysisRun web-abc-2-1"},
		"terminate run":  {Action{TerminateAnalysisRun: strp("web-abc-2-1")}, "TerminateAnalysisRun", "terminate AnalysisRun web-abc-2-1"},
		"delete run":     {Action{DeleteAnalysisRun: strp("web-abc-2-1")}, "DeleteAnalysisRun", "delete AnalysisRun web-abc-2-1"},
		"add finalizer":  {Action{AddFinalizer: strp(Finalizer)}, "AddFinalizer", "add finalizer " + Finalizer},
		"drop finalizer": {Action{RemoveFinalizer: strp(Finalizer)}, "RemoveFinalizer", "remove finalizer " + Finalizer},
		"empty":          {Action{}, "", "empty action"},
		"only OnFailure": {Action{OnFailure: &Event{Reason: "R"}}, "", "empty action"},
		"with OnFailure": {Action{SetTraffic: &SetTraffic{}, OnFailure: &Event{Reason: "R"}}, "SetTraffic", "set canary weight 0 (0 header routes)"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			if got := tc.action.Kind(); got != tc.kind {
				t.Errorf("Kind = %q, want %q", got, tc.kind)
			}
			if got := tc.action.Describe(); got != tc.describe {
				t.Errorf("Describe = %q, want %q", got, tc.describe)
			}
		})
	}
}
