package provider

import (
	"fmt"
	"slices"
	"strings"

	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/serin-dev/serin/pkg/apis/rollouts/v1alpha1"
)

// Spec is what is known of a provider kind without running it. One Spec per provider,
// in specs (builtin.go); pkg/analysis/registry pairs each with its constructor.
type Spec struct {
	// Type is the provider's name: the field of metrics[].provider that selects it.
	Type Type
	// Uses reports whether mp selects this provider.
	Uses func(mp *v1alpha1.MetricProvider) bool
	// Validate returns the problems of this provider's fields in mp; p is the path of
	// metrics[].provider. It is called only when mp selects this provider alone.
	Validate func(p *field.Path, mp *v1alpha1.MetricProvider) field.ErrorList
	// Describe says in one line what a metric of this provider measures (its query, its
	// request, its Job's images), for the plugin and the dashboard.
	Describe func(m *v1alpha1.Metric) string
}

// Specs returns every provider's spec, in the order messages name them.
func Specs() []Spec { return slices.Clone(specs) }

// Using returns the spec of every provider mp selects; a valid metric selects exactly one.
func Using(mp *v1alpha1.MetricProvider) []Spec {
	var out []Spec
	for _, s := range specs {
		if s.Uses(mp) {
			out = append(out, s)
		}
	}
	return out
}

// SpecOf returns the spec of the provider metric m uses; an error when it selects none or
// more than one.
func SpecOf(m *v1alpha1.Metric) (Spec, error) {
	using := Using(&m.Provider)
	if len(using) != 1 {
		return Spec{}, fmt.Errorf("metric %q: provider must set exactly one of %s (found %d)", m.Name, Names(), len(using))
	}
	return using[0], nil
}

// NameOf is the name of the (first) provider mp selects, "" when it selects none.
func NameOf(mp *v1alpha1.MetricProvider) string {
	if using := Using(mp); len(using) > 0 {
		return string(using[0].Type)
	}
	return ""
}

// Describe is the one-line description of what m measures, "" when m selects no provider.
func Describe(m *v1alpha1.Metric) string {
	if using := Using(&m.Provider); len(using) > 0 {
		return using[0].Describe(m)
	}
	return ""
}

// Names lists the providers for a message: "prometheus, web or job".
func Names() string {
	names := make([]string, len(specs))
	for i, s := range specs {
		names[i] = string(s.Type)
	}
	if len(names) < 2 {
		return strings.Join(names, "")
	}
	return strings.Join(names[:len(names)-1], ", ") + " or " + names[len(names)-1]
}
