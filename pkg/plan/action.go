package plan

import "fmt"

// What an Action is, for logs, errors and tests: only the apply layer switches over the
// union to carry an action out; everyone else asks the action.

// Kind is the name of the change an action makes ("ScaleReplicaSet", ...), "" for an
// empty action.
func (a Action) Kind() string {
	switch {
	case a.CreateReplicaSet != nil:
		return "CreateReplicaSet"
	case a.ScaleReplicaSet != nil:
		return "ScaleReplicaSet"
	case a.AnnotateRS != nil:
		return "AnnotateReplicaSet"
	case a.DeleteReplicaSet != nil:
		return "DeleteReplicaSet"
	case a.AdoptReplicaSet != nil:
		return "AdoptReplicaSet"
	case a.SetSelector != nil:
		return "SetServiceSelector"
	case a.SetTraffic != nil:
		return "SetTraffic"
	case a.EvictPod != nil:
		return "EvictPod"
	case a.SetPodMetadata != nil:
		return "SetPodMetadata"
	case a.CreateAnalysisRun != nil:
		return "CreateAnalysisRun"
	case a.TerminateAnalysisRun != nil:
		return "TerminateAnalysisRun"
	case a.DeleteAnalysisRun != nil:
		return "DeleteAnalysisRun"
	case a.AddFinalizer != nil:
		return "AddFinalizer"
	case a.RemoveFinalizer != nil:
		return "RemoveFinalizer"
	}
	return ""
}

// Describe says what an action does, in a few words.
func (a Action) Describe() string {
	switch {
	case a.CreateReplicaSet != nil:
		return "create ReplicaSet " + a.CreateReplicaSet.Name
	case a.ScaleReplicaSet != nil:
		return fmt.Sprintf("scale ReplicaSet %s to %d", a.ScaleReplicaSet.Name, a.ScaleReplicaSet.Replicas)
	case a.AnnotateRS != nil:
		return "annotate ReplicaSet " + a.AnnotateRS.Name
	case a.DeleteReplicaSet != nil:
		return "delete ReplicaSet " + *a.DeleteReplicaSet
	case a.SetSelector != nil && a.SetSelector.Hash == "":
		return "remove the hash from Service " + a.SetSelector.Service
	case a.SetSelector != nil:
		return fmt.Sprintf("point Service %s at %s", a.SetSelector.Service, a.SetSelector.Hash)
	case a.SetTraffic != nil:
		return fmt.Sprintf("set canary weight %d (%d header routes)", a.SetTraffic.CanaryWeight, len(a.SetTraffic.HeaderRoutes))
	case a.EvictPod != nil:
		return "evict pod " + *a.EvictPod
	case a.AdoptReplicaSet != nil:
		return "adopt ReplicaSet " + *a.AdoptReplicaSet
	case a.SetPodMetadata != nil && a.SetPodMetadata.ReplicaSet != "":
		return "set role metadata on the pod template of ReplicaSet " + a.SetPodMetadata.ReplicaSet
	case a.SetPodMetadata != nil:
		return "set role metadata on pod " + a.SetPodMetadata.Pod
	case a.CreateAnalysisRun != nil:
		return "create AnalysisRun " + a.CreateAnalysisRun.Name
	case a.TerminateAnalysisRun != nil:
		return "terminate AnalysisRun " + *a.TerminateAnalysisRun
	case a.DeleteAnalysisRun != nil:
		return "delete AnalysisRun " + *a.DeleteAnalysisRun
	case a.AddFinalizer != nil:
		return "add finalizer " + *a.AddFinalizer
	case a.RemoveFinalizer != nil:
		return "remove finalizer " + *a.RemoveFinalizer
	}
	return "empty action"
}
