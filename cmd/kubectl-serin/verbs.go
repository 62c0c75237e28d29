package main

import (
	"context"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/serin-dev/serin/pkg/actions"
)

// actionCmd is a verb on one Rollout that prints what it did and what happens next.
func actionCmd(o *rootOptions, use, short, example string, do func(ctx context.Context, c actions.Clients, ns, name string) (actions.Result, error)) *cobra.Command {
	return &cobra.Command{
		Use:     use + " ROLLOUT",
		Short:   short,
		Example: example,
		Args:    exactlyOneName(use),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, ns, err := o.clients()
			if err != nil {
				return err
			}
			res, err := do(cmd.Context(), c, ns, args[0])
			if err != nil {
				return err
			}
			fmt.Fprintln(o.streams.Out, res.String())
			return nil
		},
	}
}

func exactlyOneName(verb string) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if len(args) != 1 {
			return fmt.Errorf("%s needs the name of one Rollout, e.g. kubectl serin %s web -n shop (got %d arguments)", verb, verb, len(args))
		}
		return nil
	}
}

func newPromoteCmd(o *rootOptions) *cobra.Command {
	var full bool
	cmd := actionCmd(o, "promote", "End the current pause, or skip the current step; --full skips every remaining step",
		"  kubectl serin promote web          # go on past the pause (or skip the step running)\n  kubectl serin promote web --full   # skip every remaining step",
		func(ctx context.Context, c actions.Clients, ns, name string) (actions.Result, error) {
			return actions.Promote(ctx, c, ns, name, full)
		})
	cmd.Flags().BoolVar(&full, "full", false, "skip every remaining step and make the new revision stable once it is available")
	return cmd
}

func newAbortCmd(o *rootOptions) *cobra.Command {
	return actionCmd(o, "abort", "Stop the update: traffic back to stable, then the canary down", "  kubectl serin abort web", actions.Abort)
}

func newRetryCmd(o *rootOptions) *cobra.Command {
	return actionCmd(o, "retry", "Run the steps of an aborted update again from the first", "  kubectl serin retry web", actions.Retry)
}

func newPauseCmd(o *rootOptions) *cobra.Command {
	return actionCmd(o, "pause", "Hold the rollout where it is (spec.paused)", "  kubectl serin pause web", actions.Pause)
}

func newResumeCmd(o *rootOptions) *cobra.Command {
	return actionCmd(o, "resume", "Undo pause (spec.paused: false); a pause step needs promote", "  kubectl serin resume web", actions.Resume)
}

func newRestartCmd(o *rootOptions) *cobra.Command {
	return actionCmd(o, "restart", "Replace every pod, a few at a time (spec.restartAt)", "  kubectl serin restart web", actions.Restart)
}

func newUndoCmd(o *rootOptions) *cobra.Command {
	var to int64
	cmd := actionCmd(o, "undo", "Go back to the previous revision's template, or --to-revision N",
		"  kubectl serin undo web                  # back to the previous revision\n  kubectl serin undo web --to-revision 3",
		func(ctx context.Context, c actions.Clients, ns, name string) (actions.Result, error) {
			return actions.Undo(ctx, c, ns, name, to)
		})
	cmd.Flags().Int64Var(&to, "to-revision", 0, "the revision to go back to (0: the previous one)")
	return cmd
}

func newSetCmd(o *rootOptions) *cobra.Command {
	set := &cobra.Command{Use: "set", Short: "Change a Rollout's template (set image)"}
	set.AddCommand(&cobra.Command{
		Use:     "image ROLLOUT CONTAINER=IMAGE",
		Short:   "Set a container's image (CONTAINER may be * for every container)",
		Example: "  kubectl serin set image web web=nginxinc/nginx-unprivileged:1.28",
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) != 2 || !strings.Contains(args[1], "=") {
				return fmt.Errorf("set image needs ROLLOUT CONTAINER=IMAGE, e.g. kubectl serin set image web web=nginx:1.28")
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			c, ns, err := o.clients()
			if err != nil {
				return err
			}
			container, image, _ := strings.Cut(args[1], "=")
			res, err := actions.SetImage(cmd.Context(), c, ns, args[0], container, image)
			if err != nil {
				return err
			}
			fmt.Fprintln(o.streams.Out, res.String())
			return nil
		},
	})
	return set
}
