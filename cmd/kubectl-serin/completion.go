package main

import (
	"fmt"

	"github.com/spf13/cobra"
)

func newCompletionCmd(o *rootOptions) *cobra.Command {
	return &cobra.Command{
		Use:   "completion bash|zsh|fish",
		Short: "Print a shell completion script",
		Example: "  source <(kubectl serin completion bash)\n" +
			"  kubectl serin completion zsh > \"${fpath[1]}/_kubectl-serin\"\n" +
			"  kubectl serin completion fish > ~/.config/fish/completions/kubectl-serin.fish",
		ValidArgs: []string{"bash", "zsh", "fish"},
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) != 1 {
				return fmt.Errorf("completion needs one shell: bash, zsh or fish")
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			root := cmd.Root()
			switch args[0] {
			case "bash":
				return root.GenBashCompletionV2(o.streams.Out, true)
			case "zsh":
				return root.GenZshCompletion(o.streams.Out)
			case "fish":
				return root.GenFishCompletion(o.streams.Out, true)
			}
			return fmt.Errorf("completion: unknown shell %q; want bash, zsh or fish", args[0])
		},
	}
}
