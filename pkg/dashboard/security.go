package dashboard

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/hex"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"strings"

	"github.com/sirupsen/logrus"
)

// TokenHeader carries the session token on every mutating request.
const TokenHeader = "X-Serin-Token"

// guard enforces the dashboard's security model on every request:
//
//   - Host must name the address the server is bound to (for a loopback bind, also
//     localhost): a page on another site that rebinds its DNS name to 127.0.0.1 sends its
//     own name as Host and is refused, so it can read nothing.
//   - A mutating request (anything but GET and HEAD) must carry an Origin equal to the
//     served origin and the session token, which only a page loaded from this server
//     has read (it is in the served HTML, and the browser's same-origin policy keeps other
//     sites from reading that).
//   - In read-only mode, mutating requests are refused outright.
type guard struct {
	hosts    map[string]bool // accepted Host values, lower case, with port
	token    string
	readOnly bool
	log      *logrus.Entry
}

// newToken returns 32 random bytes, hex encoded.
func newToken() (string, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("session token: %w", err)
	}
	return hex.EncodeToString(b), nil
}

// allowedHosts returns the Host values accepted for a server bound to addr (host:port,
// the port resolved). A loopback bind accepts localhost and both loopback literals; a
// wildcard bind (0.0.0.0, ::) accepts those and the machine's interface addresses;
// any other bind accepts exactly its address, plus extra names given by the user.
func allowedHosts(addr net.Addr, extra []string) (map[string]bool, error) {
	host, portStr, err := net.SplitHostPort(addr.String())
	if err != nil {
		return nil, fmt.Errorf("bound address %s: %w", addr, err)
	}
	port, err := strconv.Atoi(portStr)
	if err != nil {
		return nil, fmt.Errorf("bound port %s: %w", portStr, err)
	}
	out := map[string]bool{}
	add := func(h string) { out[strings.ToLower(net.JoinHostPort(h, strconv.Itoa(port)))] = true }
	ip := net.ParseIP(host)
	add(host)
	if ip != nil && (ip.IsLoopback() || ip.IsUnspecified()) {
		add("localhost")
		add("127.0.0.1")
		add("::1")
	}
	if ip != nil && ip.IsUnspecified() {
		addrs, err := net.InterfaceAddrs()
		if err != nil {
			return nil, fmt.Errorf("interface addresses: %w", err)
		}
		for _, a := range addrs {
			if n, ok := a.(*net.IPNet); ok {
				add(n.IP.String())
			}
		}
	}
	for _, h := range extra {
		add(h)
	}
	return out, nil
}

// wrap applies the checks before next, and the response headers every answer gets.
func (g *guard) wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("Cross-Origin-Opener-Policy", "same-origin")
		h.Set("Cross-Origin-Resource-Policy", "same-origin")
		h.Set("Content-Security-Policy", "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "+
			"img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'")
		if !g.hosts[strings.ToLower(r.Host)] {
			g.refuse(w, r, http.StatusMisdirectedRequest,
				fmt.Sprintf("Host %q is not the address this dashboard serves on", r.Host))
			return
		}
		if r.Method == http.MethodGet || r.Method == http.MethodHead {
			next.ServeHTTP(w, r)
			return
		}
		if g.readOnly {
			g.refuse(w, r, http.StatusForbidden, "the dashboard runs with --read-only: actions are disabled")
			return
		}
		if origin := r.Header.Get("Origin"); origin != "http://"+r.Host {
			g.refuse(w, r, http.StatusForbidden, fmt.Sprintf("Origin %q is not this dashboard's origin", origin))
			return
		}
		if subtle.ConstantTimeCompare([]byte(r.Header.Get(TokenHeader)), []byte(g.token)) != 1 {
			g.refuse(w, r, http.StatusForbidden, "missing or wrong session token: reload the page")
			return
		}
		next.ServeHTTP(w, r)
	})
}

// refuse answers a refused request and logs it: a refusal is either a stale page or
// someone trying.
func (g *guard) refuse(w http.ResponseWriter, r *http.Request, status int, reason string) {
	g.log.WithFields(logrus.Fields{"method": r.Method, "path": r.URL.Path, "host": r.Host,
		"origin": r.Header.Get("Origin"), "status": status}).Warn("refused: " + reason)
	writeError(w, status, reason)
}
