package main

import (
	"errors"
	"fmt"
	"os"

	"github.com/spf13/cobra"
	"golang.org/x/term"
	"k8s.io/cli-runtime/pkg/genericclioptions"
	"k8s.io/cli-runtime/pkg/genericiooptions"
	"k8s.io/client-go/kubernetes"

	"github.com/serin-dev/serin/pkg/actions"
	"github.com/serin-dev/serin/pkg/cli/textview"
	"github.com/serin-dev/serin/pkg/client/clientset/versioned"
	"github.com/serin-dev/serin/pkg/trafficrouting"
)

// rootOptions are what every subcommand shares: kubectl's connection flags
// (--kubeconfig, --context, -n, ...) and the terminal streams.
type rootOptions struct {
	flags   *genericclioptions.ConfigFlags
	streams genericiooptions.IOStreams
}

// newRootCmd is `kubectl serin`.
func newRootCmd(streams genericiooptions.IOStreams) *cobra.Command {
	o := &rootOptions{flags: genericclioptions.NewConfigFlags(true), streams: streams}
	root := &cobra.Command{
		Use:           "kubectl-serin",
		Short:         "Watch and steer Serin Rollouts",
		Long:          "kubectl serin watches and steers Serin Rollouts (serin.dev/v1alpha1): get, list, status,\npromote, abort, retry, pause, resume, restart, set image, undo; lint and plan work offline.",
		SilenceUsage:  true,
		SilenceErrors: true,
		Annotations:   map[string]string{cobra.CommandDisplayNameAnnotation: "kubectl serin"},
	}
	root.SetIn(streams.In)
	root.SetOut(streams.Out)
	root.SetErr(streams.ErrOut)
	o.flags.AddFlags(root.PersistentFlags())
	root.AddCommand(subcommands(o)...)
	return root
}

// subcommands lists every verb of the plugin: the one place where a command is
// registered. The dashboard verb lives in dashboard.go (newDashboardCmd), owned by the
// dashboard, and plugs in here with its one line.
func subcommands(o *rootOptions) []*cobra.Command {
	return []*cobra.Command{
		newGetCmd(o),
		newListCmd(o),
		newStatusCmd(o),
		newPromoteCmd(o),
		newAbortCmd(o),
		newRetryCmd(o),
		newPauseCmd(o),
		newResumeCmd(o),
		newRestartCmd(o),
		newSetCmd(o),
		newUndoCmd(o),
		newLintCmd(o),
		newPlanCmd(o),
		newVersionCmd(o),
		newDashboardCmd(o),
		newCompletionCmd(o),
	}
}

// run executes the plugin with args and returns the process exit code: 0 on success,
// the code an exitError carries, 1 for any other error (printed with what to do).
func run(args []string, streams genericiooptions.IOStreams) int {
	root := newRootCmd(streams)
	root.SetArgs(args)
	err := root.Execute()
	if err == nil {
		return 0
	}
	var exit *exitError
	if errors.As(err, &exit) {
		if exit.msg != "" {
			fmt.Fprintln(streams.ErrOut, exit.msg)
		}
		return exit.code
	}
	fmt.Fprintln(streams.ErrOut, "error: "+explain(err))
	return 1
}

// exitError ends the plugin with a code, for CI (status).
type exitError struct {
	code int
	msg  string
}

func (e *exitError) Error() string { return fmt.Sprintf("exit %d: %s", e.code, e.msg) }

// clients builds the clientsets and the namespace from kubectl's flags.
func (o *rootOptions) clients() (actions.Clients, string, error) {
	cfg, err := o.flags.ToRESTConfig()
	if err != nil {
		return actions.Clients{}, "", fmt.Errorf("load the kubeconfig: %w (set --kubeconfig or KUBECONFIG, and --context)", err)
	}
	ns, _, err := o.flags.ToRawKubeConfigLoader().Namespace()
	if err != nil {
		return actions.Clients{}, "", fmt.Errorf("read the namespace from the kubeconfig: %w", err)
	}
	kube, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return actions.Clients{}, "", fmt.Errorf("kubernetes client: %w", err)
	}
	serin, err := versioned.NewForConfig(cfg)
	if err != nil {
		return actions.Clients{}, "", fmt.Errorf("serin client: %w", err)
	}
	return actions.Clients{Kube: kube, Serin: serin}, ns, nil
}

// routerClients are the traffic routers' clients from kubectl's flags, with kube for
// client-go's kinds.
func (o *rootOptions) routerClients(kube kubernetes.Interface) (trafficrouting.Clients, error) {
	cfg, err := o.flags.ToRESTConfig()
	if err != nil {
		return trafficrouting.Clients{}, fmt.Errorf("load the kubeconfig: %w", err)
	}
	return trafficrouting.NewClients(kube, cfg)
}

// style is colour on a terminal only (and never with NO_COLOR set).
func (o *rootOptions) style() textview.Style {
	return textview.Style{Color: o.isTerminal() && os.Getenv("NO_COLOR") == ""}
}

func (o *rootOptions) isTerminal() bool {
	f, ok := o.streams.Out.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}
