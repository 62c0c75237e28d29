package preview

import (
	"fmt"
	"maps"
	"sort"
	"strings"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	apiequality "k8s.io/apimachinery/pkg/api/equality"

	"github.com/serin-dev/serin/pkg/apis/rollouts/v1alpha1"
	"github.com/serin-dev/serin/pkg/plan"
	"github.com/serin-dev/serin/pkg/replicaset"
	"github.com/serin-dev/serin/pkg/trafficrouting/nginx"
	"github.com/serin-dev/serin/pkg/validation"
)

// maxSyncs bounds a simulation; a rollout of 100 steps needs a few hundred syncs.
const maxSyncs = 5000

// sim is the simulated cluster: it applies each plan's actions the way the cluster
// would, with every pod available at once.
type sim struct {
	ro               *v1alpha1.Rollout
	rss              map[string]*appsv1.ReplicaSet
	services         map[string]*corev1.Service
	ingresses        map[string]*networkingv1.Ingress
	traffic          *plan.TrafficState
	runs             map[string]*v1alpha1.AnalysisRun
	templates        map[string]*v1alpha1.AnalysisTemplate
	clusterTemplates map[string]*v1alpha1.ClusterAnalysisTemplate
	// written is set once the router was asked for a split: the canary Ingress exists.
	written bool
	now     time.Time
}

// Run previews rolling out c.Rollout's spec from the state c holds, starting at now.
func Run(c Cluster, now time.Time) (Preview, error) {
	ro := c.Rollout.DeepCopy()
	if ro.Spec.Strategy.Canary == nil {
		return Preview{}, fmt.Errorf("rollout %q: plan previews canary rollouts (spec.strategy.canary); this one has none", ro.Name)
	}
	s := &sim{ro: ro, rss: map[string]*appsv1.ReplicaSet{}, services: map[string]*corev1.Service{},
		ingresses: c.Ingresses, now: now, written: c.Traffic != nil, runs: map[string]*v1alpha1.AnalysisRun{},
		templates: c.AnalysisTemplates, clusterTemplates: c.ClusterAnalysisTemplates}
	for _, rs := range c.ReplicaSets {
		s.rss[rs.Name] = rs.DeepCopy()
	}
	for name, svc := range c.Services {
		s.services[name] = svc.DeepCopy()
	}
	if c.Traffic != nil {
		t := *c.Traffic
		s.traffic = &t
	}
	steps := ro.Spec.Strategy.Canary.Steps
	hash := replicaset.PodTemplateHash(&ro.Spec.Template, ro.Status.CollisionCount)
	pv := Preview{Rollout: ro.Name, Namespace: ro.Namespace, Revision: hash, Stable: ro.Status.StableRS}
	if hash == ro.Status.StableRS {
		pv.Notes = append(pv.Notes, "the template is that of the stable revision: no step runs")
	}
	recorded := map[int32]bool{}
	waits := map[int32]string{}
	for i := range steps {
		if pause := steps[i].Pause; pause != nil {
			waits[int32(i)] = "promote"
			if d, err := validation.PauseDuration(pause); err == nil && pause.Duration != nil {
				waits[int32(i)] = d.String()
			}
		}
		if a := steps[i].Analysis; a != nil {
			var names []string
			for _, t := range a.Templates {
				names = append(names, t.TemplateName)
			}
			waits[int32(i)] = "analysis " + strings.Join(names, ", ") + " (taken to succeed)"
		}
	}
	for range maxSyncs {
		oldIdx := index(s.ro)
		oldStatus := s.ro.Status.DeepCopy()
		p := plan.Next(s.input())
		if problem := invalid(p.Status); problem != "" {
			return pv, fmt.Errorf("rollout %q cannot run: %s", ro.Name, problem)
		}
		if p.Status.Abort {
			return pv, fmt.Errorf("rollout %q aborts (%s): %s", ro.Name, p.Status.Phase, p.Status.Message)
		}
		s.apply(p)
		// The step is done in this sync: the state it leaves is what this sync wrote (a
		// sync acts for the step it starts at; moving on only changes the status).
		after := s.state()
		if p.Status.CurrentPodHash == hash && hash != pv.Stable {
			for k := oldIdx; k < index(s.ro) && int(k) < len(steps); k++ {
				if !recorded[k] {
					recorded[k] = true
					pv.Steps = append(pv.Steps, Step{Number: k + 1, Step: describe(&steps[k]), Waits: waits[k], State: after})
				}
			}
		}
		if findPause(s.ro) && p.RequeueAfter == 0 {
			// An indefinite pause: promote it, as an operator would.
			s.ro.Status.PauseConditions = nil
			continue
		}
		settled := len(p.Actions) == 0 && apiequality.Semantic.DeepEqual(*oldStatus, s.ro.Status)
		switch {
		case settled && p.RequeueAfter == 0 && s.ro.Status.StableRS == hash:
			pv.Promoted = s.state()
			return pv, nil
		case settled && p.RequeueAfter == 0:
			return pv, fmt.Errorf("rollout %q does not move on at step %d: %s %s", ro.Name, index(s.ro)+1, s.ro.Status.Phase, s.ro.Status.Message)
		case len(p.Actions) == 0 && p.RequeueAfter > 0:
			s.now = s.now.Add(p.RequeueAfter)
		default:
			s.now = s.now.Add(time.Second)
		}
	}
	return pv, fmt.Errorf("rollout %q: the preview did not finish in %d syncs", ro.Name, maxSyncs)
}

func (s *sim) input() plan.Input {
	in := plan.Input{Rollout: s.ro, Services: s.services, Traffic: s.traffic, Now: s.now,
		AnalysisTemplates: s.templates, ClusterAnalysisTemplates: s.clusterTemplates}
	for _, name := range sortedKeys(s.runs) {
		in.AnalysisRuns = append(in.AnalysisRuns, s.runs[name])
	}
	for _, name := range sortedKeys(s.rss) {
		in.ReplicaSets = append(in.ReplicaSets, s.rss[name])
	}
	return in
}

// apply does what the controller and the cluster would: ReplicaSets get every pod they
// ask for, available at once.
func (s *sim) apply(p plan.Plan) {
	for _, a := range p.Actions {
		switch {
		case a.CreateReplicaSet != nil:
			rs := a.CreateReplicaSet.DeepCopy()
			s.rss[rs.Name] = rs
			available(rs)
		case a.ScaleReplicaSet != nil:
			if rs := s.rss[a.ScaleReplicaSet.Name]; rs != nil {
				n := a.ScaleReplicaSet.Replicas
				rs.Spec.Replicas = &n
				available(rs)
			}
		case a.AnnotateRS != nil:
			if rs := s.rss[a.AnnotateRS.Name]; rs != nil {
				for k, v := range a.AnnotateRS.Annotations {
					if rs.Annotations == nil {
						rs.Annotations = map[string]string{}
					}
					if v == nil {
						delete(rs.Annotations, k)
					} else {
						rs.Annotations[k] = *v
					}
				}
			}
		case a.DeleteReplicaSet != nil:
			delete(s.rss, *a.DeleteReplicaSet)
		case a.SetSelector != nil:
			if svc := s.services[a.SetSelector.Service]; svc != nil {
				if svc.Spec.Selector == nil {
					svc.Spec.Selector = map[string]string{}
				}
				if a.SetSelector.Hash == "" {
					delete(svc.Spec.Selector, v1alpha1.DefaultRolloutUniqueLabelKey)
				} else {
					svc.Spec.Selector[v1alpha1.DefaultRolloutUniqueLabelKey] = a.SetSelector.Hash
				}
			}
		case a.CreateAnalysisRun != nil:
			// Every run succeeds: a step's at once, a background one keeps running.
			run := a.CreateAnalysisRun.DeepCopy()
			run.Status.Phase = v1alpha1.AnalysisPhaseSuccessful
			if run.Labels[plan.LabelRunType] == plan.RunTypeBackground {
				run.Status.Phase = v1alpha1.AnalysisPhaseRunning
			}
			s.runs[run.Name] = run
		case a.TerminateAnalysisRun != nil:
			if run := s.runs[*a.TerminateAnalysisRun]; run != nil {
				run.Spec.Terminate = true
				run.Status.Phase = v1alpha1.AnalysisPhaseSuccessful
			}
		case a.DeleteAnalysisRun != nil:
			delete(s.runs, *a.DeleteAnalysisRun)
		case a.SetTraffic != nil:
			s.traffic = &plan.TrafficState{CanaryWeight: a.SetTraffic.CanaryWeight, HeaderRoutes: a.SetTraffic.HeaderRoutes}
			s.written = true
		case a.AddFinalizer != nil:
			s.ro.Finalizers = append(s.ro.Finalizers, *a.AddFinalizer)
		}
	}
	s.ro.Status = *p.Status.DeepCopy()
}

func available(rs *appsv1.ReplicaSet) {
	n := int32(0)
	if rs.Spec.Replicas != nil {
		n = *rs.Spec.Replicas
	}
	rs.Status.Replicas, rs.Status.ReadyReplicas, rs.Status.AvailableReplicas = n, n, n
	rs.Status.ObservedGeneration = rs.Generation
}

// state is what the simulated cluster holds now.
func (s *sim) state() State {
	st := State{ReplicaSets: []ReplicaSetSize{}}
	stable, current := s.ro.Status.StableRS, s.ro.Status.CurrentPodHash
	for _, name := range sortedKeys(s.rss) {
		rs := s.rss[name]
		if rs.Spec.Replicas == nil || *rs.Spec.Replicas == 0 {
			continue
		}
		role := "old"
		switch rs.Labels[v1alpha1.DefaultRolloutUniqueLabelKey] {
		case stable:
			role = "stable"
		case current:
			role = "canary"
		}
		st.ReplicaSets = append(st.ReplicaSets, ReplicaSetSize{Name: name, Role: role, Replicas: *rs.Spec.Replicas})
	}
	c := s.ro.Spec.Strategy.Canary
	if c.TrafficRouting != nil {
		w := int32(0)
		if s.traffic != nil {
			w = s.traffic.CanaryWeight
			st.HeaderRoutes = s.traffic.HeaderRoutes
		}
		maxW := int32(100)
		if c.TrafficRouting.MaxTrafficWeight != nil {
			maxW = *c.TrafficRouting.MaxTrafficWeight
		}
		sw := maxW - w
		st.CanaryWeight, st.StableWeight = &w, &sw
		if s.written {
			st.CanaryIngresses = s.canaryIngresses(w, st.HeaderRoutes)
		}
	}
	st.ServiceSelectors = map[string]map[string]string{}
	for _, name := range []string{c.StableService, c.CanaryService} {
		if svc := s.services[name]; svc != nil {
			st.ServiceSelectors[name] = maps.Clone(svc.Spec.Selector)
		}
	}
	return st
}

func (s *sim) canaryIngresses(weight int32, routes []v1alpha1.SetHeaderRoute) []*networkingv1.Ingress {
	var out []*networkingv1.Ingress
	for _, name := range sortedKeys(s.ingresses) {
		ing, err := nginx.DesiredCanaryIngress(s.ro, s.ingresses[name], plan.SetTraffic{CanaryWeight: weight, HeaderRoutes: routes})
		if err == nil {
			out = append(out, ing)
		}
	}
	return out
}

func index(ro *v1alpha1.Rollout) int32 {
	if ro.Status.CurrentStepIndex == nil {
		return 0
	}
	return *ro.Status.CurrentStepIndex
}

func findPause(ro *v1alpha1.Rollout) bool {
	for _, pc := range ro.Status.PauseConditions {
		if pc.Reason == v1alpha1.PauseReasonCanaryPauseStep {
			return true
		}
	}
	return false
}

// invalid is the InvalidSpec condition's message, "" without one.
func invalid(st v1alpha1.RolloutStatus) string {
	for _, c := range st.Conditions {
		if c.Type == v1alpha1.InvalidSpec && c.Status == corev1.ConditionTrue {
			return c.Message
		}
	}
	if st.Phase == v1alpha1.RolloutPhaseDegraded && st.Message != "" && !st.Abort {
		return st.Message
	}
	return ""
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
