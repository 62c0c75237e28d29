package traffic

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"time"
)

// Config is one stream of requests. Count and Duration both bound it: it stops at
// whichever comes first (or when its context ends, or Stop is called).
type Config struct {
	// URL is where requests go: http://127.0.0.1:<port>/<path>, or http://<pod IP>:<port>/
	// for a direct check of a pod, which is refused unless the pod IP is a local address
	// (inside the test's network namespace). Host names are refused, other hosts too.
	URL string
	// Host, when set, is the Host header (the Ingress rule's host).
	Host string
	// Header holds extra request headers (e.g. a canary-by-header route's).
	Header http.Header
	// Cookies are sent with every request (e.g. a canary-by-cookie route's).
	Cookies []*http.Cookie
	// Rate is the requests per second to start; 0 starts each request as soon as a
	// worker is free.
	Rate float64
	// Concurrency is the number of requests in flight at most (default 1).
	Concurrency int
	// Count is the number of requests at most (required).
	Count int
	// Duration is the time the stream may last at most (required).
	Duration time.Duration
	// Timeout bounds each request (default 5s); a request that times out is recorded
	// as failed.
	Timeout time.Duration
}

// validate checks the bounds and the target.
func (c Config) validate() (*url.URL, error) {
	switch {
	case c.Count <= 0:
		return nil, fmt.Errorf("traffic: Count=%d: want a positive bound on the requests", c.Count)
	case c.Duration <= 0:
		return nil, fmt.Errorf("traffic: Duration=%s: want a positive bound on the time", c.Duration)
	case c.Rate < 0:
		return nil, fmt.Errorf("traffic: Rate=%v: want requests per second, or 0 for as fast as workers allow", c.Rate)
	case c.Concurrency < 0:
		return nil, fmt.Errorf("traffic: Concurrency=%d: want 1 or more (0 means 1)", c.Concurrency)
	case c.Timeout < 0:
		return nil, fmt.Errorf("traffic: Timeout=%s: want a positive duration (0 means 5s)", c.Timeout)
	}
	u, err := url.Parse(c.URL)
	if err != nil {
		return nil, fmt.Errorf("traffic: URL=%q: %w", c.URL, err)
	}
	if u.Scheme != "http" {
		return nil, fmt.Errorf("traffic: URL=%q: want an http:// URL", c.URL)
	}
	if err := allowedHost(u.Hostname()); err != nil {
		return nil, fmt.Errorf("traffic: URL=%q: %w", c.URL, err)
	}
	return u, nil
}

// allowedHost accepts 127.0.0.1, and an IPv4 address that is local to this network
// namespace (a pod IP where `ip route add local <pod CIDR> dev lo` holds). Anything else
// could leave the machine.
func allowedHost(host string) error {
	ip := net.ParseIP(host)
	switch {
	case ip == nil:
		return fmt.Errorf("host %q is not an IP address: only 127.0.0.1 or a local pod IP is allowed", host)
	case ip.Equal(net.IPv4(127, 0, 0, 1)):
		return nil
	case ip.To4() == nil || ip.IsLoopback() || ip.IsUnspecified() || ip.IsMulticast():
		return fmt.Errorf("host %s: only 127.0.0.1 or a local pod IP is allowed", host)
	}
	// A local address can be bound; any other cannot. Pod IPs are local only inside the
	// test's network namespace: outside it they lead off the machine.
	pc, err := net.ListenPacket("udp4", net.JoinHostPort(host, "0"))
	if err != nil {
		return fmt.Errorf("host %s is not a local address here (a pod IP is only reachable inside the test's network namespace): %w", host, err)
	}
	_ = pc.Close()
	return nil
}

// newClient is an HTTP client that uses no proxy, follows no redirect and dials only
// allowed hosts.
func newClient(timeout time.Duration, concurrency int) *http.Client {
	dialer := &net.Dialer{Timeout: timeout}
	return &http.Client{
		Timeout: timeout,
		Transport: &http.Transport{
			Proxy: nil, // never HTTP_PROXY: requests stay on this machine
			DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
				host, _, err := net.SplitHostPort(addr)
				if err != nil {
					return nil, err
				}
				if err := allowedHost(host); err != nil {
					return nil, err
				}
				return dialer.DialContext(ctx, network, addr)
			},
			MaxIdleConnsPerHost: concurrency,
		},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}
