package plan

import (
	"fmt"
	"maps"
	"reflect"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/serin-dev/serin/pkg/apis/rollouts/v1alpha1"
)

// sim is a tiny cluster for plan tests: it applies a plan's actions one by one, checking
// the safety invariants after each write, and lets pods become ready (or not) and time
// pass. It plays the apiserver, the ReplicaSet controller and the traffic router.
type sim struct {
	t         *testing.T
	ro        *v1alpha1.Rollout
	rss       []*appsv1.ReplicaSet
	svcs      map[string]*corev1.Service
	traffic   *TrafficState
	now       time.Time
	notReady  map[string]bool          // images whose pods never become ready
	events    []string                 // reasons of every event, in order
	weights   []int32                  // every canary weight written, in order
	podsOf    map[string][]*corev1.Pod // by ReplicaSet name
	evicted   []string
	runs      []*v1alpha1.AnalysisRun // AnalysisRuns, in creation order
	templates map[string]*v1alpha1.AnalysisTemplate
	oneWay    oneWay // what the traffic-moves-one-way check needs (oneway_test.go)
}

var t0 = time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)

func newSim(t *testing.T, ro *v1alpha1.Rollout) *sim {
	s := &sim{t: t, ro: ro, svcs: map[string]*corev1.Service{}, now: t0, notReady: map[string]bool{}, podsOf: map[string][]*corev1.Pod{}}
	var names []string
	if c := ro.Spec.Strategy.Canary; c != nil {
		names = []string{c.StableService, c.CanaryService}
	}
	if bg := ro.Spec.Strategy.BlueGreen; bg != nil {
		names = []string{bg.ActiveService, bg.PreviewService}
	}
	{
		for _, name := range names {
			if name != "" {
				s.svcs[name] = &corev1.Service{ObjectMeta: metav1.ObjectMeta{Name: name},
					Spec: corev1.ServiceSpec{Selector: map[string]string{"app": ro.Name}}}
			}
		}
	}
	return s
}

func (s *sim) input() Input {
	var pods []*corev1.Pod
	for _, rs := range s.rss {
		for _, pod := range s.podsOf[rs.Name] {
			pods = append(pods, pod.DeepCopy())
		}
	}
	in := Input{Rollout: s.ro.DeepCopy(), Services: s.copySvcs(), Traffic: s.copyTraffic(), Pods: pods, Now: s.now,
		AnalysisTemplates: s.templates}
	for _, run := range s.runs {
		in.AnalysisRuns = append(in.AnalysisRuns, run.DeepCopy())
	}
	for _, rs := range s.copyRSs() {
		switch ref := metav1.GetControllerOf(rs); {
		case ref == nil:
			in.Orphans = append(in.Orphans, rs)
		case ref.UID == s.ro.UID:
			in.ReplicaSets = append(in.ReplicaSets, rs)
		}
	}
	return in
}

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
			s.t.Fatalf("%s: action %d of %d (%s)", v, i+1, len(actions), describeAction(a))
		}
		if v := s.oneWayViolation(a); v != "" {
			s.t.Fatalf("%s: action %d of %d (%s)", v, i+1, len(actions), describeAction(a))
		}
		s.apply(a)
		if v := s.violation(); v != "" && clean {
			s.t.Fatalf("%s after action %d of %d (%s)", v, i+1, len(actions), describeAction(a))
		}
	}
	if v := s.violation(); v != "" {
		s.t.Fatalf("%s after the plan %v", v, actions)
	}
}

func (s *sim) podsUp() {
	for _, rs := range s.rss {
		n := replicasOf(rs)
		s.syncPods(rs)
		rs.Status.Replicas = n
		rs.Status.ObservedGeneration = rs.Generation
		if s.notReady[rs.Spec.Template.Spec.Containers[0].Image] {
			rs.Status.ReadyReplicas, rs.Status.AvailableReplicas = 0, 0
		} else {
			rs.Status.ReadyReplicas, rs.Status.AvailableReplicas = n, n
		}
	}
}

// syncPods plays the ReplicaSet controller: pods are created (at now) or removed (newest
// first) to match the ReplicaSet's replicas.
func (s *sim) syncPods(rs *appsv1.ReplicaSet) {
	var pods []*corev1.Pod
	for _, pod := range s.podsOf[rs.Name] {
		if pod.DeletionTimestamp == nil { // terminating pods are gone by now
			pods = append(pods, pod)
		}
	}
	ready := corev1.ConditionTrue
	if s.notReady[rs.Spec.Template.Spec.Containers[0].Image] {
		ready = corev1.ConditionFalse
	}
	for int32(len(pods)) < replicasOf(rs) {
		// Pods carry the template's metadata at the time they are created.
		pods = append(pods, &corev1.Pod{
			ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("%s-%d", rs.Name, s.podSeq()), CreationTimestamp: metav1.NewTime(s.now),
				Labels: maps.Clone(rs.Spec.Template.Labels), Annotations: maps.Clone(rs.Spec.Template.Annotations)},
		})
	}
	pods = pods[:replicasOf(rs)]
	for _, pod := range pods {
		pod.Status.Conditions = []corev1.PodCondition{{Type: corev1.PodReady, Status: ready}}
	}
	s.podsOf[rs.Name] = pods
}

var podCounter int

func (s *sim) podSeq() int { podCounter++; return podCounter }

func (s *sim) advance(d time.Duration) { s.now = s.now.Add(d) }

func (s *sim) metaNow() metav1.Time { return metav1.NewTime(s.now) }

func (s *sim) apply(a Action) {
	switch {
	case a.CreateReplicaSet != nil:
		if s.rsByName(a.CreateReplicaSet.Name) == nil {
			rs := a.CreateReplicaSet.DeepCopy()
			rs.Generation = 1
			apiserverDefaults(&rs.Spec.Template)
			s.rss = append(s.rss, rs)
		}
	case a.ScaleReplicaSet != nil:
		rs := s.rsByName(a.ScaleReplicaSet.Name)
		if replicasOf(rs) != a.ScaleReplicaSet.Replicas {
			rs.Spec.Replicas = int32p(a.ScaleReplicaSet.Replicas)
			rs.Generation++
		}
	case a.AnnotateRS != nil:
		rs := s.rsByName(a.AnnotateRS.Name)
		for k, v := range a.AnnotateRS.Annotations {
			if v == nil {
				delete(rs.Annotations, k)
			} else {
				rs.Annotations[k] = *v
			}
		}
	case a.SetSelector != nil:
		svc := s.svcs[a.SetSelector.Service]
		if a.SetSelector.Hash == "" {
			delete(svc.Spec.Selector, v1alpha1.DefaultRolloutUniqueLabelKey)
		} else {
			svc.Spec.Selector[v1alpha1.DefaultRolloutUniqueLabelKey] = a.SetSelector.Hash
		}
	case a.DeleteReplicaSet != nil:
		for i, rs := range s.rss {
			if rs.Name == *a.DeleteReplicaSet {
				s.rss = append(s.rss[:i], s.rss[i+1:]...)
				break
			}
		}
	case a.AdoptReplicaSet != nil:
		rs := s.rsByName(*a.AdoptReplicaSet)
		rs.OwnerReferences = []metav1.OwnerReference{*metav1.NewControllerRef(s.ro, v1alpha1.SchemeGroupVersion.WithKind("Rollout"))}
	case a.EvictPod != nil:
		// The pod starts terminating; the ReplicaSet's status does not show it yet (as on
		// a real cluster, where the ReplicaSet controller catches up later).
		for _, rs := range s.rss {
			for _, pod := range s.podsOf[rs.Name] {
				if pod.Name == *a.EvictPod && pod.DeletionTimestamp == nil {
					t := metav1.NewTime(s.now)
					pod.DeletionTimestamp = &t
					s.evicted = append(s.evicted, pod.Name)
				}
			}
		}
	case a.SetPodMetadata != nil:
		m := a.SetPodMetadata
		if m.ReplicaSet != "" {
			rs := s.rsByName(m.ReplicaSet)
			rs.Spec.Template.Labels = applyKeys(rs.Spec.Template.Labels, m.Labels)
			rs.Spec.Template.Annotations = applyKeys(rs.Spec.Template.Annotations, m.Annotations)
			rs.Generation++
			return
		}
		for _, rs := range s.rss {
			for _, pod := range s.podsOf[rs.Name] {
				if pod.Name == m.Pod {
					pod.Labels = applyKeys(pod.Labels, m.Labels)
					pod.Annotations = applyKeys(pod.Annotations, m.Annotations)
				}
			}
		}
	case a.CreateAnalysisRun != nil:
		if s.run(a.CreateAnalysisRun.Name) == nil {
			run := a.CreateAnalysisRun.DeepCopy()
			run.CreationTimestamp = s.metaNow()
			s.runs = append(s.runs, run)
		}
	case a.TerminateAnalysisRun != nil:
		// The AnalysisRun controller ends a terminated run Successful unless it failed.
		if run := s.run(*a.TerminateAnalysisRun); run != nil {
			run.Spec.Terminate = true
			if !run.Status.Phase.Completed() {
				run.Status.Phase = v1alpha1.AnalysisPhaseSuccessful
			}
		}
	case a.DeleteAnalysisRun != nil:
		for i, run := range s.runs {
			if run.Name == *a.DeleteAnalysisRun {
				s.runs = append(s.runs[:i], s.runs[i+1:]...)
				break
			}
		}
	case a.SetTraffic != nil:
		if s.traffic != nil && s.traffic.Problem != "" {
			return // the router cannot act: the write fails and nothing changes
		}
		if s.traffic == nil || s.traffic.CanaryWeight != a.SetTraffic.CanaryWeight {
			s.weights = append(s.weights, a.SetTraffic.CanaryWeight)
			s.weightWritten(a.SetTraffic.CanaryWeight)
		}
		s.traffic = &TrafficState{CanaryWeight: a.SetTraffic.CanaryWeight, HeaderRoutes: a.SetTraffic.HeaderRoutes}
	default:
		s.t.Fatalf("unexpected action %+v", a)
	}
}

// apiserverDefaults fills in what the apiserver adds to a ReplicaSet's pod template (and
// not to a Rollout's, a custom resource).
func apiserverDefaults(t *corev1.PodTemplateSpec) {
	t.Spec.RestartPolicy = corev1.RestartPolicyAlways
	t.Spec.DNSPolicy = corev1.DNSClusterFirst
	t.Spec.SchedulerName = corev1.DefaultSchedulerName
	t.Spec.SecurityContext = &corev1.PodSecurityContext{}
	grace := int64(30)
	t.Spec.TerminationGracePeriodSeconds = &grace
	for i := range t.Spec.Containers {
		t.Spec.Containers[i].ImagePullPolicy = corev1.PullIfNotPresent
		t.Spec.Containers[i].TerminationMessagePath = corev1.TerminationMessagePathDefault
		t.Spec.Containers[i].TerminationMessagePolicy = corev1.TerminationMessageReadFile
	}
}

// violation names a broken safety invariant of DESIGN.md, or is "".
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

func (s *sim) rsByName(name string) *appsv1.ReplicaSet {
	for _, rs := range s.rss {
		if rs.Name == name {
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

// run is the AnalysisRun of that name, or nil.
func (s *sim) run(name string) *v1alpha1.AnalysisRun {
	for _, run := range s.runs {
		if run.Name == name {
			return run
		}
	}
	return nil
}

func (s *sim) copyRSs() []*appsv1.ReplicaSet {
	out := make([]*appsv1.ReplicaSet, len(s.rss))
	for i, rs := range s.rss {
		out[i] = rs.DeepCopy()
	}
	return out
}

func (s *sim) copySvcs() map[string]*corev1.Service {
	out := map[string]*corev1.Service{}
	for k, v := range s.svcs {
		out[k] = v.DeepCopy()
	}
	return out
}

func (s *sim) copyTraffic() *TrafficState {
	if s.traffic == nil {
		return nil
	}
	t := *s.traffic
	return &t
}

func describeAction(a Action) string {
	switch {
	case a.CreateReplicaSet != nil:
		return "create " + a.CreateReplicaSet.Name
	case a.ScaleReplicaSet != nil:
		return fmt.Sprintf("scale %s to %d", a.ScaleReplicaSet.Name, a.ScaleReplicaSet.Replicas)
	case a.AnnotateRS != nil:
		return "annotate " + a.AnnotateRS.Name
	case a.SetSelector != nil:
		return fmt.Sprintf("select %s on %s", a.SetSelector.Hash, a.SetSelector.Service)
	case a.SetTraffic != nil:
		return fmt.Sprintf("weight %d", a.SetTraffic.CanaryWeight)
	case a.DeleteReplicaSet != nil:
		return "delete " + *a.DeleteReplicaSet
	case a.EvictPod != nil:
		return "evict " + *a.EvictPod
	case a.AdoptReplicaSet != nil:
		return "adopt " + *a.AdoptReplicaSet
	case a.SetPodMetadata != nil:
		return "role metadata " + a.SetPodMetadata.ReplicaSet + a.SetPodMetadata.Pod
	case a.CreateAnalysisRun != nil:
		return "create run " + a.CreateAnalysisRun.Name
	case a.TerminateAnalysisRun != nil:
		return "terminate run " + *a.TerminateAnalysisRun
	case a.DeleteAnalysisRun != nil:
		return "delete run " + *a.DeleteAnalysisRun
	}
	return "?"
}

// --- builders ---

type rolloutOpt func(*v1alpha1.Rollout)

func rollout(name string, opts ...rolloutOpt) *v1alpha1.Rollout {
	ro := &v1alpha1.Rollout{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "ns", UID: "uid-" + "web", Generation: 1},
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
