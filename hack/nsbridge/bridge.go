package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"strings"
	"sync"
)

// endpoint is one side of a route: a network ("unix" or "tcp") and an address.
type endpoint struct{ network, addr string }

func (e endpoint) String() string { return e.network + ":" + e.addr }

// route accepts on listen and connects each accepted connection to dial.
type route struct{ listen, dial endpoint }

func parseRoutes(args []string) ([]route, error) {
	var routes []route
	for _, a := range args {
		l, d, ok := strings.Cut(a, "=")
		if !ok {
			return nil, fmt.Errorf("%q: want LISTEN=DIAL", a)
		}
		listen, err := parseEndpoint(l)
		if err != nil {
			return nil, fmt.Errorf("%q: listen side: %w", a, err)
		}
		dial, err := parseEndpoint(d)
		if err != nil {
			return nil, fmt.Errorf("%q: dial side: %w", a, err)
		}
		routes = append(routes, route{listen: listen, dial: dial})
	}
	return routes, nil
}

func parseEndpoint(s string) (endpoint, error) {
	network, addr, ok := strings.Cut(s, ":")
	if !ok || addr == "" {
		return endpoint{}, fmt.Errorf("%q: want unix:PATH or tcp:127.0.0.1:PORT", s)
	}
	switch network {
	case "unix":
		return endpoint{network, addr}, nil
	case "tcp":
		ap, err := netip.ParseAddrPort(addr)
		if err != nil {
			return endpoint{}, fmt.Errorf("%q: %w", s, err)
		}
		if !ap.Addr().IsLoopback() {
			return endpoint{}, fmt.Errorf("%q: only loopback addresses", s)
		}
		return endpoint{network, addr}, nil
	}
	return endpoint{}, fmt.Errorf("%q: unknown network %q (unix or tcp)", s, network)
}

// serve listens on every route, then copies connections until ctx ends; it closes its
// listeners (removing Unix sockets) and waits for open connections to close.
func serve(ctx context.Context, routes []route, log io.Writer) error {
	var listeners []net.Listener
	defer func() {
		for _, l := range listeners {
			l.Close()
		}
	}()
	for _, r := range routes {
		if r.listen.network == "unix" {
			// A socket left by a killed run would make Listen fail; only sockets go.
			if fi, err := os.Lstat(r.listen.addr); err == nil && fi.Mode()&os.ModeSocket != 0 {
				os.Remove(r.listen.addr)
			}
		}
		l, err := net.Listen(r.listen.network, r.listen.addr)
		if err != nil {
			return err
		}
		listeners = append(listeners, l)
		fmt.Fprintf(log, "nsbridge: %s -> %s\n", r.listen, r.dial)
	}
	var wg sync.WaitGroup
	for i, l := range listeners {
		wg.Add(1)
		go func() {
			defer wg.Done()
			accept(ctx, l, routes[i].dial, log)
		}()
	}
	<-ctx.Done()
	for _, l := range listeners {
		l.Close()
	}
	wg.Wait()
	return nil
}

// accept hands every connection of l to a copier until l is closed.
func accept(ctx context.Context, l net.Listener, dial endpoint, log io.Writer) {
	var wg sync.WaitGroup
	defer wg.Wait()
	for {
		in, err := l.Accept()
		if err != nil {
			if !errors.Is(err, net.ErrClosed) {
				fmt.Fprintf(log, "nsbridge: accept on %s: %v\n", l.Addr(), err)
			}
			return
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			pipe(ctx, in, dial, log)
		}()
	}
}

// pipe connects in to a new connection to dial and copies both ways until either side
// ends; each side's write half is closed when the other's read ends.
func pipe(ctx context.Context, in net.Conn, dial endpoint, log io.Writer) {
	defer in.Close()
	var d net.Dialer
	out, err := d.DialContext(ctx, dial.network, dial.addr)
	if err != nil {
		fmt.Fprintf(log, "nsbridge: dial %s: %v\n", dial, err)
		return
	}
	defer out.Close()
	stop := context.AfterFunc(ctx, func() { in.Close(); out.Close() })
	defer stop()
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); copyHalf(out, in) }()
	go func() { defer wg.Done(); copyHalf(in, out) }()
	wg.Wait()
}

type closeWriter interface{ CloseWrite() error }

func copyHalf(dst, src net.Conn) {
	_, _ = io.Copy(dst, src)
	if cw, ok := dst.(closeWriter); ok {
		_ = cw.CloseWrite()
	} else {
		dst.Close()
	}
}
