package main

import (
	"bytes"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/serin-dev/serin/pkg/cli/textview"
	"github.com/serin-dev/serin/pkg/rolloutview"
)

// rolloutKinds are the names kubectl accepts for the Rollout kind.
var rolloutKinds = map[string]bool{"rollout": true, "rollouts": true, "ro": true, "rollouts.serin.dev": true}

func kindArg(verb, kind string) error {
	if rolloutKinds[strings.ToLower(kind)] {
		return nil
	}
	return fmt.Errorf("kubectl serin %s works on Rollouts (rollout, rollouts, ro), not %q; for other kinds use kubectl %s %s", verb, kind, verb, kind)
}

func newGetCmd(o *rootOptions) *cobra.Command {
	var watch bool
	var output string
	cmd := &cobra.Command{
		Use:   "get rollout NAME",
		Short: "Show a Rollout: its state, and revision → ReplicaSet → pods and AnalysisRuns",
		Example: "  kubectl serin get rollout web -n shop\n" +
			"  kubectl serin get rollout web --watch     # redraws on every change\n" +
			"  kubectl serin get rollout web -o yaml",
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) != 2 {
				return fmt.Errorf("get needs a kind and a name: kubectl serin get rollout NAME (got %d arguments)", len(args))
			}
			return kindArg("get", args[0])
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkOutput(output, "json", "yaml"); err != nil {
				return err
			}
			if watch && output != "" {
				return fmt.Errorf("--watch draws text: leave out --output")
			}
			c, ns, err := o.clients()
			if err != nil {
				return err
			}
			name := args[1]
			if !watch {
				s, err := fetch(cmd.Context(), c, ns, name)
				if err != nil {
					return err
				}
				if output != "" {
					return printData(o.streams.Out, output, rolloutview.New(s))
				}
				return textview.Render(o.streams.Out, rolloutview.New(s), time.Now(), o.style())
			}
			// Fail fast on a missing rollout or a forbidden read, with the API's error.
			if _, err := fetch(cmd.Context(), c, ns, name); err != nil {
				return err
			}
			w, err := startWatch(cmd.Context(), c, ns, true)
			if err != nil {
				return err
			}
			scr := &screen{out: o.streams.Out, tty: o.isTerminal()}
			for {
				select {
				case <-cmd.Context().Done():
					return nil
				case <-w.Changed:
				}
				var buf bytes.Buffer
				s, err := w.Snapshot(name)
				if err != nil {
					fmt.Fprintf(&buf, "%v\n(waiting for it to be created again)\n", err)
				} else if err := textview.Render(&buf, rolloutview.New(s), time.Now(), o.style()); err != nil {
					return err
				}
				if err := scr.draw(buf.String()); err != nil {
					return err
				}
			}
		},
	}
	cmd.Flags().BoolVarP(&watch, "watch", "w", false, "redraw on every change of the rollout, its ReplicaSets, pods and AnalysisRuns")
	cmd.Flags().StringVarP(&output, "output", "o", "", "json or yaml: the same information as data")
	return cmd
}
