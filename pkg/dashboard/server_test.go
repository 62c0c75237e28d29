package dashboard

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sirupsen/logrus"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// memSource is a Source whose entries a test sets.
type memSource struct {
	mu      sync.Mutex
	entries []Entry
	subs    map[chan struct{}]bool
}

func newMemSource(views ...RolloutView) *memSource {
	s := &memSource{subs: map[chan struct{}]bool{}}
	s.set(views...)
	return s
}

func (s *memSource) set(views ...RolloutView) {
	var entries []Entry
	for _, v := range views {
		data, _ := json.Marshal(v)
		entries = append(entries, Entry{View: v, JSON: data})
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.entries = entries
	for ch := range s.subs {
		select {
		case ch <- struct{}{}:
		default:
		}
	}
}

func (s *memSource) Snapshot() []Entry { s.mu.Lock(); defer s.mu.Unlock(); return s.entries }

func (s *memSource) Subscribe() (<-chan struct{}, func()) {
	ch := make(chan struct{}, 1)
	s.mu.Lock()
	s.subs[ch] = true
	s.mu.Unlock()
	return ch, func() { s.mu.Lock(); delete(s.subs, ch); s.mu.Unlock() }
}

// recorder is an Actor that records calls and answers err.
type recorder struct {
	mu    sync.Mutex
	calls []string
	err   error
}

func (r *recorder) Act(_ context.Context, ns, name string, a Action) (string, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.calls = append(r.calls, ns+"/"+name+" "+string(a))
	if r.err != nil {
		return "", r.err
	}
	return string(a) + " done", nil
}

func view(ns, name, phase string) RolloutView {
	return RolloutView{Key: ns + "/" + name, Namespace: ns, Name: name, Phase: phase}
}

func newTestServer(t *testing.T, opts Options, src Source, actor Actor) *Server {
	t.Helper()
	opts.Log = logrus.NewEntry(logrus.New())
	s, err := Listen(opts, src, actor)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.listener.Close() })
	return s
}

type req struct {
	method, path, host, origin, token string
}

func do(s *Server, r req) *httptest.ResponseRecorder {
	hr := httptest.NewRequest(r.method, r.path, nil)
	hr.Host = r.host
	if r.host == "" {
		hr.Host = s.Addr().String()
	}
	if r.origin != "" {
		hr.Header.Set("Origin", r.origin)
	}
	if r.token != "" {
		hr.Header.Set(TokenHeader, r.token)
	}
	w := httptest.NewRecorder()
	s.Handler().ServeHTTP(w, hr)
	return w
}

func TestHostCheck(t *testing.T) {
	s := newTestServer(t, Options{}, newMemSource(), &recorder{})
	port := s.Addr().String()[strings.LastIndex(s.Addr().String(), ":"):]
	tests := map[string]struct {
		host string
		want int
	}{
		"bound address":                {s.Addr().String(), http.StatusOK},
		"localhost on a loopback bind": {"localhost" + port, http.StatusOK},
		"LOCALHOST, any case":          {"LOCALHOST" + port, http.StatusOK},
		"rebinding name":               {"evil.example" + port, http.StatusMisdirectedRequest},
		"right name, other port":       {"localhost:1", http.StatusMisdirectedRequest},
		"no port":                      {"localhost", http.StatusMisdirectedRequest},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			for _, path := range []string{"/", "/api/rollouts", "/api/session"} {
				if w := do(s, req{method: "GET", path: path, host: tc.host}); w.Code != tc.want {
					t.Errorf("GET %s with Host %q: %d, want %d: %s", path, tc.host, w.Code, tc.want, w.Body)
				}
			}
		})
	}
}

func TestActionsNeedOriginAndToken(t *testing.T) {
	rec := &recorder{}
	s := newTestServer(t, Options{}, newMemSource(view("shop", "web", "Paused")), rec)
	self := "http://" + s.Addr().String()
	tests := map[string]struct {
		r    req
		want int
	}{
		"same origin and token":     {req{origin: self, token: s.guard.token}, http.StatusOK},
		"localhost origin":          {req{host: "localhost" + s.Addr().String()[9:], origin: "http://localhost" + s.Addr().String()[9:], token: s.guard.token}, http.StatusOK},
		"no Origin":                 {req{token: s.guard.token}, http.StatusForbidden},
		"cross origin":              {req{origin: "http://evil.example", token: s.guard.token}, http.StatusForbidden},
		"origin of another port":    {req{origin: "http://127.0.0.1:1", token: s.guard.token}, http.StatusForbidden},
		"no token":                  {req{origin: self}, http.StatusForbidden},
		"wrong token":               {req{origin: self, token: strings.Repeat("0", 64)}, http.StatusForbidden},
		"rebinding Host and Origin": {req{host: "evil.example:80", origin: "http://evil.example:80", token: s.guard.token}, http.StatusMisdirectedRequest},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			rec.calls = nil
			tc.r.method, tc.r.path = "POST", "/api/rollouts/shop/web/promote"
			w := do(s, tc.r)
			if w.Code != tc.want {
				t.Fatalf("status %d, want %d: %s", w.Code, tc.want, w.Body)
			}
			if called := len(rec.calls) == 1; called != (tc.want == http.StatusOK) {
				t.Errorf("actor calls %v for status %d", rec.calls, w.Code)
			}
			if tc.want == http.StatusOK && rec.calls[0] != "shop/web promote" {
				t.Errorf("actor got %q, want shop/web promote", rec.calls[0])
			}
		})
	}
}

func TestReadOnly(t *testing.T) {
	rec := &recorder{}
	s := newTestServer(t, Options{ReadOnly: true}, newMemSource(view("shop", "web", "Paused")), rec)
	for _, a := range Actions {
		w := do(s, req{method: "POST", path: "/api/rollouts/shop/web/" + string(a),
			origin: "http://" + s.Addr().String(), token: s.guard.token})
		if w.Code != http.StatusForbidden || !strings.Contains(w.Body.String(), "read-only") {
			t.Errorf("%s in read-only mode: %d %s, want 403 naming read-only", a, w.Code, w.Body)
		}
	}
	if len(rec.calls) != 0 {
		t.Errorf("actor called in read-only mode: %v", rec.calls)
	}
	var sess Session
	w := do(s, req{method: "GET", path: "/api/session"})
	if err := json.Unmarshal(w.Body.Bytes(), &sess); err != nil {
		t.Fatal(err)
	}
	if !sess.ReadOnly || len(sess.Actions) != 0 {
		t.Errorf("session %+v, want read-only with no actions", sess)
	}
	if page := do(s, req{method: "GET", path: "/"}).Body.String(); !strings.Contains(page, `<meta name="serin-read-only" content="true">`) {
		t.Errorf("page does not say read-only:\n%s", page)
	}
}

func TestActionErrors(t *testing.T) {
	forbidden := apierrors.NewForbidden(schema.GroupResource{Group: "serin.dev", Resource: "rollouts"}, "web",
		errors.New(`User "viewer" cannot patch resource "rollouts/status"`))
	tests := map[string]struct {
		action   string
		err      error
		want     int
		contains string
	}{
		"forbidden by RBAC": {"abort", forbidden, http.StatusForbidden, `User \"viewer\" cannot patch`},
		"not found":         {"abort", apierrors.NewNotFound(schema.GroupResource{Resource: "rollouts"}, "web"), http.StatusNotFound, "not found"},
		"nothing to do":     {"retry", Refused{errors.New("rollout web is not aborted: nothing to do")}, http.StatusConflict, "nothing to do"},
		"plain failure":     {"retry", errors.New("rollout web is not aborted"), http.StatusInternalServerError, "not aborted"},
		"unknown verb":      {"explode", nil, http.StatusBadRequest, "unknown action"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			s := newTestServer(t, Options{}, newMemSource(), &recorder{err: tc.err})
			w := do(s, req{method: "POST", path: "/api/rollouts/shop/web/" + tc.action,
				origin: "http://" + s.Addr().String(), token: s.guard.token})
			if w.Code != tc.want || !strings.Contains(w.Body.String(), tc.contains) {
				t.Errorf("%d %s, want %d containing %q", w.Code, w.Body, tc.want, tc.contains)
			}
		})
	}
}

func TestReadEndpoints(t *testing.T) {
	src := newMemSource(view("a", "web", "Healthy"), view("b", "api", "Paused"))
	s := newTestServer(t, Options{}, src, &recorder{})
	var list []RolloutView
	w := do(s, req{method: "GET", path: "/api/rollouts?namespace=b"})
	if err := json.Unmarshal(w.Body.Bytes(), &list); err != nil || len(list) != 1 || list[0].Key != "b/api" {
		t.Errorf("list of namespace b: %s (%v)", w.Body, err)
	}
	if w := do(s, req{method: "GET", path: "/api/rollouts"}); strings.Count(w.Body.String(), `"key"`) != 2 {
		t.Errorf("list of all: %s", w.Body)
	}
	if w := do(s, req{method: "GET", path: "/api/rollouts/a/web"}); w.Code != 200 || !strings.Contains(w.Body.String(), `"phase":"Healthy"`) {
		t.Errorf("get a/web: %d %s", w.Code, w.Body)
	}
	if w := do(s, req{method: "GET", path: "/api/rollouts/a/nope"}); w.Code != 404 {
		t.Errorf("get a/nope: %d, want 404", w.Code)
	}
	if w := do(s, req{method: "GET", path: "/api/nothing"}); w.Code != 404 {
		t.Errorf("unknown endpoint: %d, want 404", w.Code)
	}
	page := do(s, req{method: "GET", path: "/"})
	if !strings.Contains(page.Body.String(), `<meta name="serin-token" content="`+s.guard.token+`">`) {
		t.Errorf("the page does not carry the session token")
	}
	if csp := page.Header().Get("Content-Security-Policy"); !strings.Contains(csp, "frame-ancestors 'none'") {
		t.Errorf("CSP %q", csp)
	}
	if len(s.guard.token) != 64 {
		t.Errorf("token %q: want 32 random bytes in hex", s.guard.token)
	}
}

func TestNonLoopbackBindNeedsItsAddress(t *testing.T) {
	hosts, err := allowedHosts(&fakeAddr{"192.0.2.10:3100"}, []string{"dash.example"})
	if err != nil {
		t.Fatal(err)
	}
	for h, want := range map[string]bool{"192.0.2.10:3100": true, "dash.example:3100": true,
		"localhost:3100": false, "127.0.0.1:3100": false} {
		if hosts[h] != want {
			t.Errorf("Host %s accepted=%v, want %v", h, hosts[h], want)
		}
	}
}

type fakeAddr struct{ s string }

func (a *fakeAddr) Network() string { return "tcp" }
func (a *fakeAddr) String() string  { return a.s }

// TestStream runs the real server and reads its event stream as a browser would.
func TestStream(t *testing.T) {
	src := newMemSource(view("a", "web", "Paused"), view("a", "api", "Healthy"), view("b", "other", "Healthy"))
	s := newTestServer(t, Options{}, src, &recorder{})
	ctx, cancel := context.WithCancel(t.Context())
	served := make(chan error, 1)
	go func() { served <- s.Serve(ctx) }()

	resp, err := http.Get(s.URL() + "api/stream?namespace=a")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if ct := resp.Header.Get("Content-Type"); ct != "text/event-stream" {
		t.Fatalf("Content-Type %q", ct)
	}
	events := readEvents(resp.Body)
	next := func() sse {
		t.Helper()
		select {
		case e := <-events:
			return e
		case <-time.After(10 * time.Second):
			t.Fatal("no event within 10s")
		}
		return sse{}
	}
	if e := next(); e.name != "reset" || strings.Count(e.data, `"key"`) != 2 || strings.Contains(e.data, "b/other") {
		t.Fatalf("first event %+v, want reset with a/web and a/api only", e)
	}
	src.set(view("a", "web", "Progressing"), view("a", "api", "Healthy"), view("b", "other", "Degraded"))
	if e := next(); e.name != "rollout" || !strings.Contains(e.data, `"key":"a/web"`) || !strings.Contains(e.data, "Progressing") {
		t.Fatalf("after a change of a/web: %+v", e)
	}
	src.set(view("a", "web", "Progressing"))
	if e := next(); e.name != "deleted" || e.data != `"a/api"` {
		t.Fatalf("after a/api went: %+v", e)
	}
	cancel()
	if err := <-served; err != nil {
		t.Errorf("Serve: %v", err)
	}
	if _, ok := <-events; ok {
		t.Error("stream still open after shutdown")
	}
}

type sse struct{ name, data string }

func readEvents(r io.Reader) <-chan sse {
	ch := make(chan sse)
	go func() {
		defer close(ch)
		sc := bufio.NewScanner(r)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		var cur sse
		for sc.Scan() {
			line := sc.Text()
			switch {
			case line == "":
				if cur.name != "" {
					ch <- cur
				}
				cur = sse{}
			case strings.HasPrefix(line, "event: "):
				cur.name = line[len("event: "):]
			case strings.HasPrefix(line, "data: "):
				cur.data = line[len("data: "):]
			}
		}
	}()
	return ch
}
