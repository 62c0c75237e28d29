// Command kubectl-serin is Serin's kubectl plugin: with this binary on PATH,
// `kubectl serin ...` watches and steers Rollouts (get, list, status, promote, abort,
// retry, pause, resume, restart, set image, undo), lints manifests offline, previews
// what each canary step will do (plan), and serves the dashboard.
package main

import (
	"os"

	"k8s.io/cli-runtime/pkg/genericiooptions"
)

func main() {
	streams := genericiooptions.IOStreams{In: os.Stdin, Out: os.Stdout, ErrOut: os.Stderr}
	os.Exit(run(os.Args[1:], streams))
}
