package main

import (
	"fmt"
	"io"
	"sort"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/spf13/cobra"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/util/duration"

	"github.com/serin-dev/serin/pkg/apis/rollouts/v1alpha1"
	"github.com/serin-dev/serin/pkg/cli/textview"
	"github.com/serin-dev/serin/pkg/rolloutview"
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
			if len(ros) == 0 && !watch {
				fmt.Fprintf(o.streams.ErrOut, "no Rollouts in %s\n", nsName(ns))
				return nil
			}
			rows := [][]string{header(all)}
			for _, ro := range sorted(ros) {
				rows = append(rows, cells(ro, all))
			}
			t := &table{out: o.streams.Out}
			t.fit(rows)
			for _, r := range rows {
				t.print(r)
			}
			if !watch {
				return nil
			}
			return watchList(cmd, o, t, ns, all)
		},
	}
	cmd.Flags().BoolVarP(&all, "all-namespaces", "A", false, "list the Rollouts of every namespace")
	cmd.Flags().BoolVarP(&watch, "watch", "w", false, "after the list, print a row each time a Rollout changes")
	cmd.Flags().StringVarP(&output, "output", "o", "", "json or yaml")
	return cmd
}

// watchList prints a row for every Rollout whose row changed, on watch events, in the
// columns of the list above it.
func watchList(cmd *cobra.Command, o *rootOptions, t *table, ns string, all bool) error {
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
			row := cells(ro, all)
			text := strings.Join(row[:len(row)-1], "\t") // without the age
			if last[key] != text && !first {
				t.print(row)
			}
			last[key] = text
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

func header(all bool) []string {
	h := []string{"NAME", "STRATEGY", "STATUS", "STEP", "SET-WEIGHT", "ACTUAL-WEIGHT", "DESIRED", "CURRENT", "UP-TO-DATE", "AVAILABLE", "AGE"}
	if all {
		h = append([]string{"NAMESPACE"}, h...)
	}
	return h
}

// cells is one Rollout's row. Its status has an icon and no colour: colour codes would
// upset the column widths.
func cells(ro *v1alpha1.Rollout, all bool) []string {
	v := rolloutview.New(&rolloutview.Snapshot{Rollout: ro})
	orDash := func(s string) string {
		if s == "" {
			return "-"
		}
		return s
	}
	weight := func(p *int32) string {
		if p == nil {
			return "-"
		}
		return fmt.Sprint(*p)
	}
	r := v.Replicas
	row := []string{v.Name, v.Strategy, textview.Style{}.Status(v.Status), orDash(v.Step), weight(v.SetWeight), weight(v.ActualWeight),
		fmt.Sprint(r.Desired), fmt.Sprint(r.Current), fmt.Sprint(r.Updated), fmt.Sprint(r.Available),
		duration.HumanDuration(time.Since(ro.CreationTimestamp.Time))}
	if all {
		row = append([]string{ro.Namespace}, row...)
	}
	return row
}

// table prints rows in columns that keep their widths from one row to the next (they
// only grow), so rows printed later by --watch line up with the list above them.
type table struct {
	out    io.Writer
	widths []int
}

// fit widens the columns to hold rows.
func (t *table) fit(rows [][]string) {
	for _, row := range rows {
		for i, cell := range row {
			if i == len(t.widths) {
				t.widths = append(t.widths, 0)
			}
			t.widths[i] = max(t.widths[i], utf8.RuneCountInString(cell))
		}
	}
}

func (t *table) print(row []string) {
	t.fit([][]string{row})
	var b strings.Builder
	for i, cell := range row {
		n := utf8.RuneCountInString(cell)
		b.WriteString(cell)
		if i < len(row)-1 {
			b.WriteString(strings.Repeat(" ", t.widths[i]-n+2))
		}
	}
	fmt.Fprintln(t.out, b.String())
}
