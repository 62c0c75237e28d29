package dashboard

import (
	"strings"

	"github.com/serin-dev/serin/pkg/rolloutview"
)

func strategyOf(m rolloutview.View) Strategy {
	switch {
	case m.Canary != nil:
		c := m.Canary
		return Strategy{Kind: "canary", StableService: c.StableService, CanaryService: c.CanaryService,
			TrafficRouting: c.Router, MaxSurge: c.MaxSurge, MaxUnavailable: c.MaxUnavailable}
	case m.BlueGreen != nil:
		out := Strategy{Kind: "blueGreen", ActiveService: m.BlueGreen.Active.Service}
		if p := m.BlueGreen.Preview; p != nil {
			out.PreviewService = p.Service
		}
		return out
	}
	return Strategy{Kind: "unknown"}
}

// steps lays out the canary steps and the header routes they set; none for blue-green.
func steps(c *rolloutview.Canary) ([]StepView, []HeaderRoute) {
	out, routes := []StepView{}, []HeaderRoute{}
	if c == nil {
		return out, routes
	}
	for _, s := range c.Steps {
		out = append(out, StepView{Index: s.Index, Kind: s.Kind, Text: stepText(s), State: s.State})
	}
	for _, r := range c.HeaderRoutes {
		routes = append(routes, HeaderRoute(r))
	}
	return out, routes
}

// stepText is the step's description (plan.DescribeStep, via the model) with what the
// page adds for a reader: the unit of its number ("setWeight 20%", "pause 30s"), "until
// promoted" after a pause without a duration, an analysis step's templates.
func stepText(s rolloutview.Step) string {
	text := s.Description + s.Unit
	if s.UntilPromoted {
		text += " until promoted"
	}
	if len(s.Templates) > 0 {
		text += " " + strings.Join(s.Templates, ", ")
	}
	return text
}
