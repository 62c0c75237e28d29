package rolloutview

import (
	"fmt"
	"slices"
	"strings"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/duration"

	"github.com/serin-dev/serin/pkg/apis/rollouts/v1alpha1"
	"github.com/serin-dev/serin/pkg/diagnosis"
	"github.com/serin-dev/serin/pkg/plan"
	"github.com/serin-dev/serin/pkg/replicaset"
)

// Revision is one revision of the template: its ReplicaSet, pods and AnalysisRuns.
type Revision struct {
	Number int64 `json:"number"`
	// Hash is the ReplicaSet's pod template hash.
	Hash string `json:"hash,omitempty"`
	// Role is the revision's place in the rollout: RoleStable, RoleCanary (the revision
	// a canary rolls out), RoleNew (the one a blue-green rolls out) or RoleOld.
	Role string `json:"role"`
	// Services are the blue-green Services selecting it: RoleActive, RolePreview.
	Services []string `json:"services,omitempty"`
	// Roles are what the plugin's tree shows: for a canary "stable" or "canary"; for
	// blue-green any of "stable", "active", "preview" at once, or "new" for the new
	// revision before a Service selects it; none for an old revision.
	Roles        []string      `json:"roles,omitempty"`
	Images       []string      `json:"images,omitempty"`
	ReplicaSet   ReplicaSet    `json:"replicaSet"`
	Pods         []Pod         `json:"pods,omitempty"`
	AnalysisRuns []AnalysisRun `json:"analysisRuns,omitempty"`
	// Problems say why its pods do not become available, one line per cause (the
	// controller's own diagnosis, pkg/diagnosis, the words of its PodsFailing
	// condition): e.g. `PodImagePullError: 1 pod, e.g. pod web-7c9-x2: container web:
	// ImagePullBackOff: Back-off pulling image "web:nope"`.
	Problems []string `json:"problems,omitempty"`
}

// Revision roles. A blue-green revision can hold several at once in Roles (the stable
// revision is usually active and preview too).
const (
	RoleStable  = "stable"
	RoleCanary  = "canary"
	RoleNew     = "new"
	RoleOld     = "old"
	RoleActive  = "active"
	RolePreview = "preview"
)

// ReplicaSet is one ReplicaSet's counts.
type ReplicaSet struct {
	Name      string    `json:"name"`
	Desired   int32     `json:"desired"`
	Current   int32     `json:"current"`
	Ready     int32     `json:"ready"`
	Available int32     `json:"available"`
	Created   time.Time `json:"created"`
	// ScaleDownAt is when the controller takes the ReplicaSet to 0 (its scale-down
	// deadline): an old revision waiting out scaleDownDelaySeconds, or an aborted one
	// waiting out abortScaleDownDelaySeconds. Nil when it is not waiting to go down.
	ScaleDownAt *time.Time `json:"scaleDownAt,omitempty"`
	// ScaleDown says it against the snapshot's time: "scales down in 25s", or "scaling
	// down" once the deadline passed; "" when it is not waiting or the snapshot has no time.
	ScaleDown string `json:"scaleDown,omitempty"`
}

// Pod is one pod's state.
type Pod struct {
	Name string `json:"name"`
	// Status is PodReady, PodNotReady, PodPending, PodTerminating, or the phase
	// Succeeded or Failed.
	Status string `json:"status"`
	// Phase is status.phase as the kubelet reports it (Pending, Running, ...).
	Phase    string    `json:"phase"`
	Ready    string    `json:"ready"` // ready containers / containers
	Restarts int32     `json:"restarts"`
	Created  time.Time `json:"created"`
}

// Pod statuses.
const (
	PodReady       = "Ready"
	PodNotReady    = "NotReady"
	PodPending     = "Pending"
	PodTerminating = "Terminating"
)

// revisions are the snapshot's ReplicaSets newest first, each with its pods (by name) and
// AnalysisRuns (by name), and the runs of no listed revision, newest first.
func revisions(s *Snapshot) ([]Revision, []AnalysisRun) {
	runs := analysisRuns(s.AnalysisRuns)
	claimed := map[string]bool{}
	var out []Revision
	for _, rs := range newestFirst(s.ReplicaSets) {
		r := newRevision(s.Rollout, rs, s.Now)
		var pods []*corev1.Pod
		for _, pod := range s.Pods {
			if ref := metav1.GetControllerOf(pod); ref != nil && ref.UID == rs.UID {
				r.Pods = append(r.Pods, newPod(pod))
				pods = append(pods, pod)
			}
		}
		for _, c := range diagnosis.Pods(pods) {
			r.Problems = append(r.Problems, c.String())
		}
		slices.SortFunc(r.Pods, func(a, b Pod) int { return strings.Compare(a.Name, b.Name) })
		for _, ar := range runs {
			if r.Hash != "" && ar.hash == r.Hash {
				r.AnalysisRuns = append(r.AnalysisRuns, ar)
				claimed[ar.Name] = true
			}
		}
		slices.SortFunc(r.AnalysisRuns, func(a, b AnalysisRun) int { return strings.Compare(a.Name, b.Name) })
		out = append(out, r)
	}
	var rest []AnalysisRun
	for _, ar := range runs {
		if !claimed[ar.Name] {
			rest = append(rest, ar)
		}
	}
	return out, rest
}

func newRevision(ro *v1alpha1.Rollout, rs *appsv1.ReplicaSet, now time.Time) Revision {
	hash := rs.Labels[v1alpha1.DefaultRolloutUniqueLabelKey]
	r := Revision{
		Number: revision(rs), Hash: hash, Role: roleOf(ro, hash), Images: images(rs.Spec.Template.Spec),
		ReplicaSet: ReplicaSet{
			Name: rs.Name, Desired: desired(rs.Spec.Replicas), Current: rs.Status.Replicas, Ready: rs.Status.ReadyReplicas,
			Available: rs.Status.AvailableReplicas, Created: rs.CreationTimestamp.Time,
		},
	}
	if ro.Spec.Strategy.BlueGreen != nil {
		r.Services = servicesOf(ro, hash)
	}
	r.Roles = treeRoles(ro, r)
	if at, ok := scaleDownAt(ro, rs); ok {
		r.ReplicaSet.ScaleDownAt = &at
		r.ReplicaSet.ScaleDown = scaleDownText(at, now)
	}
	return r
}

// scaleDownAt is when rs goes down: its scale-down deadline, while it still asks for
// pods and is not the revision being rolled out (whose deadline the controller removes),
// unless that one was aborted.
func scaleDownAt(ro *v1alpha1.Rollout, rs *appsv1.ReplicaSet) (time.Time, bool) {
	v, ok := rs.Annotations[plan.AnnotationScaleDownDeadline]
	if !ok || desired(rs.Spec.Replicas) == 0 {
		return time.Time{}, false
	}
	if rs.Labels[v1alpha1.DefaultRolloutUniqueLabelKey] == ro.Status.CurrentPodHash && !ro.Status.Abort {
		return time.Time{}, false
	}
	at, err := time.Parse(time.RFC3339, v)
	if err != nil {
		return time.Time{}, false
	}
	return at, true
}

// scaleDownText is "scales down in 25s" (whole seconds, rounded up) before at, "scaling
// down" from at on; "" without a time to say it against.
func scaleDownText(at, now time.Time) string {
	if now.IsZero() {
		return ""
	}
	left := at.Sub(now)
	if left <= 0 {
		return "scaling down"
	}
	return "scales down in " + duration.HumanDuration((left + time.Second - 1).Truncate(time.Second))
}

// ScaleDowns say which ReplicaSets wait to go down, and when: "web-6f7d (revision 1)
// scales down in 25s".
func (v View) ScaleDowns() []string {
	var out []string
	for _, r := range v.Revisions {
		if rs := r.ReplicaSet; rs.ScaleDown != "" {
			out = append(out, fmt.Sprintf("%s (revision %d) %s", rs.Name, r.Number, rs.ScaleDown))
		}
	}
	return out
}

// roleOf is a revision's place: stable, the one rolled out (canary, or new for
// blue-green), or old.
func roleOf(ro *v1alpha1.Rollout, hash string) string {
	st := &ro.Status
	switch {
	case hash == "":
		return RoleOld
	case hash == st.StableRS:
		return RoleStable
	case hash == st.CurrentPodHash && ro.Spec.Strategy.BlueGreen != nil:
		return RoleNew
	case hash == st.CurrentPodHash:
		return RoleCanary
	}
	return RoleOld
}

// servicesOf are the blue-green Services whose selector (as the status records it)
// picks the revision.
func servicesOf(ro *v1alpha1.Rollout, hash string) []string {
	if hash == "" {
		return nil
	}
	bg := &ro.Status.BlueGreen
	var out []string
	if hash == bg.ActiveSelector {
		out = append(out, RoleActive)
	}
	if ro.Spec.Strategy.BlueGreen.PreviewService != "" && hash == bg.PreviewSelector {
		out = append(out, RolePreview)
	}
	return out
}

// treeRoles: a canary revision is stable or canary; a blue-green one stable and the
// Services selecting it, or new while none does.
func treeRoles(ro *v1alpha1.Rollout, r Revision) []string {
	var roles []string
	if r.Role == RoleStable {
		roles = append(roles, RoleStable)
	}
	if ro.Spec.Strategy.BlueGreen == nil {
		if r.Role == RoleCanary {
			roles = append(roles, RoleCanary)
		}
		return roles
	}
	roles = append(roles, r.Services...)
	if len(roles) == 0 && r.Role == RoleNew {
		roles = append(roles, RoleNew)
	}
	return roles
}

func newPod(pod *corev1.Pod) Pod {
	p := Pod{Name: pod.Name, Phase: string(pod.Status.Phase), Created: pod.CreationTimestamp.Time}
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
		p.Status = PodTerminating
	case pod.Status.Phase == corev1.PodSucceeded || pod.Status.Phase == corev1.PodFailed:
		p.Status = string(pod.Status.Phase)
	case replicaset.PodReady(pod):
		p.Status = PodReady
	case pod.Status.Phase == corev1.PodPending:
		p.Status = PodPending
	default:
		p.Status = PodNotReady
	}
	return p
}
