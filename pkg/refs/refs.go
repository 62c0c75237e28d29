// Package refs is the one list of what a Rollout refers to by name: its Services, the
// analysis templates its analysis uses and the objects its traffic router reads or writes.
// The controller gathers and watches exactly these, the plan checks that the Services
// exist, the preview and the plugin read them from manifests or the cluster.
//
// Of reads the Rollout's spec alone and leaves Refs.Router empty: which objects a router
// uses is that router's own knowledge, and pkg/plan, which imports refs, must not import
// the routers (they import pkg/plan). trafficrouting.Refs is Of with Router filled in by
// the router entry the Rollout selects; use it wherever the router's objects matter.
package refs

import (
	"github.com/serin-dev/serin/pkg/apis/rollouts/v1alpha1"
)

// KindService is the Kind of a Rollout's Services.
const KindService = "Service"

// Roles of the objects a Rollout refers to.
const (
	RoleStable  = "stable"
	RoleCanary  = "canary"
	RoleActive  = "active"
	RolePreview = "preview"
)

// Object is one object a Rollout refers to, in the Rollout's namespace.
type Object struct {
	// Kind is the object's kind: "Service", or a router's ("Ingress").
	Kind string
	Name string
	// Role is what the object is to the Rollout: stable, canary, active or preview.
	Role string
	// Written is set on the objects a router writes (and the Rollout owns, e.g. a canary
	// Ingress); the others it only reads (e.g. the user's stable Ingress).
	Written bool
}

// Refs is what a Rollout refers to. Names are never empty.
type Refs struct {
	// Services are the canary strategy's stable and canary Services, or the blue-green
	// strategy's active and preview Services, in that order, those the spec sets.
	Services []Object
	// Templates are the analysis templates of the analysis steps, the background
	// analysis and the blue-green pre- and post-promotion analysis, each once.
	Templates []v1alpha1.AnalysisTemplateRef
	// Router are the objects the Rollout's traffic router reads or writes (nginx: each
	// stable Ingress and its canary Ingress). Of leaves it empty; see trafficrouting.Refs.
	Router []Object
}

// Of is what ro's spec refers to, but for its router's objects (see the package doc).
func Of(ro *v1alpha1.Rollout) Refs {
	var r Refs
	add := func(name, role string) {
		if name != "" {
			r.Services = append(r.Services, Object{Kind: KindService, Name: name, Role: role})
		}
	}
	s := ro.Spec.Strategy
	if c := s.Canary; c != nil {
		add(c.StableService, RoleStable)
		add(c.CanaryService, RoleCanary)
	}
	if bg := s.BlueGreen; bg != nil {
		add(bg.ActiveService, RoleActive)
		add(bg.PreviewService, RolePreview)
	}
	r.Templates = templates(ro)
	return r
}

// templates are the analysis templates ro names, each once, in spec order.
func templates(ro *v1alpha1.Rollout) []v1alpha1.AnalysisTemplateRef {
	var analyses []*v1alpha1.RolloutAnalysis
	if bg := ro.Spec.Strategy.BlueGreen; bg != nil {
		analyses = append(analyses, bg.PrePromotionAnalysis, bg.PostPromotionAnalysis)
	}
	if c := ro.Spec.Strategy.Canary; c != nil {
		for _, s := range c.Steps {
			analyses = append(analyses, s.Analysis)
		}
		if c.Analysis != nil {
			analyses = append(analyses, &c.Analysis.RolloutAnalysis)
		}
	}
	var out []v1alpha1.AnalysisTemplateRef
	seen := map[v1alpha1.AnalysisTemplateRef]bool{}
	for _, a := range analyses {
		if a == nil {
			continue
		}
		for _, t := range a.Templates {
			if t.TemplateName != "" && !seen[t] {
				seen[t] = true
				out = append(out, t)
			}
		}
	}
	return out
}

// ServiceNames are the names of r.Services, each once.
func (r Refs) ServiceNames() []string { return names(r.Services) }

// RouterNames are the names of the router's objects of kind, each once.
func (r Refs) RouterNames(kind string) []string {
	var of []Object
	for _, o := range r.Router {
		if o.Kind == kind {
			of = append(of, o)
		}
	}
	return names(of)
}

func names(objs []Object) []string {
	var out []string
	seen := map[string]bool{}
	for _, o := range objs {
		if !seen[o.Name] {
			seen[o.Name] = true
			out = append(out, o.Name)
		}
	}
	return out
}
