package main

import (
	"context"
	"errors"
	"fmt"
	"os/signal"
	"syscall"

	"github.com/sirupsen/logrus"
	"github.com/spf13/cobra"

	"github.com/serin-dev/serin/pkg/actions"
	"github.com/serin-dev/serin/pkg/dashboard"
)

// dashboardOptions are the flags of `kubectl serin dashboard`.
type dashboardOptions struct {
	address       string
	port          int
	allNamespaces bool
	readOnly      bool
	allowedHosts  []string
	logLevel      string
}

// newDashboardCmd is `kubectl serin dashboard`: the browser UI and its API, served from
// this binary with the user's own kubeconfig identity.
func newDashboardCmd(o *rootOptions) *cobra.Command {
	d := &dashboardOptions{}
	cmd := &cobra.Command{
		Use:   "dashboard [--address 127.0.0.1] [--port 3100] [-n NAMESPACE | -A] [--read-only]",
		Short: "Serve a live browser dashboard of Rollouts, with promote and abort, on localhost",
		Long: `Serve a live browser dashboard of the Rollouts of a namespace (-n, default the
kubeconfig's) or of all namespaces (-A). Every read and action uses your kubeconfig's
identity, so Kubernetes RBAC decides what you may do.

It binds 127.0.0.1 unless --address says otherwise (and warns when it is not loopback).
Actions need the per-session token of the page it served and a same-origin request; the
Host header must be the bound address. --read-only hides and refuses every action.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runDashboard(cmd.Context(), o, d, cmd)
		},
	}
	f := cmd.Flags()
	f.StringVar(&d.address, "address", "127.0.0.1", "address to listen on")
	f.IntVar(&d.port, "port", 3100, "port to listen on (0 picks a free one)")
	f.BoolVarP(&d.allNamespaces, "all-namespaces", "A", false, "show the Rollouts of every namespace")
	f.BoolVar(&d.readOnly, "read-only", false, "hide and refuse every action")
	f.StringSliceVar(&d.allowedHosts, "allowed-host", nil, "extra Host names to accept (e.g. a DNS name of a non-loopback --address)")
	f.StringVar(&d.logLevel, "log-level", "info", "log level: debug, info, warn, error")
	return cmd
}

func runDashboard(ctx context.Context, o *rootOptions, d *dashboardOptions, cmd *cobra.Command) error {
	level, err := logrus.ParseLevel(d.logLevel)
	if err != nil {
		return fmt.Errorf("--log-level %q: %w", d.logLevel, err)
	}
	logger := logrus.New()
	logger.SetOutput(cmd.ErrOrStderr())
	logger.SetLevel(level)
	log := logrus.NewEntry(logger).WithField("component", "dashboard")

	clients, ns, err := o.clients()
	if err != nil {
		return err
	}
	if d.allNamespaces {
		ns = ""
	}
	kubeContext := ""
	if raw, err := o.flags.ToRawKubeConfigLoader().RawConfig(); err == nil {
		kubeContext = raw.CurrentContext
		if o.flags.Context != nil && *o.flags.Context != "" {
			kubeContext = *o.flags.Context
		}
	}

	ctx, stop := signal.NotifyContext(ctx, syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	c, err := dashboard.NewCache(clients.Kube, clients.Serin, ns, log)
	if err != nil {
		return err
	}
	srv, err := dashboard.Listen(dashboard.Options{Address: d.address, Port: d.port, Namespace: ns,
		Context: kubeContext, ReadOnly: d.readOnly, AllowedHosts: d.allowedHosts, Log: log}, c, actor(clients))
	if err != nil {
		return err
	}
	if err := c.Run(ctx); err != nil {
		return fmt.Errorf("watch rollouts: %w", err)
	}
	scope := "namespace " + ns
	if ns == "" {
		scope = "all namespaces"
	}
	fmt.Fprintf(cmd.OutOrStdout(), "Serin dashboard (%s): %s\n", scope, srv.URL())
	log.WithField("addr", srv.Addr().String()).Info("serving; Ctrl-C to stop")
	return srv.Serve(ctx)
}

// actor runs the page's actions with the shared pkg/actions functions: the same effect
// as the plugin's verbs.
func actor(c actions.Clients) dashboard.Actor {
	return dashboard.ActorFunc(func(ctx context.Context, ns, name string, a dashboard.Action) (string, error) {
		var res actions.Result
		var err error
		switch a {
		case dashboard.ActionPromote:
			res, err = actions.Promote(ctx, c, ns, name, false)
		case dashboard.ActionPromoteFull:
			res, err = actions.Promote(ctx, c, ns, name, true)
		case dashboard.ActionAbort:
			res, err = actions.Abort(ctx, c, ns, name)
		case dashboard.ActionRetry:
			res, err = actions.Retry(ctx, c, ns, name)
		case dashboard.ActionRestart:
			res, err = actions.Restart(ctx, c, ns, name)
		case dashboard.ActionPause:
			res, err = actions.Pause(ctx, c, ns, name)
		case dashboard.ActionResume:
			res, err = actions.Resume(ctx, c, ns, name)
		default:
			return "", fmt.Errorf("%w %q", dashboard.ErrUnknownAction, a)
		}
		if errors.Is(err, actions.ErrNothingToDo) {
			return "", dashboard.Refused{Err: err}
		}
		if err != nil {
			return "", err
		}
		return res.String(), nil
	})
}
