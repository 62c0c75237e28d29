package plan

import (
	"fmt"
	"reflect"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/serin-dev/serin/pkg/apis/rollouts/v1alpha1"
	"github.com/serin-dev/serin/pkg/refs"
)

// sim drives Next over a SimCluster for plan tests: it applies a plan's actions one by
// one, checking the safety invariants after each write, and lets pods become ready (or
// not) and time pass. The cluster plays the apiserver, the ReplicaSet controller and the
// traffic router; the fields of SimCluster (ro, rss, svcs, traffic, runs, podsOf,
// notReady, weights, evicted...) are the tests' to read and set.
type sim struct {
	*SimCluster
	t      *testing.T
	events []string // reasons of every event, in order
	oneWay oneWay   // what the traffic-moves-one-way check needs (oneway_test.go)
}

var t0 = time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)

func newSim(t *testing.T, ro *v1alpha1.Rollout) *sim {
	svcs := map[string]*corev1.Service{}
	for _, name := range refs.Of(ro).ServiceNames() {
		svcs[name] = &corev1.Service{ObjectMeta: metav1.ObjectMeta{Name: name},
			Spec: corev1.ServiceSpec{Selector: map[string]string{"app": ro.Name}}}
	}
	return &sim{SimCluster: NewSimCluster(SimObjects{Rollout: ro, Services: svcs}, t0), t: t}
}

func (s *sim) input() Input { return s.Input() }

// sync runs one plan and applies it, checking the invariants after every action.
func (s *sim) sync() Plan {
	s.t.Helper()
	p := s.next()
	// Determinism: the same input gives the same plan.
	if again := Next(s.input()); !reflect.DeepEqual(p, again) {
		s.t.Fatalf("Next is not deterministic:\n%+v\n%+v", p, again)
	}
	s.applyChecked(p.Actions)
	s.ro.Status = p.Status
	for _, e := range p.Events {
		s.events = append(s.events, e.Reason)
	}
	// Idempotence: the same actions applied again change nothing.
	before := s.snapshot()
	for _, a := range p.Actions {
		s.apply(a)
	}
	if after := s.snapshot(); !reflect.DeepEqual(before, after) {
		s.t.Fatalf("applying the plan twice changed the cluster:\nbefore %v\nafter  %v", before, after)
	}
	return p
}

// settle lets every ReplicaSet's pods come up (except those of notReady images) and syncs
// until the plan has nothing left to do or a pause holds it; it returns the last plan.
func (s *sim) settle() Plan {
	s.t.Helper()
	var p Plan
	for i := 0; i < 50; i++ {
		s.podsUp()
		before := s.ro.Status.DeepCopy()
		p = s.sync()
		if len(p.Actions) == 0 && reflect.DeepEqual(*before, s.ro.Status) {
			return p
		}
	}
	s.t.Fatalf("the rollout did not settle in 50 syncs; last plan %+v", p)
	return p
}

// applyChecked applies actions one by one. A plan must never break an invariant that
// held before it, and must leave every invariant holding when it is done (pods that died
// under a canary are the cluster's doing; taking traffic off them is the plan's).
func (s *sim) applyChecked(actions []Action) {
	s.t.Helper()
	clean := s.violation() == ""
	for i, a := range actions {
		if v := s.switchViolation(a); v != "" {
			s.t.Fatalf("%s: action %d of %d (%s)", v, i+1, len(actions), a.Describe())
		}
		if v := s.oneWayViolation(a); v != "" {
			s.t.Fatalf("%s: action %d of %d (%s)", v, i+1, len(actions), a.Describe())
		}
		s.apply(a)
		if v := s.violation(); v != "" && clean {
			s.t.Fatalf("%s after action %d of %d (%s)", v, i+1, len(actions), a.Describe())
		}
	}
	if v := s.violation(); v != "" {
		s.t.Fatalf("%s after the plan %v", v, actions)
	}
}

func (s *sim) podsUp() { s.PodsUp() }

func (s *sim) advance(d time.Duration) { s.Advance(d) }

func (s *sim) metaNow() metav1.Time { return metav1.NewTime(s.now) }

// apply applies one action; the plan must only ask for what the cluster can do.
func (s *sim) apply(a Action) {
	s.t.Helper()
	before := s.weight()
	if err := s.Apply(a); err != nil {
		s.t.Fatalf("%s: %v", a.Describe(), err)
	}
	if a.SetTraffic != nil && s.weight() != before {
		s.weightWritten(s.weight())
	}
}

// violation names a broken safety invariant of docs/design.md, or is "".
func (s *sim) violation() string {
	c := s.ro.Spec.Strategy.Canary
	if c == nil {
		return "" // blue-green: see switchViolation
	}
	anyAvailable := false
	for _, rs := range s.rss {
		anyAvailable = anyAvailable || rs.Status.AvailableReplicas > 0
	}
	// 1. Weight to the canary only while the canary Service selects available pods of a
	// revision other than the stable one.
	if s.traffic != nil && s.traffic.CanaryWeight > 0 {
		rs := s.rsOfService(c.CanaryService)
		if rs == nil || s.servingPods(rs) == 0 {
			return fmt.Sprintf("invariant 1 broken: canary weight %d but the canary Service selects no available pod", s.traffic.CanaryWeight)
		}
		// Both Services on one revision with weight left is the moment of a promotion
		// (stable Service first, then weight 0): only a fully available revision may be it.
		if hashOf(rs) == hashOf(s.rsOfService(c.StableService)) && rs.Status.AvailableReplicas < desiredReplicas(s.ro) {
			return fmt.Sprintf("invariant 1 broken: canary weight %d while canary and stable Services select the same revision, not fully available", s.traffic.CanaryWeight)
		}
	}
	// 2. The stable Service always selects available pods (when any exist).
	if c.StableService != "" && anyAvailable {
		if rs := s.rsOfService(c.StableService); rs == nil || rs.Status.AvailableReplicas == 0 {
			return "invariant 2 broken: the stable Service selects no available pod"
		}
	}
	return ""
}

// servingPods is what can serve requests for rs: its available pods, less those that are
// terminating (which its status does not show yet).
func (s *sim) servingPods(rs *appsv1.ReplicaSet) int32 {
	n := rs.Status.AvailableReplicas
	for _, pod := range s.podsOf[rs.Name] {
		if pod.DeletionTimestamp != nil {
			n--
		}
	}
	return max(n, 0)
}

func (s *sim) rsOfService(name string) *appsv1.ReplicaSet {
	svc := s.svcs[name]
	if svc == nil {
		return nil
	}
	for _, rs := range s.rss {
		if hashOf(rs) == svc.Spec.Selector[v1alpha1.DefaultRolloutUniqueLabelKey] {
			return rs
		}
	}
	return nil
}

// rsOfImage is the ReplicaSet running image.
func (s *sim) rsOfImage(image string) *appsv1.ReplicaSet {
	for _, rs := range s.rss {
		if rs.Spec.Template.Spec.Containers[0].Image == image {
			return rs
		}
	}
	return nil
}

// pods returns the replicas of the ReplicaSets of the given images, in order.
func (s *sim) pods(images ...string) []int32 {
	out := make([]int32, len(images))
	for i, img := range images {
		out[i] = replicasOf(s.rsOfImage(img))
	}
	return out
}

func (s *sim) weight() int32 {
	if s.traffic == nil {
		return -1
	}
	return s.traffic.CanaryWeight
}

func (s *sim) selects(service string) string {
	rs := s.rsOfService(service)
	if rs == nil {
		return ""
	}
	return rs.Spec.Template.Spec.Containers[0].Image
}

func (s *sim) setImage(image string) {
	s.ro.Spec.Template.Spec.Containers[0].Image = image
	s.ro.Generation++
}

// promote does what `kubectl serin promote` does: clear the pause conditions, or go to
// the next step when there are none.
func (s *sim) promote() {
	if len(s.ro.Status.PauseConditions) > 0 {
		s.ro.Status.PauseConditions = nil
		return
	}
	idx := clampIndex(s.ro.Status.CurrentStepIndex, len(s.ro.Spec.Strategy.Canary.Steps))
	s.ro.Status.CurrentStepIndex = int32p(idx + 1)
}

func (s *sim) snapshot() string {
	out := fmt.Sprintf("traffic=%+v", s.traffic)
	for _, rs := range s.rss {
		out += fmt.Sprintf(" %s(%s)=%d/%d%v", rs.Name, rs.Spec.Template.Spec.Containers[0].Image, rs.Status.AvailableReplicas, replicasOf(rs), rs.Annotations)
	}
	for _, name := range sortedKeys(s.svcs) {
		out += fmt.Sprintf(" %s=%v", name, s.svcs[name].Spec.Selector)
	}
	for _, run := range s.runs {
		out += fmt.Sprintf(" run %s=%s terminate=%v", run.Name, run.Status.Phase, run.Spec.Terminate)
	}
	return out
}

// --- builders ---

type rolloutOpt func(*v1alpha1.Rollout)

// rollout is a canary Rollout of 4 replicas that already has the Finalizer (the plan's
// first action for one that names a Service, tested on its own).
func rollout(name string, opts ...rolloutOpt) *v1alpha1.Rollout {
	ro := &v1alpha1.Rollout{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "ns", UID: "uid-" + "web", Generation: 1, Finalizers: []string{Finalizer}},
		Spec: v1alpha1.RolloutSpec{
			Replicas: int32p(4),
			Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": name}},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"app": name}},
				Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: name, Image: "v1"}}},
			},
			Strategy: v1alpha1.RolloutStrategy{Canary: &v1alpha1.CanaryStrategy{}},
		},
	}
	for _, o := range opts {
		o(ro)
	}
	return ro
}

func withSteps(steps ...v1alpha1.CanaryStep) rolloutOpt {
	return func(ro *v1alpha1.Rollout) { ro.Spec.Strategy.Canary.Steps = steps }
}

func withNginx() rolloutOpt {
	return func(ro *v1alpha1.Rollout) {
		c := ro.Spec.Strategy.Canary
		c.StableService, c.CanaryService = ro.Name+"-stable", ro.Name+"-canary"
		c.TrafficRouting = &v1alpha1.RolloutTrafficRouting{Nginx: &v1alpha1.NginxTrafficRouting{StableIngress: ro.Name}}
	}
}

// withGatewayAPI routes through the HTTPRoute named as the Rollout, as Argo's
// argoproj-labs/gatewayAPI plugin configuration has it.
func withGatewayAPI() rolloutOpt {
	return func(ro *v1alpha1.Rollout) {
		c := ro.Spec.Strategy.Canary
		c.StableService, c.CanaryService = ro.Name+"-stable", ro.Name+"-canary"
		c.TrafficRouting = &v1alpha1.RolloutTrafficRouting{Plugins: map[string]v1alpha1.GatewayAPITrafficRouting{
			v1alpha1.GatewayAPIPlugin: {HTTPRoute: ro.Name, Namespace: ro.Namespace},
		}}
	}
}

// eachRouter runs test once with each router, as a subtest named after it. The plan
// does not know the router (gather reports what it observed); what differs is the spec
// the plan validates and carries.
func eachRouter(t *testing.T, test func(t *testing.T, withRouter rolloutOpt)) {
	for name, opt := range map[string]rolloutOpt{"nginx": withNginx(), "gatewayAPI": withGatewayAPI()} {
		t.Run(name, func(t *testing.T) { test(t, opt) })
	}
}

func withReplicas(n int32) rolloutOpt {
	return func(ro *v1alpha1.Rollout) { ro.Spec.Replicas = int32p(n) }
}

func withCanary(f func(*v1alpha1.CanaryStrategy)) rolloutOpt {
	return func(ro *v1alpha1.Rollout) { f(ro.Spec.Strategy.Canary) }
}

func setWeight(w int32) v1alpha1.CanaryStep { return v1alpha1.CanaryStep{SetWeight: int32p(w)} }
func pause() v1alpha1.CanaryStep            { return v1alpha1.CanaryStep{Pause: &v1alpha1.RolloutPause{}} }
func pauseFor(d string) v1alpha1.CanaryStep {
	v := intstr.FromString(d)
	return v1alpha1.CanaryStep{Pause: &v1alpha1.RolloutPause{Duration: &v}}
}
func canaryScale(cs v1alpha1.SetCanaryScale) v1alpha1.CanaryStep {
	return v1alpha1.CanaryStep{SetCanaryScale: &cs}
}

// switchViolation names a broken blue-green invariant that action a would cause: the
// active Service moving to a ReplicaSet that is not fully available (invariant 4). The
// first rollout, with nothing available anywhere, is exempt.
func (s *sim) switchViolation(a Action) string {
	bg := s.ro.Spec.Strategy.BlueGreen
	if bg == nil || a.SetSelector == nil || a.SetSelector.Service != bg.ActiveService || a.SetSelector.Hash == "" {
		return ""
	}
	if cur := s.rsOfService(bg.ActiveService); cur != nil && hashOf(cur) == a.SetSelector.Hash {
		return ""
	}
	anyAvailable := false
	for _, rs := range s.rss {
		anyAvailable = anyAvailable || rs.Status.AvailableReplicas > 0
	}
	for _, rs := range s.rss {
		if hashOf(rs) == a.SetSelector.Hash {
			if anyAvailable && (rs.Status.AvailableReplicas < desiredReplicas(s.ro) || replicasOf(rs) != desiredReplicas(s.ro)) {
				return fmt.Sprintf("invariant 4 broken: active switched to %s with %d/%d available", rs.Name, rs.Status.AvailableReplicas, desiredReplicas(s.ro))
			}
			return ""
		}
	}
	return "invariant 4 broken: active switched to a ReplicaSet that does not exist"
}

func blueGreen(mutate ...func(*v1alpha1.BlueGreenStrategy)) rolloutOpt {
	return func(ro *v1alpha1.Rollout) {
		bg := &v1alpha1.BlueGreenStrategy{ActiveService: "web-active", PreviewService: "web-preview"}
		for _, m := range mutate {
			m(bg)
		}
		ro.Spec.Strategy = v1alpha1.RolloutStrategy{BlueGreen: bg}
	}
}
