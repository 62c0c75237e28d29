package preview

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apiequality "k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/serin-dev/serin/pkg/apis/rollouts/v1alpha1"
	"github.com/serin-dev/serin/pkg/plan"
	"github.com/serin-dev/serin/pkg/refs"
	"github.com/serin-dev/serin/pkg/replicaset"
	"github.com/serin-dev/serin/pkg/trafficrouting"
	"github.com/serin-dev/serin/pkg/validation"
)

// maxSyncs bounds a simulation; a rollout of 100 steps needs a few hundred syncs.
const maxSyncs = 5000

// sim is a preview's run over plan's simulated cluster, with what the preview adds: every
// pod available as soon as it is asked for, every analysis run successful (a background
// run keeps running), and the objects the traffic router reads to render what it writes.
type sim struct {
	c             *plan.SimCluster
	routerObjects []runtime.Object
}

// Run previews rolling out c.Rollout's spec from the state c holds, starting at now.
func Run(c Cluster, now time.Time) (Preview, error) {
	ro := c.Rollout.DeepCopy()
	if ro.Spec.Strategy.Canary == nil {
		return Preview{}, fmt.Errorf("rollout %q: plan previews canary rollouts (spec.strategy.canary); this one has none", ro.Name)
	}
	s := &sim{routerObjects: c.RouterObjects, c: plan.NewSimCluster(plan.SimObjects{
		Rollout: ro, ReplicaSets: c.ReplicaSets, Services: c.Services, Traffic: c.Traffic,
		AnalysisTemplates: c.AnalysisTemplates, ClusterAnalysisTemplates: c.ClusterAnalysisTemplates,
	}, now)}
	s.c.PodsUp()
	steps := ro.Spec.Strategy.Canary.Steps
	hash := replicaset.PodTemplateHash(&ro.Spec.Template, ro.Status.CollisionCount)
	pv := Preview{Rollout: ro.Name, Namespace: ro.Namespace, Revision: hash, Stable: ro.Status.StableRS}
	if hash == ro.Status.StableRS {
		pv.Notes = append(pv.Notes, "the template is that of the stable revision: no step runs")
	}
	recorded := map[int32]bool{}
	waits := stepWaits(steps)
	for range maxSyncs {
		oldIdx := index(ro)
		oldStatus := ro.Status.DeepCopy()
		p := plan.Next(s.c.Input())
		if problem := invalid(p.Status); problem != "" {
			return pv, fmt.Errorf("rollout %q cannot run: %s", ro.Name, problem)
		}
		if p.Status.Abort {
			return pv, fmt.Errorf("rollout %q aborts (%s): %s", ro.Name, p.Status.Phase, p.Status.Message)
		}
		if err := s.apply(p); err != nil {
			return pv, fmt.Errorf("rollout %q: %w", ro.Name, err)
		}
		// The step is done in this sync: the state it leaves is what this sync wrote (a
		// sync acts for the step it starts at; moving on only changes the status).
		after := s.state()
		if p.Status.CurrentPodHash == hash && hash != pv.Stable {
			for k := oldIdx; k < index(ro) && int(k) < len(steps); k++ {
				if !recorded[k] {
					recorded[k] = true
					pv.Steps = append(pv.Steps, Step{Number: k + 1, Step: describe(&steps[k]), Waits: waits[k], State: after})
				}
			}
		}
		if findPause(ro) && p.RequeueAfter == 0 {
			// An indefinite pause: promote it, as an operator would.
			ro.Status.PauseConditions = nil
			continue
		}
		settled := len(p.Actions) == 0 && apiequality.Semantic.DeepEqual(*oldStatus, ro.Status)
		switch {
		case settled && p.RequeueAfter == 0 && ro.Status.StableRS == hash:
			pv.Promoted = s.state()
			return pv, nil
		case settled && p.RequeueAfter == 0:
			return pv, fmt.Errorf("rollout %q does not move on at step %d: %s %s", ro.Name, index(ro)+1, ro.Status.Phase, ro.Status.Message)
		case len(p.Actions) == 0 && p.RequeueAfter > 0:
			s.c.Advance(p.RequeueAfter)
		default:
			s.c.Advance(time.Second)
		}
	}
	return pv, fmt.Errorf("rollout %q: the preview did not finish in %d syncs", ro.Name, maxSyncs)
}

// stepWaits is, by step index, what ends each pause and analysis step.
func stepWaits(steps []v1alpha1.CanaryStep) map[int32]string {
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
	return waits
}

// apply carries out p in the cluster, where every run succeeds (a step's at once, a
// background one keeps running) and every pod comes up, then writes p's status.
func (s *sim) apply(p plan.Plan) error {
	for _, a := range p.Actions {
		if err := s.c.Apply(a); err != nil {
			return err
		}
		if a.CreateAnalysisRun != nil {
			run := s.c.AnalysisRun(a.CreateAnalysisRun.Name)
			run.Status.Phase = v1alpha1.AnalysisPhaseSuccessful
			if run.Labels[plan.LabelRunType] == plan.RunTypeBackground {
				run.Status.Phase = v1alpha1.AnalysisPhaseRunning
			}
		}
	}
	s.c.PodsUp()
	s.c.Rollout().Status = *p.Status.DeepCopy()
	return nil
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
	ro := s.c.Rollout()
	st := State{ReplicaSets: []ReplicaSetSize{}}
	stable, current := ro.Status.StableRS, ro.Status.CurrentPodHash
	rss := slices.SortedFunc(slices.Values(s.c.ReplicaSets()), func(a, b *appsv1.ReplicaSet) int { return strings.Compare(a.Name, b.Name) })
	for _, rs := range rss {
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
		st.ReplicaSets = append(st.ReplicaSets, ReplicaSetSize{Name: rs.Name, Role: role, Replicas: *rs.Spec.Replicas})
	}
	c := ro.Spec.Strategy.Canary
	if c.TrafficRouting != nil {
		w := int32(0)
		traffic := s.c.Traffic()
		if traffic != nil {
			w = traffic.CanaryWeight
			st.HeaderRoutes = traffic.HeaderRoutes
		}
		maxW := int32(100)
		if c.TrafficRouting.MaxTrafficWeight != nil {
			maxW = *c.TrafficRouting.MaxTrafficWeight
		}
		sw := maxW - w
		st.CanaryWeight, st.StableWeight = &w, &sw
		if traffic != nil { // the router wrote a split: its objects exist
			st.RouterObjects = s.routerWrites(w, st.HeaderRoutes)
		}
	}
	st.ServiceSelectors = map[string]map[string]string{}
	for _, name := range refs.Of(ro).ServiceNames() {
		if svc := s.c.Service(name); svc != nil {
			st.ServiceSelectors[name] = maps.Clone(svc.Spec.Selector)
		}
	}
	return st
}

// routerWrites are the objects the router writes for the split, as unstructured objects
// with their kind, so that they read back from JSON.
func (s *sim) routerWrites(weight int32, routes []v1alpha1.SetHeaderRoute) []*unstructured.Unstructured {
	var out []*unstructured.Unstructured
	for _, obj := range trafficrouting.Render(s.c.Rollout(), s.routerObjects, plan.SetTraffic{CanaryWeight: weight, HeaderRoutes: routes}) {
		u, err := toUnstructured(obj)
		if err == nil {
			out = append(out, u)
		}
	}
	return out
}

func toUnstructured(obj runtime.Object) (*unstructured.Unstructured, error) {
	gvks, _, err := scheme.ObjectKinds(obj)
	if err != nil {
		return nil, err
	}
	m, err := runtime.DefaultUnstructuredConverter.ToUnstructured(obj)
	if err != nil {
		return nil, err
	}
	u := &unstructured.Unstructured{Object: m}
	u.SetGroupVersionKind(gvks[0])
	return u, nil
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
