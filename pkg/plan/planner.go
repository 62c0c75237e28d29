package plan

import (
	"sort"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"

	"github.com/serin-dev/serin/pkg/apis/rollouts/v1alpha1"
	"github.com/serin-dev/serin/pkg/diagnosis"
)

// planner accumulates the desired state of one sync; plan() turns it into actions in
// the safety order.
type planner struct {
	in   Input
	ro   *v1alpha1.Rollout
	revs revisions
	now  time.Time
	// status is the status being computed, starting from the Rollout's.
	status v1alpha1.RolloutStatus

	create     *appsv1.ReplicaSet
	scales     map[string]int32 // ReplicaSet name → replicas
	annotate   map[string]map[string]*string
	deletes    []string                // ReplicaSets to delete (history beyond the limit)
	evictions  []string                // pods to evict (restartAt)
	podMeta    []PodMetadataPatch      // role metadata for pod templates and pods, in order
	runs       []*v1alpha1.AnalysisRun // AnalysisRuns to create
	terminate  []string                // AnalysisRuns to terminate
	deleteRuns []string                // finished AnalysisRuns beyond the history limits
	// analysisErr is why a run the rollout needs cannot be built: Next then plans the
	// rollout as blocked.
	analysisErr string
	adopt       []string          // orphaned ReplicaSets to adopt, before anything else
	selectors   map[string]string // Service name → hash
	traffic     *SetTraffic
	events      []Event
	requeue     time.Duration
	// promoting is set by the plan that makes the canary the stable: its Service selectors
	// move before its traffic goes to 0 (invariant 4), where any other lowering of the
	// weight comes first (invariant 3).
	promoting bool
	// causes are what the current revision's pods show (podCauses), once computed.
	causes []diagnosis.Cause
}

func newPlanner(in Input) *planner {
	return &planner{
		in:        in,
		ro:        in.Rollout,
		now:       in.Now,
		status:    *in.Rollout.Status.DeepCopy(),
		scales:    map[string]int32{},
		annotate:  map[string]map[string]*string{},
		selectors: map[string]string{},
	}
}

func (p *planner) event(typ, reason, msg string) {
	p.events = append(p.events, Event{Type: typ, Reason: reason, Message: msg})
}

func (p *planner) normal(reason, msg string)  { p.event(corev1.EventTypeNormal, reason, msg) }
func (p *planner) warning(reason, msg string) { p.event(corev1.EventTypeWarning, reason, msg) }

// requeueAt asks for a sync at t (the earliest of all such asks wins).
func (p *planner) requeueAt(t time.Time) {
	d := t.Sub(p.now)
	if d <= 0 {
		d = time.Millisecond
	}
	if p.requeue == 0 || d < p.requeue {
		p.requeue = d
	}
}

// scale asks for rs to have replicas; nothing is planned when it already has them.
func (p *planner) scale(rs *appsv1.ReplicaSet, replicas int32) {
	if rs == nil {
		return
	}
	if rs == p.create {
		rs.Spec.Replicas = &replicas
		return
	}
	if replicasOf(rs) != replicas {
		p.scales[rs.Name] = replicas
	}
}

// annotateRS asks for annotation key of rs to be value (nil removes it).
func (p *planner) annotateRS(rs *appsv1.ReplicaSet, key string, value *string) {
	if p.annotate[rs.Name] == nil {
		p.annotate[rs.Name] = map[string]*string{}
	}
	p.annotate[rs.Name][key] = value
}

// selector asks for Service name to select the pods of hash.
func (p *planner) selector(name, hash string) {
	if name == "" {
		return
	}
	svc := p.in.Services[name]
	if svc == nil || svc.Spec.Selector[v1alpha1.DefaultRolloutUniqueLabelKey] != hash {
		p.selectors[name] = hash
		return
	}
	// Already so: a change asked for earlier in this plan is taken back.
	delete(p.selectors, name)
}

// selectedHash is the hash a Service selects once this plan is applied.
func (p *planner) selectedHash(name string) string {
	if h, ok := p.selectors[name]; ok {
		return h
	}
	if svc := p.in.Services[name]; svc != nil {
		return svc.Spec.Selector[v1alpha1.DefaultRolloutUniqueLabelKey]
	}
	return ""
}

// currentWeight is the canary weight the router applies now.
func (p *planner) currentWeight() int32 {
	if p.in.Traffic == nil {
		return 0
	}
	return p.in.Traffic.CanaryWeight
}

// plan orders the accumulated changes so that no moment between two writes breaks an
// invariant: a new ReplicaSet first; traffic taken away before Service selectors move;
// traffic given only after they moved; scale-ups before scale-downs.
func (p *planner) plan() Plan {
	var out Plan
	if needsFinalizer(p.ro) {
		// Before any selector changes: the Finalizer is what restores them on deletion.
		out.Actions = append(out.Actions, Action{AddFinalizer: strp(Finalizer)})
	}
	for i := range p.adopt {
		out.Actions = append(out.Actions, Action{AdoptReplicaSet: &p.adopt[i]})
	}
	if p.create != nil {
		out.Actions = append(out.Actions, Action{CreateReplicaSet: p.create})
	}
	trafficFirst := p.traffic != nil && p.traffic.CanaryWeight < p.currentWeight() && !p.promoting
	if trafficFirst {
		out.Actions = append(out.Actions, p.trafficAction())
	}
	for _, name := range sortedKeys(p.selectors) {
		out.Actions = append(out.Actions, Action{SetSelector: &SetServiceSelector{Service: name, Hash: p.selectors[name]}})
	}
	if p.traffic != nil && !trafficFirst {
		out.Actions = append(out.Actions, p.trafficAction())
	}
	byName := map[string]*appsv1.ReplicaSet{}
	for _, rs := range p.in.ReplicaSets {
		byName[rs.Name] = rs
	}
	var ups, downs []Action
	for _, name := range sortedKeys(p.scales) {
		a := Action{ScaleReplicaSet: &ScaleReplicaSet{Name: name, Replicas: p.scales[name]}}
		if p.scales[name] > replicasOf(byName[name]) {
			ups = append(ups, a)
		} else {
			downs = append(downs, a)
		}
	}
	out.Actions = append(out.Actions, ups...)
	for _, run := range p.runs {
		out.Actions = append(out.Actions, Action{CreateAnalysisRun: run})
	}
	for _, name := range sortedKeys(p.annotate) {
		out.Actions = append(out.Actions, Action{AnnotateRS: &AnnotateReplicaSet{Name: name, Annotations: p.annotate[name]}})
	}
	for i := range p.podMeta {
		out.Actions = append(out.Actions, Action{SetPodMetadata: &p.podMeta[i]})
	}
	out.Actions = append(out.Actions, downs...)
	for i := range p.deletes {
		out.Actions = append(out.Actions, Action{DeleteReplicaSet: &p.deletes[i]})
	}
	for i := range p.evictions {
		out.Actions = append(out.Actions, Action{EvictPod: &p.evictions[i]})
	}
	for i := range p.terminate {
		out.Actions = append(out.Actions, Action{TerminateAnalysisRun: &p.terminate[i]})
	}
	for i := range p.deleteRuns {
		out.Actions = append(out.Actions, Action{DeleteAnalysisRun: &p.deleteRuns[i]})
	}
	out.Status = p.status
	out.Events = p.events
	out.RequeueAfter = p.requeue
	return out
}

// trafficAction is the traffic write; when the router fails it, a TrafficRoutingError
// Warning with the router's error tells the user.
func (p *planner) trafficAction() Action {
	return Action{SetTraffic: p.traffic, OnFailure: &Event{Type: corev1.EventTypeWarning, Reason: v1alpha1.ReasonTrafficRoutingError}}
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
