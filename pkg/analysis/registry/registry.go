// Package registry is the one place that knows the metric provider implementations: it
// pairs each provider.Spec (name, selection, validation, description) with the
// constructor of its Provider. Only this package imports pkg/analysis/prometheus, web and
// job; the AnalysisRun controller builds its providers here, and everything else reads
// the specs in pkg/analysis/provider.
package registry

import (
	"fmt"

	"k8s.io/client-go/kubernetes"
	batchlisters "k8s.io/client-go/listers/batch/v1"

	"github.com/serin-dev/serin/pkg/analysis/job"
	"github.com/serin-dev/serin/pkg/analysis/prometheus"
	"github.com/serin-dev/serin/pkg/analysis/provider"
	"github.com/serin-dev/serin/pkg/analysis/web"
)

// Deps are what the providers are built from.
type Deps struct {
	Kube kubernetes.Interface
	// Jobs lists the Jobs labelled JobLabel (the job provider reads its Jobs there).
	Jobs batchlisters.JobLister
}

// JobLabel is on every Job the job provider creates: the AnalysisRun controller watches
// only Jobs that carry it.
const JobLabel = job.RunLabel

// Entry is one provider: what is known of it without running it, and how to build it.
type Entry struct {
	provider.Spec
	New func(Deps) provider.Provider
}

// constructors build the provider of each spec, by name.
var constructors = map[provider.Type]func(Deps) provider.Provider{
	provider.Prometheus: func(Deps) provider.Provider { return prometheus.New() },
	provider.Web:        func(Deps) provider.Provider { return web.New() },
	provider.Job:        func(d Deps) provider.Provider { return job.New(d.Kube, d.Jobs) },
}

// Entries returns every provider, in the order of provider.Specs.
func Entries() []Entry {
	specs := provider.Specs()
	out := make([]Entry, 0, len(specs))
	for _, s := range specs {
		newFn, ok := constructors[s.Type]
		if !ok {
			// A spec without an implementation is a programming error, caught by the tests.
			panic(fmt.Sprintf("metric provider %q has no constructor", s.Type))
		}
		out = append(out, Entry{Spec: s, New: newFn})
	}
	return out
}

// Providers builds every provider from d.
func Providers(d Deps) provider.Registry {
	reg := provider.Registry{}
	for _, e := range Entries() {
		reg[e.Type] = e.New(d)
	}
	return reg
}
