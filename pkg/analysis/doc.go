// Package analysis is the pure part of running an AnalysisRun: no clients, no caches,
// no logger. Its controller is pkg/controller/analysisrun.
//
// A sync of one run is gather → plan → measure → assess → write:
//   - gather (the controller) resolves the run's arguments with ResolveArgs (args.go:
//     values, and Secrets through a getter the controller passes in) and substitutes
//     {{args.NAME}} in every metric with Substitute;
//   - Plan (plan.go) says which metrics are due for a measurement at this time, which
//     running measurements (Jobs) to check and which to terminate; settings.go reads
//     each metric's interval, count and limits;
//   - the providers (pkg/analysis/provider and its implementations prometheus, web, job,
//     chosen through pkg/analysis/registry) take them;
//   - Assess (assess.go) turns the providers' results into measurements (evaluating
//     successCondition and failureCondition with expr, condition.go), counts them, decides
//     each metric's and the run's phase and message, trims the measurements, and says when
//     the next measurement is due;
//   - the controller writes the status when it changed, records an Event when the run
//     completes, and asks the workqueue for a delayed requeue at the next due time.
//     Nothing sleeps and nothing polls: Job progress arrives through the Job watch.
//
// For the Rollout controller: pkg/analysis/runspec builds a run from templates and
// arguments (NewRun) and resolves a rollout's analysis arguments (RolloutArgs).
// A rollout reads the run's status.phase and status.message.
package analysis
