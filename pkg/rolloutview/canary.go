package rolloutview

import (
	"fmt"

	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/serin-dev/serin/pkg/apis/rollouts/v1alpha1"
	"github.com/serin-dev/serin/pkg/plan"
	"github.com/serin-dev/serin/pkg/trafficrouting"
)

// Canary is what a canary rollout shows besides its weights: Services, router, surge,
// the steps with their state and the header routes they set.
type Canary struct {
	StableService string `json:"stableService,omitempty"`
	CanaryService string `json:"canaryService,omitempty"`
	// Router names the traffic router and the objects it writes, e.g. "nginx (Ingress
	// web)"; "" without traffic routing.
	Router         string `json:"router,omitempty"`
	MaxSurge       string `json:"maxSurge,omitempty"`
	MaxUnavailable string `json:"maxUnavailable,omitempty"`
	// StepIndex is status.currentStepIndex; nil before the controller set it.
	StepIndex    *int32        `json:"stepIndex,omitempty"`
	Steps        []Step        `json:"steps,omitempty"`
	HeaderRoutes []HeaderRoute `json:"headerRoutes,omitempty"`
}

// Step is one canary step and how far the rollout is with it.
type Step struct {
	Index int    `json:"index"`
	Kind  string `json:"kind"` // setWeight, pause, analysis, setCanaryScale, setHeaderRoute
	// Description is the step as events and status messages say it (plan.DescribeStep):
	// "setWeight 20", "pause 30s", "pause".
	Description string `json:"description"`
	// Unit is what the number that ends Description counts, for a renderer that shows it:
	// "%" for a weight, "s" for a pause given in bare seconds; "" otherwise.
	Unit string `json:"unit,omitempty"`
	// UntilPromoted: a pause without a duration, which waits for a promote.
	UntilPromoted bool `json:"untilPromoted,omitempty"`
	// Templates are an analysis step's AnalysisTemplates.
	Templates []string `json:"templates,omitempty"`
	State     string   `json:"state"` // StepDone, StepCurrent, StepPending
}

// Step (and blue-green stage) states.
const (
	StepDone    = "done"
	StepCurrent = "current"
	StepPending = "pending"
)

// HeaderRoute is a setHeaderRoute step's route.
type HeaderRoute struct {
	Name    string   `json:"name"`
	Matches []string `json:"matches"` // "header X-Canary = yes", "cookie canary"
	Active  bool     `json:"active"`  // its step has run and the rollout is not done
}

func canary(ro *v1alpha1.Rollout) *Canary {
	c := ro.Spec.Strategy.Canary
	out := &Canary{StableService: c.StableService, CanaryService: c.CanaryService, Router: routerOf(ro),
		MaxSurge: intOrString(c.MaxSurge), MaxUnavailable: intOrString(c.MaxUnavailable), StepIndex: ro.Status.CurrentStepIndex}
	out.Steps, out.HeaderRoutes = steps(ro)
	return out
}

func intOrString(p *intstr.IntOrString) string {
	if p == nil {
		return ""
	}
	return p.String()
}

// routerOf names the Rollout's traffic router and its objects, as the router's registry
// entry describes them ("nginx (Ingress web)"); "" without one.
func routerOf(ro *v1alpha1.Rollout) string { return trafficrouting.Describe(ro) }

// steps are the canary steps with their state, and the header routes they set. Steps
// before status.currentStepIndex are done, the one at it current (done once the rollout
// is Healthy), the rest pending.
func steps(ro *v1alpha1.Rollout) ([]Step, []HeaderRoute) {
	all := ro.Spec.Strategy.Canary.Steps
	var out []Step
	var routes []HeaderRoute
	cur := -1
	if ro.Status.CurrentStepIndex != nil {
		cur = int(*ro.Status.CurrentStepIndex)
	}
	healthy := ro.Status.Phase == v1alpha1.RolloutPhaseHealthy
	for i := range all {
		s := &all[i]
		v := newStep(i, s)
		switch {
		case i < cur, i == cur && healthy:
			v.State = StepDone
		case i == cur:
			v.State = StepCurrent
		}
		out = append(out, v)
		if s.SetHeaderRoute != nil {
			routes = append(routes, HeaderRoute{Name: s.SetHeaderRoute.Name, Matches: headerMatches(s.SetHeaderRoute.Match),
				Active: i < cur && cur < len(all) && !ro.Status.Abort})
		}
	}
	return out, routes
}

func newStep(i int, s *v1alpha1.CanaryStep) Step {
	v := Step{Index: i, Description: plan.DescribeStep(s), State: StepPending}
	switch {
	case s.SetWeight != nil:
		v.Kind, v.Unit = "setWeight", "%"
	case s.Pause != nil:
		v.Kind = "pause"
		v.UntilPromoted = s.Pause.Duration == nil
		if d := s.Pause.Duration; d != nil && d.Type == intstr.Int {
			v.Unit = "s"
		}
	case s.Analysis != nil:
		v.Kind = "analysis"
		for _, t := range s.Analysis.Templates {
			v.Templates = append(v.Templates, t.TemplateName)
		}
	case s.SetCanaryScale != nil:
		v.Kind = "setCanaryScale"
		if s.SetCanaryScale.Replicas == nil && s.SetCanaryScale.Weight != nil {
			v.Unit = "%"
		}
	case s.SetHeaderRoute != nil:
		v.Kind = "setHeaderRoute"
	default:
		v.Kind = "unknown"
	}
	return v
}

// headerMatches renders matches as "header X-Canary = yes", never more than the spec has.
func headerMatches(ms []v1alpha1.HeaderRoutingMatch) []string {
	out := []string{}
	for _, m := range ms {
		switch {
		case m.CookieName != "":
			out = append(out, "cookie "+m.CookieName)
		case m.HeaderValue != nil:
			hv := m.HeaderValue
			switch {
			case hv.Exact != "":
				out = append(out, fmt.Sprintf("header %s = %s", m.HeaderName, hv.Exact))
			case hv.Prefix != "":
				out = append(out, fmt.Sprintf("header %s starts with %s", m.HeaderName, hv.Prefix))
			default:
				out = append(out, fmt.Sprintf("header %s matches /%s/", m.HeaderName, hv.Regex))
			}
		default:
			out = append(out, "header "+m.HeaderName)
		}
	}
	return out
}

// stepOf is "n/m": the step running (1-based) of m; "m/m" past the steps or before the
// controller set the index; "" without steps.
func stepOf(ro *v1alpha1.Rollout) string {
	n := len(ro.Spec.Strategy.Canary.Steps)
	if n == 0 {
		return ""
	}
	idx := n
	if p := ro.Status.CurrentStepIndex; p != nil {
		idx = min(int(*p), n)
	}
	return fmt.Sprintf("%d/%d", min(idx+1, n), n)
}

// weights are the canary weight the steps ask for and the one the controller reports
// routed (see View.SetWeight).
func weights(ro *v1alpha1.Rollout) (set, actual *int32) {
	c, st := ro.Spec.Strategy.Canary, &ro.Status
	maxW := int32(100)
	if c.TrafficRouting != nil && c.TrafficRouting.MaxTrafficWeight != nil {
		maxW = *c.TrafficRouting.MaxTrafficWeight
	}
	var w int32
	switch {
	case st.Abort:
	case st.StableRS != "" && st.StableRS == st.CurrentPodHash: // nothing in flight
		if st.Canary.Weights == nil {
			return &maxW, nil
		}
		return &maxW, &maxW
	case st.CurrentStepIndex == nil:
	default:
		w = plan.SetWeightAt(c.Steps, *st.CurrentStepIndex, maxW)
	}
	if ws := st.Canary.Weights; ws != nil {
		a := ws.Canary.Weight
		actual = &a
	}
	return &w, actual
}
