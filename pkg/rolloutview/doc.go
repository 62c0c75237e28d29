// Package rolloutview is the one view model of a Rollout: what a person is shown about it,
// computed once, in words, from a Snapshot (the Rollout, its ReplicaSets, their pods, its
// AnalysisRuns and Events). Both front ends render this model and decide nothing of
// their own:
//
//   - the kubectl plugin (pkg/cli/textview) writes it as the header and tree of
//     `kubectl serin get rollout`, and as its -o json|yaml (this package's JSON tags);
//   - the dashboard (pkg/dashboard) turns it into the JSON its front end in ui/ reads.
//
// So there is one answer to each question a view asks: which revision is stable,
// canary, active or preview; whether a pod is ready (replicaset.PodReady); how a step is
// described (plan.DescribeStep) and whether it is done; the weights the steps ask for;
// where a blue-green promotion stands; what an AnalysisRun measured.
//
// The package is pure: no clients, no clock. Ages are for the renderers to compute.
//
// Files: view.go (the header: status, strategy, replicas, pauses, conditions, events),
// revisions.go (revision → ReplicaSet → pods), canary.go (steps, weights, header routes,
// the traffic router), bluegreen.go (Services, promotion), analysis.go (runs and metrics),
// snapshot.go (the inputs).
package rolloutview
