package rolloutview

import (
	"fmt"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"

	"github.com/serin-dev/serin/pkg/apis/rollouts/v1alpha1"
	"github.com/serin-dev/serin/pkg/plan"
)

// View is what `get rollout` shows; it is also its -o json|yaml output.
type View struct {
	Name      string `json:"name"`
	Namespace string `json:"namespace"`
	// Status is the phase; "Unknown" until the controller observed the current generation.
	Status   string `json:"status"`
	Message  string `json:"message,omitempty"`
	Strategy string `json:"strategy"`
	// Step is "n/m" (n the step running, 1-based; m the number of steps) for a canary.
	Step         string   `json:"step,omitempty"`
	SetWeight    *int32   `json:"setWeight,omitempty"`
	ActualWeight *int32   `json:"actualWeight,omitempty"`
	StableImages []string `json:"stableImages,omitempty"`
	// CanaryImages are those of the revision being rolled out (blue-green: the preview).
	CanaryImages []string `json:"canaryImages,omitempty"`
	Replicas     Replicas `json:"replicas"`
	// BlueGreen is set for a blue-green rollout (which has no step or weights).
	BlueGreen *BlueGreen `json:"blueGreen,omitempty"`
	// Revisions are newest first.
	Revisions []Revision `json:"revisions,omitempty"`
	// Created is the Rollout's creation time, for its age.
	Created time.Time `json:"created"`
}

// Replicas are the counts of the header.
type Replicas struct {
	Desired   int32 `json:"desired"`
	Current   int32 `json:"current"`
	Updated   int32 `json:"updated"`
	Ready     int32 `json:"ready"`
	Available int32 `json:"available"`
}

// Revision is one revision of the template: its ReplicaSet, pods and AnalysisRuns.
type Revision struct {
	Number int64 `json:"number"`
	// Hash is the ReplicaSet's pod template hash.
	Hash string `json:"hash,omitempty"`
	// Roles are, for a canary, "stable" or "canary" (the revision being rolled out); for
	// blue-green any of "stable", "active", "preview" (the Services selecting it), or "new"
	// for the new revision before a Service selects it.
	Roles        []string      `json:"roles,omitempty"`
	ReplicaSet   ReplicaSet    `json:"replicaSet"`
	Pods         []Pod         `json:"pods,omitempty"`
	AnalysisRuns []AnalysisRun `json:"analysisRuns,omitempty"`
}

// ReplicaSet is one ReplicaSet's counts.
type ReplicaSet struct {
	Name      string    `json:"name"`
	Desired   int32     `json:"desired"`
	Current   int32     `json:"current"`
	Ready     int32     `json:"ready"`
	Available int32     `json:"available"`
	Created   time.Time `json:"created"`
}

// Pod is one pod's state.
type Pod struct {
	Name string `json:"name"`
	// Status is Ready, NotReady, Pending, Terminating, Succeeded or Failed.
	Status   string    `json:"status"`
	Ready    string    `json:"ready"` // ready containers / containers
	Restarts int32     `json:"restarts"`
	Created  time.Time `json:"created"`
}

// AnalysisRun is one run's verdict and the latest measurement of each metric.
type AnalysisRun struct {
	Name  string `json:"name"`
	Phase string `json:"phase"`
	// Type is the run's rollout-type label: PrePromotion, PostPromotion (blue-green), or a
	// canary run type; "" without the label.
	Type    string   `json:"type,omitempty"`
	Message string   `json:"message,omitempty"`
	Metrics []Metric `json:"metrics,omitempty"`
}

// Metric is a metric's phase, counters and latest measurement.
type Metric struct {
	Name       string `json:"name"`
	Phase      string `json:"phase"`
	Successful int32  `json:"successful"`
	Failed     int32  `json:"failed"`
	// Latest is the value of the latest measurement and its verdict.
	LatestValue string `json:"latestValue,omitempty"`
	LatestPhase string `json:"latestPhase,omitempty"`
}

// New builds the View of a snapshot (see Snapshot.Owned).
func New(s *Snapshot) View {
	ro := s.Rollout
	st := &ro.Status
	v := View{
		Name: ro.Name, Namespace: ro.Namespace, Status: string(st.Phase), Message: st.Message,
		Created: ro.CreationTimestamp.Time,
		Replicas: Replicas{
			Desired: 1, Current: st.Replicas, Updated: st.UpdatedReplicas,
			Ready: st.ReadyReplicas, Available: st.AvailableReplicas,
		},
	}
	if ro.Spec.Replicas != nil {
		v.Replicas.Desired = *ro.Spec.Replicas
	}
	if st.ObservedGeneration != ro.Generation || v.Status == "" {
		v.Status, v.Message = "Unknown", "the controller has not observed the latest spec yet"
	}
	switch {
	case ro.Spec.Strategy.Canary != nil:
		v.Strategy = "Canary"
		canaryHeader(&v, ro)
	case ro.Spec.Strategy.BlueGreen != nil:
		v.Strategy = "BlueGreen"
	}
	for _, rs := range s.ReplicaSets {
		v.Revisions = append(v.Revisions, newRevision(s, rs))
	}
	if r := v.revisionByHash(st.StableRS); r != nil {
		v.StableImages = imagesOf(s, r.ReplicaSet.Name)
	}
	if r := v.revisionByHash(st.CurrentPodHash); r != nil && st.CurrentPodHash != st.StableRS {
		v.CanaryImages = imagesOf(s, r.ReplicaSet.Name)
	}
	if ro.Spec.Strategy.BlueGreen != nil {
		blueGreenHeader(&v, ro)
	}
	return v
}

func canaryHeader(v *View, ro *v1alpha1.Rollout) {
	c, st := ro.Spec.Strategy.Canary, &ro.Status
	n := len(c.Steps)
	idx := int32(n)
	if st.CurrentStepIndex != nil {
		idx = min(*st.CurrentStepIndex, int32(n))
	}
	if n > 0 {
		v.Step = fmt.Sprintf("%d/%d", min(int(idx)+1, n), n)
		if int(idx) >= n {
			v.Step = fmt.Sprintf("%d/%d", n, n)
		}
	}
	maxW := int32(100)
	if c.TrafficRouting != nil && c.TrafficRouting.MaxTrafficWeight != nil {
		maxW = *c.TrafficRouting.MaxTrafficWeight
	}
	set := plan.SetWeightAt(c.Steps, idx, maxW)
	if st.StableRS == st.CurrentPodHash {
		set = maxW
	}
	v.SetWeight = &set
	if w := st.Canary.Weights; w != nil {
		actual := w.Canary.Weight
		if st.StableRS == st.CurrentPodHash {
			actual = maxW // the new revision is the stable one: all traffic is on it
		}
		v.ActualWeight = &actual
	}
}

func newRevision(s *Snapshot, rs *appsv1.ReplicaSet) Revision {
	st := &s.Rollout.Status
	hash := rs.Labels[v1alpha1.DefaultRolloutUniqueLabelKey]
	r := Revision{
		Number: revision(rs),
		Hash:   hash,
		ReplicaSet: ReplicaSet{
			Name: rs.Name, Current: rs.Status.Replicas, Ready: rs.Status.ReadyReplicas,
			Available: rs.Status.AvailableReplicas, Created: rs.CreationTimestamp.Time,
		},
	}
	if rs.Spec.Replicas != nil {
		r.ReplicaSet.Desired = *rs.Spec.Replicas
	}
	switch {
	case s.Rollout.Spec.Strategy.BlueGreen != nil:
		r.Roles = blueGreenRoles(s.Rollout, hash)
	case hash == "":
	case hash == st.StableRS:
		r.Roles = append(r.Roles, RoleStable)
	case hash == st.CurrentPodHash:
		r.Roles = append(r.Roles, "canary")
	}
	for _, pod := range s.Pods {
		if ref := metaControllerUID(pod); ref == string(rs.UID) {
			r.Pods = append(r.Pods, newPod(pod))
		}
	}
	for _, ar := range s.AnalysisRuns {
		if ar.Labels[v1alpha1.DefaultRolloutUniqueLabelKey] == hash {
			r.AnalysisRuns = append(r.AnalysisRuns, newAnalysisRun(ar))
		}
	}
	return r
}

func imagesOf(s *Snapshot, rsName string) []string {
	for _, rs := range s.ReplicaSets {
		if rs.Name == rsName {
			var out []string
			for _, c := range rs.Spec.Template.Spec.Containers {
				out = append(out, c.Image)
			}
			return out
		}
	}
	return nil
}

func newPod(pod *corev1.Pod) Pod {
	p := Pod{Name: pod.Name, Created: pod.CreationTimestamp.Time}
	ready := 0
	for _, cs := range pod.Status.ContainerStatuses {
		if cs.Ready {
			ready++
		}
		p.Restarts += cs.RestartCount
	}
	p.Ready = fmt.Sprintf("%d/%d", ready, len(pod.Spec.Containers))
	switch {
	case pod.DeletionTimestamp != nil:
		p.Status = "Terminating"
	case pod.Status.Phase == corev1.PodSucceeded || pod.Status.Phase == corev1.PodFailed:
		p.Status = string(pod.Status.Phase)
	case podReady(pod):
		p.Status = "Ready"
	case pod.Status.Phase == corev1.PodPending:
		p.Status = "Pending"
	default:
		p.Status = "NotReady"
	}
	return p
}

func podReady(pod *corev1.Pod) bool {
	for _, c := range pod.Status.Conditions {
		if c.Type == corev1.PodReady {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}

func newAnalysisRun(ar *v1alpha1.AnalysisRun) AnalysisRun {
	out := AnalysisRun{Name: ar.Name, Phase: string(ar.Status.Phase), Type: ar.Labels[plan.LabelRunType], Message: ar.Status.Message}
	if out.Phase == "" {
		out.Phase = "Pending"
	}
	for _, m := range ar.Status.MetricResults {
		met := Metric{Name: m.Name, Phase: string(m.Phase), Successful: m.Successful, Failed: m.Failed}
		if n := len(m.Measurements); n > 0 {
			met.LatestValue, met.LatestPhase = m.Measurements[n-1].Value, string(m.Measurements[n-1].Phase)
		}
		out.Metrics = append(out.Metrics, met)
	}
	return out
}

func metaControllerUID(pod *corev1.Pod) string {
	for _, ref := range pod.OwnerReferences {
		if ref.Controller != nil && *ref.Controller {
			return string(ref.UID)
		}
	}
	return ""
}

// StepDescription is the step the rollout is at in a few words, "" past the steps.
func StepDescription(ro *v1alpha1.Rollout) string {
	c := ro.Spec.Strategy.Canary
	if c == nil || ro.Status.CurrentStepIndex == nil || int(*ro.Status.CurrentStepIndex) >= len(c.Steps) {
		return ""
	}
	return plan.DescribeStep(&c.Steps[*ro.Status.CurrentStepIndex])
}
