// Command nsbridge carries TCP connections between the host and the local environment's
// network namespace (hack/netns.sh) through path-named Unix sockets, which both sides see
// in the shared file system (abstract sockets and loopback are per namespace):
//
//	nsbridge LISTEN=DIAL [LISTEN=DIAL...]
//
// Each endpoint is unix:PATH or tcp:127.0.0.1:PORT (loopback only). Inside the namespace,
// `nsbridge unix:.cache/bridge/api.sock=tcp:127.0.0.1:6443` exposes the API server on a
// socket; on the host, `nsbridge tcp:127.0.0.1:6443=unix:.cache/bridge/api.sock` makes it
// answer on the host's 127.0.0.1:6443. It runs until SIGINT or SIGTERM, and removes the
// sockets it created.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: nsbridge LISTEN=DIAL...   (endpoints: unix:PATH or tcp:127.0.0.1:PORT)")
		os.Exit(2)
	}
	routes, err := parseRoutes(os.Args[1:])
	if err != nil {
		fmt.Fprintf(os.Stderr, "nsbridge: %v\n", err)
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := serve(ctx, routes, os.Stderr); err != nil {
		fmt.Fprintf(os.Stderr, "nsbridge: %v\n", err)
		os.Exit(1)
	}
}
