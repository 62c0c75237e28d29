package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/serin-dev/serin/pkg/cli/lint"
)

func newLintCmd(o *rootOptions) *cobra.Command {
	var files []string
	var output string
	cmd := &cobra.Command{
		Use:   "lint -f FILE|DIR|-",
		Short: "Check manifests offline with the rules and messages of the CRD and the controller",
		Example: "  kubectl serin lint -f rollout.yaml\n  kubectl serin lint -f deploy/          # every .yaml/.yml/.json below\n" +
			"  helm template . | kubectl serin lint -f -",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkOutput(output, "json", "yaml"); err != nil {
				return err
			}
			if len(files) == 0 {
				return fmt.Errorf("lint needs -f FILE, -f DIR or -f - (stdin)")
			}
			r, err := lint.Paths(files, o.streams.In)
			if err != nil {
				return err
			}
			if output != "" {
				if err := printData(o.streams.Out, output, r); err != nil {
					return err
				}
			} else {
				for _, p := range r.Problems {
					fmt.Fprintln(o.streams.Out, p.String())
				}
			}
			if len(r.Problems) > 0 {
				return &exitError{code: 1, msg: fmt.Sprintf("%d problem(s) in %d file(s) checked", len(r.Problems), len(r.Files))}
			}
			if output == "" {
				fmt.Fprintf(o.streams.Out, "%d file(s) checked: no problem\n", len(r.Files))
			}
			return nil
		},
	}
	cmd.Flags().StringSliceVarP(&files, "filename", "f", nil, "file, directory or - for stdin (repeatable)")
	cmd.Flags().StringVarP(&output, "output", "o", "", "json or yaml")
	return cmd
}
