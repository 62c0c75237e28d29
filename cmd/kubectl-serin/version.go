package main

import (
	"fmt"
	"runtime"
	"runtime/debug"

	"github.com/spf13/cobra"
)

// version is set at build time: go build -ldflags "-X main.version=v0.1.0".
var version = "dev"

func newVersionCmd(o *rootOptions) *cobra.Command {
	var output string
	return withOutput(&cobra.Command{
		Use:   "version",
		Short: "Print the plugin's version",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			v := struct {
				Version string `json:"version"`
				Go      string `json:"go"`
				Module  string `json:"module,omitempty"`
			}{Version: version, Go: runtime.Version()}
			if bi, ok := debug.ReadBuildInfo(); ok {
				v.Module = bi.Main.Version
			}
			if output != "" {
				return printData(o.streams.Out, output, v)
			}
			_, err := fmt.Fprintf(o.streams.Out, "kubectl-serin %s (%s, module %s)\n", v.Version, v.Go, v.Module)
			return err
		},
	}, &output)
}

func withOutput(cmd *cobra.Command, output *string) *cobra.Command {
	cmd.Flags().StringVarP(output, "output", "o", "", "json or yaml")
	return cmd
}
