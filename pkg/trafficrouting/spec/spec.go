// Package spec holds what Serin knows of each traffic router without running it: its
// name, how a Rollout's spec.strategy.canary.trafficRouting selects it, and the rules
// its fields and the setHeaderRoute steps it applies must follow.
//
// It imports only the API types, so that pkg/validation can check a Rollout against the
// router it selects (pkg/validation sits below the plan, and the routers above it).
// pkg/trafficrouting's registry pairs each spec with the router's implementation; a new
// router adds its spec here (one file, as nginx.go) and its entry there.
package spec

import (
	"slices"
	"strings"

	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/serin-dev/serin/pkg/apis/rollouts/v1alpha1"
)

// Spec is what is known of a traffic router without running it.
type Spec struct {
	// Name is the router's name: the field of trafficRouting that selects it ("nginx").
	Name string
	// Field is the field of trafficRouting that selects it ("nginx",
	// "plugins.argoproj-labs/gatewayAPI"), for messages.
	Field string
	// Selected reports whether tr selects this router.
	Selected func(tr *v1alpha1.RolloutTrafficRouting) bool
	// Validate returns the problems of this router's fields in tr; p is the path of
	// trafficRouting. It is called only when tr selects this router alone.
	Validate func(p *field.Path, tr *v1alpha1.RolloutTrafficRouting) field.ErrorList
	// ValidateHeaderRoute returns what in a setHeaderRoute step this router cannot apply;
	// p is the path of the step's setHeaderRoute. Nil when the router does not route by
	// header, so that a Rollout selecting it may have no setHeaderRoute step.
	ValidateHeaderRoute func(p *field.Path, hr *v1alpha1.SetHeaderRoute) field.ErrorList
	// CELMessages are the messages of Validate's rules that the CRD's CEL rules give too.
	CELMessages []string
}

// specs are the routers Serin supports, one file each, in the order messages name them.
var specs = []Spec{Nginx, GatewayAPI}

// objectValue leaves the value out of an error about a whole object, as the apiserver
// does for a CEL rule (the same as pkg/validation's).
var objectValue = field.OmitValueType{}

// Specs returns every router's spec, in the order messages name them.
func Specs() []Spec { return slices.Clone(specs) }

// Selected returns the spec of every router tr selects; a valid trafficRouting selects
// exactly one. It returns none for a nil tr.
func Selected(tr *v1alpha1.RolloutTrafficRouting) []Spec {
	if tr == nil {
		return nil
	}
	var out []Spec
	for _, s := range specs {
		if s.Selected(tr) {
			out = append(out, s)
		}
	}
	return out
}

// HeaderRouters returns the spec of every router that routes by header (setHeaderRoute).
func HeaderRouters() []Spec {
	var out []Spec
	for _, s := range specs {
		if s.ValidateHeaderRoute != nil {
			out = append(out, s)
		}
	}
	return out
}

// Names lists the routers of ss for a message: "nginx", "a or b", "a, b or c".
func Names(ss []Spec) string {
	names := make([]string, len(ss))
	for i, s := range ss {
		names[i] = s.Name
	}
	if len(names) < 2 {
		return strings.Join(names, "")
	}
	return strings.Join(names[:len(names)-1], ", ") + " or " + names[len(names)-1]
}
