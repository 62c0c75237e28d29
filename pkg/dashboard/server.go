package dashboard

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"time"

	"github.com/sirupsen/logrus"
)

// Options configure a Server.
type Options struct {
	Address   string // to bind; 127.0.0.1 unless the user says otherwise
	Port      int    // 0 picks a free port
	Namespace string // "" for every namespace
	Context   string // the kubeconfig context, shown in the page
	ReadOnly  bool
	// AllowedHosts are extra Host names accepted (e.g. a DNS name for a non-loopback bind).
	AllowedHosts []string
	Log          *logrus.Entry
}

// Server is the dashboard: the page, the API and the stream, behind the guard.
type Server struct {
	opts     Options
	src      Source
	actor    Actor
	listener net.Listener
	guard    *guard
	handler  http.Handler
	done     chan struct{}
}

// Listen binds the address and prepares the handler; Serve then answers requests.
// Binding anything but loopback logs a loud warning: everyone who can reach that address
// can read every Rollout the user can, and anyone with the page open can act.
func Listen(opts Options, src Source, actor Actor) (*Server, error) {
	if opts.Log == nil {
		opts.Log = logrus.NewEntry(logrus.StandardLogger())
	}
	if opts.Address == "" {
		opts.Address = "127.0.0.1"
	}
	if opts.Port < 0 || opts.Port > 65535 {
		return nil, fmt.Errorf("--port %d: must be between 0 and 65535", opts.Port)
	}
	ip := net.ParseIP(opts.Address)
	if ip == nil && opts.Address != "localhost" {
		return nil, fmt.Errorf("--address %q: must be an IP address (e.g. 127.0.0.1) or localhost", opts.Address)
	}
	ln, err := net.Listen("tcp", net.JoinHostPort(opts.Address, strconv.Itoa(opts.Port)))
	if err != nil {
		return nil, fmt.Errorf("listen on %s:%d: %w", opts.Address, opts.Port, err)
	}
	if ip == nil || !ip.IsLoopback() {
		if opts.Address != "localhost" {
			opts.Log.Warnf("LISTENING ON %s, NOT LOOPBACK: anyone who can reach it can see every Rollout "+
				"your kubeconfig can read. Actions still need the page's session token.", ln.Addr())
		}
	}
	s := &Server{opts: opts, src: src, actor: actor, listener: ln, done: make(chan struct{})}
	if err := s.build(); err != nil {
		ln.Close()
		return nil, err
	}
	return s, nil
}

func (s *Server) build() error {
	hosts, err := allowedHosts(s.listener.Addr(), s.opts.AllowedHosts)
	if err != nil {
		return err
	}
	token, err := newToken()
	if err != nil {
		return err
	}
	s.guard = &guard{hosts: hosts, token: token, readOnly: s.opts.ReadOnly, log: s.opts.Log}
	pg, err := newPages(token, s.opts.ReadOnly)
	if err != nil {
		return fmt.Errorf("front end: %w", err)
	}
	a := &api{src: s.src, actor: s.actor, log: s.opts.Log, session: Session{
		ReadOnly: s.opts.ReadOnly, Namespace: s.opts.Namespace, Context: s.opts.Context, Actions: Actions}}
	if s.opts.ReadOnly {
		a.session.Actions = []Action{}
	}
	mux := http.NewServeMux()
	a.routes(mux)
	mux.Handle("GET /api/stream", &stream{src: s.src, done: s.done})
	mux.HandleFunc("/api/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusNotFound, "no such endpoint: "+r.Method+" "+r.URL.Path)
	})
	mux.Handle("/", pg) // GET and HEAD only: other methods get 405 from pages
	s.handler = s.guard.wrap(mux)
	return nil
}

// URL is where a browser opens the dashboard: localhost for a loopback bind.
func (s *Server) URL() string {
	host, port, _ := net.SplitHostPort(s.listener.Addr().String())
	if ip := net.ParseIP(host); ip != nil && ip.IsLoopback() {
		host = "localhost"
	}
	return "http://" + net.JoinHostPort(host, port) + "/"
}

// Addr is the bound address.
func (s *Server) Addr() net.Addr { return s.listener.Addr() }

// Handler is the whole dashboard as an http.Handler (for tests).
func (s *Server) Handler() http.Handler { return s.handler }

// Serve answers requests until ctx ends, then shuts down (closing open streams).
func (s *Server) Serve(ctx context.Context) error {
	srv := &http.Server{Handler: s.handler, ReadHeaderTimeout: 10 * time.Second,
		BaseContext: func(net.Listener) context.Context { return ctx }}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(s.listener) }()
	select {
	case err := <-errc:
		return fmt.Errorf("dashboard server: %w", err)
	case <-ctx.Done():
	}
	close(s.done)
	shut, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(shut); err != nil {
		return fmt.Errorf("dashboard shutdown: %w", err)
	}
	if err := <-errc; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
