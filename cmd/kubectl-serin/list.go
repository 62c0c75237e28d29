package main

import (
	"fmt"
	"io"
	"sort"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/util/duration"

	"github.com/serin-dev/serin/pkg/apis/rollouts/v1alpha1"
	"github.com/serin-dev/serin/pkg/cli/rolloutview"
)

func newListCmd(o *rootOptions) *cobra.Command {
	var all, watch bool
	var output string
	cmd := &cobra.Command{
		Use:     "list rollouts",
		Short:   "List Rollouts with their status, step and weights",
		Example: "  kubectl serin list rollouts\n  kubectl serin list rollouts -A --watch",
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) != 1 {
				return fmt.Errorf("list needs a kind: kubectl serin list rollouts")
			}
			return kindArg("list", args[0])
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkOutput(output, "json", "yaml"); err != nil {
				return err
			}
			c, ns, err := o.clients()
			if err != nil {
				return err
			}
			if all {
				ns = metav1.NamespaceAll
			}
			list, err := c.Serin.SerinV1alpha1().Rollouts(ns).List(cmd.Context(), metav1.ListOptions{})
			if err != nil {
				return fmt.Errorf("list rollouts in %s: %w", nsName(ns), err)
			}
			var ros []*v1alpha1.Rollout
			for i := range list.Items {
				ros = append(ros, &list.Items[i])
			}
			if output != "" {
				views := []rolloutview.View{}
				for _, ro := range ros {
					views = append(views, rolloutview.New(&rolloutview.Snapshot{Rollout: ro}))
				}
				return printData(o.streams.Out, output, views)
			}
			tw := tabwriter.NewWriter(o.streams.Out, 0, 4, 2, ' ', 0)
			header(tw, all)
			if len(ros) == 0 && !watch {
				tw.Flush()
				fmt.Fprintf(o.streams.ErrOut, "no Rollouts in %s\n", nsName(ns))
				return nil
			}
			for _, ro := range sorted(ros) {
				listRow(tw, ro, all)
			}
			tw.Flush()
			if !watch {
				return nil
			}
			return watchList(cmd, o, ns, all)
		},
	}
	cmd.Flags().BoolVarP(&all, "all-namespaces", "A", false, "list the Rollouts of every namespace")
	cmd.Flags().BoolVarP(&watch, "watch", "w", false, "after the list, print a row each time a Rollout changes")
	cmd.Flags().StringVarP(&output, "output", "o", "", "json or yaml")
	return cmd
}

// watchList prints a row for every Rollout whose row changed, on watch events.
func watchList(cmd *cobra.Command, o *rootOptions, ns string, all bool) error {
	c, _, err := o.clients()
	if err != nil {
		return err
	}
	w, err := startWatch(cmd.Context(), c, ns, false)
	if err != nil {
		return err
	}
	last := map[string]string{}
	first := true
	for {
		select {
		case <-cmd.Context().Done():
			return nil
		case <-w.Changed:
		}
		ros, err := w.rollouts.List(labels.Everything())
		if err != nil {
			return err
		}
		for _, ro := range sorted(ros) {
			key := ro.Namespace + "/" + ro.Name
			row := rowText(ro, all)
			if last[key] != row && !first {
				tw := tabwriter.NewWriter(o.streams.Out, 0, 4, 2, ' ', 0)
				listRow(tw, ro, all)
				tw.Flush()
			}
			last[key] = row
		}
		first = false
	}
}

func nsName(ns string) string {
	if ns == "" {
		return "any namespace"
	}
	return fmt.Sprintf("namespace %q", ns)
}

func sorted(ros []*v1alpha1.Rollout) []*v1alpha1.Rollout {
	sort.Slice(ros, func(i, j int) bool {
		if ros[i].Namespace != ros[j].Namespace {
			return ros[i].Namespace < ros[j].Namespace
		}
		return ros[i].Name < ros[j].Name
	})
	return ros
}

func header(w io.Writer, all bool) {
	if all {
		fmt.Fprint(w, "NAMESPACE\t")
	}
	fmt.Fprintln(w, "NAME\tSTRATEGY\tSTATUS\tSTEP\tSET-WEIGHT\tACTUAL-WEIGHT\tDESIRED\tCURRENT\tUP-TO-DATE\tAVAILABLE\tAGE")
}

func rowText(ro *v1alpha1.Rollout, all bool) string {
	v := rolloutview.New(&rolloutview.Snapshot{Rollout: ro})
	weight := func(p *int32) string {
		if p == nil {
			return "-"
		}
		return fmt.Sprint(*p)
	}
	step := v.Step
	if step == "" {
		step = "-"
	}
	prefix := ""
	if all {
		prefix = ro.Namespace + "\t"
	}
	return fmt.Sprintf("%s%s\t%s\t%%s\t%s\t%s\t%s\t%d\t%d\t%d\t%d", prefix, v.Name, v.Strategy, step,
		weight(v.SetWeight), weight(v.ActualWeight), v.Replicas.Desired, v.Replicas.Current, v.Replicas.Updated, v.Replicas.Available)
}

// listRow writes one Rollout's row. Its status has an icon and no colour: colour codes
// would upset the column widths.
func listRow(w io.Writer, ro *v1alpha1.Rollout, all bool) {
	v := rolloutview.New(&rolloutview.Snapshot{Rollout: ro})
	status := rolloutview.Style{}.Status(v.Status)
	fmt.Fprintf(w, rowText(ro, all)+"\t%s\n", status, duration.HumanDuration(time.Since(ro.CreationTimestamp.Time)))
}
