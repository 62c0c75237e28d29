package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestParseRoutes(t *testing.T) {
	tests := map[string]struct {
		arg     string
		want    route
		wantErr string
	}{
		"tcp to unix": {arg: "tcp:127.0.0.1:8080=unix:/tmp/a.sock",
			want: route{endpoint{"tcp", "127.0.0.1:8080"}, endpoint{"unix", "/tmp/a.sock"}}},
		"unix to tcp v6 loopback": {arg: "unix:a.sock=tcp:[::1]:9",
			want: route{endpoint{"unix", "a.sock"}, endpoint{"tcp", "[::1]:9"}}},
		"no equals":        {arg: "tcp:127.0.0.1:1", wantErr: "want LISTEN=DIAL"},
		"not loopback":     {arg: "tcp:10.244.0.1:80=unix:a", wantErr: "only loopback"},
		"host name":        {arg: "unix:a=tcp:localhost:80", wantErr: "dial side"},
		"unknown network":  {arg: "udp:127.0.0.1:1=unix:a", wantErr: "unknown network"},
		"empty unix path":  {arg: "unix:=tcp:127.0.0.1:1", wantErr: "listen side"},
		"hostname listens": {arg: "tcp:example.test:1=unix:a", wantErr: "listen side"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			got, err := parseRoutes([]string{tc.arg})
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want one containing %q", err, tc.wantErr)
				}
				return
			}
			if err != nil || len(got) != 1 || got[0] != tc.want {
				t.Fatalf("got %v, %v; want %v", got, err, tc.want)
			}
		})
	}
}

// Two bridges in a row, as on the host and in the namespace: TCP -> socket -> TCP reaches an
// HTTP server, and stopping removes the socket.
func TestBridgeChain(t *testing.T) {
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		fmt.Fprintf(w, "got %s", body)
	})}
	target, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = srv.Serve(target) }()
	t.Cleanup(func() { srv.Close() })

	sock := filepath.Join(t.TempDir(), "web.sock")
	front, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	frontAddr := front.Addr().String()
	front.Close() // the bridge listens there next

	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 2)
	inner := []route{{endpoint{"unix", sock}, endpoint{"tcp", target.Addr().String()}}}
	outer := []route{{endpoint{"tcp", frontAddr}, endpoint{"unix", sock}}}
	go func() { done <- serve(ctx, inner, io.Discard) }()
	go func() { done <- serve(ctx, outer, io.Discard) }()

	var resp *http.Response
	deadline := time.Now().Add(5 * time.Second)
	for {
		resp, err = http.Post("http://"+frontAddr+"/", "text/plain", strings.NewReader("hello"))
		if err == nil || time.Now().After(deadline) {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if string(body) != "got hello" {
		t.Fatalf("body %q, want %q", body, "got hello")
	}

	http.DefaultClient.CloseIdleConnections()
	cancel()
	for range 2 {
		select {
		case err := <-done:
			if err != nil {
				t.Fatal(err)
			}
		case <-time.After(5 * time.Second):
			t.Fatal("bridge did not stop")
		}
	}
	if _, err := net.Dial("unix", sock); err == nil {
		t.Fatal("socket still answers after stop")
	}
}
