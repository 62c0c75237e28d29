package dashboard

import (
	"fmt"
	"strings"

	"github.com/serin-dev/serin/pkg/apis/rollouts/v1alpha1"
)

func strategyOf(ro *v1alpha1.Rollout) Strategy {
	s := ro.Spec.Strategy
	switch {
	case s.Canary != nil:
		c := s.Canary
		out := Strategy{Kind: "canary", StableService: c.StableService, CanaryService: c.CanaryService}
		if c.MaxSurge != nil {
			out.MaxSurge = c.MaxSurge.String()
		}
		if c.MaxUnavailable != nil {
			out.MaxUnavailable = c.MaxUnavailable.String()
		}
		if tr := c.TrafficRouting; tr != nil && tr.Nginx != nil {
			ings := tr.Nginx.StableIngresses
			if tr.Nginx.StableIngress != "" {
				ings = append([]string{tr.Nginx.StableIngress}, ings...)
			}
			out.TrafficRouting = "nginx (Ingress " + strings.Join(ings, ", ") + ")"
		}
		return out
	case s.BlueGreen != nil:
		return Strategy{Kind: "blueGreen", ActiveService: s.BlueGreen.ActiveService,
			PreviewService: s.BlueGreen.PreviewService}
	}
	return Strategy{Kind: "unknown"}
}

func canarySteps(ro *v1alpha1.Rollout) []v1alpha1.CanaryStep {
	if ro.Spec.Strategy.Canary == nil {
		return nil
	}
	return ro.Spec.Strategy.Canary.Steps
}

// steps renders the canary steps with their state, and the header routes they set.
func steps(ro *v1alpha1.Rollout) ([]StepView, []HeaderRoute) {
	out, routes := []StepView{}, []HeaderRoute{}
	cur := -1
	if ro.Status.CurrentStepIndex != nil {
		cur = int(*ro.Status.CurrentStepIndex)
	}
	done := ro.Status.Phase == v1alpha1.RolloutPhaseHealthy
	for i, s := range canarySteps(ro) {
		v := StepView{Index: i, State: "pending"}
		switch {
		case i < cur:
			v.State = "done"
		case i == cur && !done:
			v.State = "current"
		case i == cur:
			v.State = "done"
		}
		v.Kind, v.Text = describeStep(s)
		out = append(out, v)
		if s.SetHeaderRoute != nil {
			routes = append(routes, HeaderRoute{Name: s.SetHeaderRoute.Name,
				Matches: headerMatches(s.SetHeaderRoute.Match),
				Active:  i < cur && cur < len(canarySteps(ro)) && !ro.Status.Abort})
		}
	}
	return out, routes
}

func describeStep(s v1alpha1.CanaryStep) (kind, text string) {
	switch {
	case s.SetWeight != nil:
		return "setWeight", fmt.Sprintf("setWeight %d%%", *s.SetWeight)
	case s.Pause != nil:
		if s.Pause.Duration == nil {
			return "pause", "pause until promoted"
		}
		d := s.Pause.Duration.String()
		if s.Pause.Duration.Type == 0 { // a number: seconds
			d += "s"
		}
		return "pause", "pause " + d
	case s.Analysis != nil:
		var names []string
		for _, t := range s.Analysis.Templates {
			names = append(names, t.TemplateName)
		}
		return "analysis", "analysis " + strings.Join(names, ", ")
	case s.SetCanaryScale != nil:
		c := s.SetCanaryScale
		switch {
		case c.Replicas != nil:
			return "setCanaryScale", fmt.Sprintf("setCanaryScale %d replicas", *c.Replicas)
		case c.Weight != nil:
			return "setCanaryScale", fmt.Sprintf("setCanaryScale %d%%", *c.Weight)
		}
		return "setCanaryScale", "setCanaryScale matchTrafficWeight"
	case s.SetHeaderRoute != nil:
		return "setHeaderRoute", "setHeaderRoute " + s.SetHeaderRoute.Name
	}
	return "unknown", "unknown step"
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

// setWeight is the canary weight the steps ask for at the current step: that of the last
// setWeight step reached; 0 before any, after an abort and when no canary is in flight;
// 100 once every step is done and the canary is not yet stable.
func setWeight(ro *v1alpha1.Rollout) *int32 {
	steps := canarySteps(ro)
	if ro.Spec.Strategy.Canary == nil {
		return nil
	}
	var w int32
	switch {
	case ro.Status.Abort:
	case ro.Status.StableRS != "" && ro.Status.StableRS == ro.Status.CurrentPodHash: // nothing in flight
	case ro.Status.CurrentStepIndex == nil:
	case int(*ro.Status.CurrentStepIndex) >= len(steps):
		w = 100
	default:
		for _, s := range steps[:*ro.Status.CurrentStepIndex+1] {
			if s.SetWeight != nil {
				w = *s.SetWeight
			}
		}
	}
	return &w
}
