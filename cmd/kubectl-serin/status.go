package main

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/serin-dev/serin/pkg/apis/rollouts/v1alpha1"
	"github.com/serin-dev/serin/pkg/rolloutview"
)

// Exit codes of `status`, for CI pipelines.
const (
	exitHealthy    = 0
	exitDegraded   = 1
	exitTimeout    = 2
	exitInProgress = 3 // without --watch: neither Healthy nor Degraded yet
)

func newStatusCmd(o *rootOptions) *cobra.Command {
	var watch bool
	var timeout time.Duration
	cmd := &cobra.Command{
		Use:   "status ROLLOUT",
		Short: "Wait for a Rollout to be Healthy (exit 0) or Degraded (exit 1); for CI",
		Long: "status prints the rollout's status each time it changes until it is Healthy (exit 0) or\n" +
			"Degraded (exit 1); --timeout ends the wait with exit 2. With --watch=false it prints the\n" +
			"status once: exit 0 Healthy, 1 Degraded, 3 still progressing or paused.",
		Example: "  kubectl serin status web --timeout 10m   # in a pipeline, after kubectl apply\n  kubectl serin status web --watch=false",
		Args:    exactlyOneName("status"),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, ns, err := o.clients()
			if err != nil {
				return err
			}
			name := args[0]
			s, err := fetch(cmd.Context(), c, ns, name)
			if err != nil {
				return err
			}
			if !watch {
				s.Now = time.Now()
				line, code := statusOf(s)
				fmt.Fprintln(o.streams.Out, line)
				if code == -1 {
					code = exitInProgress
				}
				return exitCode(code)
			}
			ctx := cmd.Context()
			if timeout > 0 {
				var cancel context.CancelFunc
				ctx, cancel = context.WithTimeout(ctx, timeout)
				defer cancel()
			}
			return waitStatus(ctx, o, name, ns, timeout)
		},
	}
	cmd.Flags().BoolVarP(&watch, "watch", "w", true, "wait until Healthy or Degraded, printing each change")
	cmd.Flags().DurationVarP(&timeout, "timeout", "t", 0, "give up after this long with exit code 2 (0: wait for ever)")
	return cmd
}

func waitStatus(ctx context.Context, o *rootOptions, name, ns string, timeout time.Duration) error {
	c, _, err := o.clients()
	if err != nil {
		return err
	}
	w, err := startWatch(ctx, c, ns, false)
	if err != nil {
		if errors.Is(err, context.DeadlineExceeded) {
			return &exitError{code: exitTimeout, msg: fmt.Sprintf("timed out after %s before the watch started", timeout)}
		}
		return err
	}
	last := ""
	for {
		select {
		case <-ctx.Done():
			if errors.Is(ctx.Err(), context.DeadlineExceeded) {
				return &exitError{code: exitTimeout, msg: fmt.Sprintf("timed out after %s: rollout %q is still %s", timeout, name, last)}
			}
			return nil
		case <-w.Changed:
		}
		s, err := w.Snapshot(name)
		if err != nil {
			return err
		}
		line, code := statusOf(s)
		if code == exitHealthy {
			// The watch has no ReplicaSets: read them once to say which old ones
			// still go down in the background.
			if full, err := fetch(ctx, c, ns, name); err == nil {
				full.Now = time.Now()
				line, code = statusOf(full)
			}
		}
		if line != last {
			fmt.Fprintln(o.streams.Out, line)
			last = line
		}
		if code >= 0 {
			return exitCode(code)
		}
	}
}

// statusOf is the status line of the snapshot's Rollout and its exit code: exitHealthy,
// exitDegraded, or -1 while it is neither (or the controller has not observed the latest
// spec). Healthy does not wait for old ReplicaSets waiting out their scale-down delay:
// the line says when they go down, when the snapshot has them.
func statusOf(s *rolloutview.Snapshot) (string, int) {
	v := rolloutview.New(s)
	line := v.Status
	if v.Message != "" {
		line += " - " + v.Message
	}
	if down := v.ScaleDowns(); v.Status == string(v1alpha1.RolloutPhaseHealthy) && len(down) > 0 {
		line += " - old ReplicaSets go down in the background: " + strings.Join(down, ", ")
	}
	switch v.Status {
	case string(v1alpha1.RolloutPhaseHealthy):
		return line, exitHealthy
	case string(v1alpha1.RolloutPhaseDegraded):
		return line, exitDegraded
	}
	return line, -1
}

func exitCode(code int) error {
	if code == 0 {
		return nil
	}
	return &exitError{code: code}
}
