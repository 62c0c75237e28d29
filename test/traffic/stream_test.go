package traffic

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/serin-dev/serin/test/podsim"
)

// fakeApp answers like two simulated revisions: every fifth request from "canary", the
// rest from "stable"; every tenth request (when failing) with 503. It remembers what the
// requests carried and how many were in flight at most.
type fakeApp struct {
	failing bool
	delay   time.Duration

	n, inFlight, maxInFlight atomic.Int64
	mu                       sync.Mutex
	hosts, headers, cookies  map[string]int
}

func (a *fakeApp) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	n := a.n.Add(1)
	cur := a.inFlight.Add(1)
	defer a.inFlight.Add(-1)
	for m := a.maxInFlight.Load(); cur > m && !a.maxInFlight.CompareAndSwap(m, cur); m = a.maxInFlight.Load() {
	}
	a.mu.Lock()
	a.hosts[r.Host]++
	a.headers[r.Header.Get("X-Canary")]++
	if c, err := r.Cookie("canary"); err == nil {
		a.cookies[c.Value]++
	}
	a.mu.Unlock()
	time.Sleep(a.delay)
	rev := "stable"
	if n%5 == 0 {
		rev = "canary"
	}
	w.Header().Set(podsim.HeaderPod, "web-"+rev)
	w.Header().Set(podsim.HeaderNamespace, "ns")
	w.Header().Set(podsim.HeaderRevision, rev)
	if a.failing && n%10 == 0 {
		w.WriteHeader(http.StatusServiceUnavailable)
	}
}

func serve(t *testing.T, a *fakeApp) string {
	a.hosts, a.headers, a.cookies = map[string]int{}, map[string]int{}, map[string]int{}
	srv := httptest.NewServer(a)
	t.Cleanup(srv.Close)
	return srv.URL
}

func TestRunRecordsEveryAnswer(t *testing.T) {
	a := &fakeApp{failing: true}
	url := serve(t, a)
	recs, err := Run(context.Background(), Config{URL: url + "/x", Host: "web.example", Count: 100, Duration: time.Minute,
		Header: http.Header{"X-Canary": {"always"}}, Cookies: []*http.Cookie{{Name: "canary", Value: "never"}}})
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 100 {
		t.Fatalf("%d records, want 100", len(recs))
	}
	if k, n := recs.Share("canary"); k != 20 || n != 100 {
		t.Errorf("canary share %d of %d, want 20 of 100", k, n)
	}
	if f := recs.Failed(); len(f) != 10 || f[0].Status != 503 {
		t.Errorf("failed: %v, want 10 with 503", f)
	}
	if a.hosts["web.example"] != 100 || a.headers["always"] != 100 || a.cookies["never"] != 100 {
		t.Errorf("requests carried hosts %v, headers %v, cookies %v", a.hosts, a.headers, a.cookies)
	}
	for i, r := range recs {
		if r.Seq != i || r.Pod == "" || r.Namespace != "ns" || r.Err != "" || r.Sent.IsZero() || r.Duration <= 0 {
			t.Fatalf("record %d: %+v", i, r)
		}
	}
	if err := recs.CheckShare("canary", 0.2, 0.999); err != nil {
		t.Error(err)
	}
	if err := recs.CheckShare("canary", 0.5, 0.999); err == nil || !strings.Contains(err.Error(), "20 of 100") {
		t.Errorf("a share of 0.5 was not refused: %v", err)
	}
}

func TestBounds(t *testing.T) {
	url := serve(t, &fakeApp{})
	tests := map[string]struct {
		c          Config
		minN, maxN int
		minT, maxT time.Duration
	}{
		"rate paces the requests": {c: Config{Rate: 100, Count: 30, Duration: time.Minute}, minN: 30, maxN: 30, minT: 290 * time.Millisecond, maxT: 3 * time.Second},
		"duration cuts the count": {c: Config{Rate: 20, Count: 1000, Duration: 300 * time.Millisecond}, minN: 4, maxN: 7, minT: 250 * time.Millisecond, maxT: 3 * time.Second},
		"count cuts the duration": {c: Config{Count: 50, Duration: time.Minute}, minN: 50, maxN: 50, maxT: 10 * time.Second},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			tc.c.URL = url
			start := time.Now()
			recs, err := Run(context.Background(), tc.c)
			if err != nil {
				t.Fatal(err)
			}
			d := time.Since(start)
			if len(recs) < tc.minN || len(recs) > tc.maxN || d < tc.minT || d > tc.maxT {
				t.Errorf("%d requests in %s, want %d-%d in %s-%s", len(recs), d, tc.minN, tc.maxN, tc.minT, tc.maxT)
			}
		})
	}
}

func TestConcurrency(t *testing.T) {
	a := &fakeApp{delay: 30 * time.Millisecond}
	url := serve(t, a)
	recs, err := Run(context.Background(), Config{URL: url, Concurrency: 4, Count: 40, Duration: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 40 || a.maxInFlight.Load() != 4 {
		t.Errorf("%d requests, %d in flight at most; want 40 and 4", len(recs), a.maxInFlight.Load())
	}
}

func TestStartStopLetsRequestsInFlightFinish(t *testing.T) {
	url := serve(t, &fakeApp{delay: 20 * time.Millisecond})
	s, err := Start(context.Background(), Config{URL: url, Rate: 50, Concurrency: 2, Count: 100000, Duration: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(300 * time.Millisecond)
	mid := len(s.Records())
	recs := s.Stop()
	if mid < 5 || len(recs) < mid || len(recs) > 30 {
		t.Errorf("%d records mid-way, %d at Stop; want about 15", mid, len(recs))
	}
	if f := recs.Failed(); len(f) != 0 {
		t.Errorf("Stop failed requests in flight: %v", f)
	}
}

func TestFailuresAreRecords(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // nothing listens there now
	redirect := httptest.NewServer(http.RedirectHandler("http://example.com/", http.StatusFound))
	t.Cleanup(redirect.Close)
	slow := serve(t, &fakeApp{delay: 500 * time.Millisecond})
	tests := map[string]struct {
		c          Config
		wantStatus int
		wantErr    string
	}{
		"connection refused":    {c: Config{URL: "http://" + addr}, wantErr: "refused"},
		"redirect not followed": {c: Config{URL: redirect.URL}, wantStatus: http.StatusFound},
		"timeout":               {c: Config{URL: slow, Timeout: 50 * time.Millisecond}, wantErr: "Timeout"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			tc.c.Count, tc.c.Duration = 1, time.Minute
			recs, err := Run(context.Background(), tc.c)
			if err != nil {
				t.Fatal(err)
			}
			r := recs[0]
			if r.Status != tc.wantStatus || !strings.Contains(r.Err, tc.wantErr) || (tc.wantErr == "") != (r.Err == "") || !r.Failed() {
				t.Errorf("record %v, want status %d and error containing %q, failed", r, tc.wantStatus, tc.wantErr)
			}
		})
	}
}

func TestRefusedConfigs(t *testing.T) {
	ok := Config{URL: "http://127.0.0.1:1/", Count: 1, Duration: time.Second}
	tests := map[string]struct {
		change  func(*Config)
		wantErr string
	}{
		"host name":              {func(c *Config) { c.URL = "http://localhost:8080/" }, `host "localhost" is not an IP address`},
		"remote name":            {func(c *Config) { c.URL = "http://example.com/" }, `host "example.com" is not an IP address`},
		"other loopback":         {func(c *Config) { c.URL = "http://127.0.0.2/" }, "only 127.0.0.1 or a local pod IP"},
		"IPv6 loopback":          {func(c *Config) { c.URL = "http://[::1]:80/" }, "only 127.0.0.1 or a local pod IP"},
		"address not local here": {func(c *Config) { c.URL = "http://192.0.2.7/" }, "192.0.2.7 is not a local address here"},
		"https":                  {func(c *Config) { c.URL = "https://127.0.0.1/" }, "want an http:// URL"},
		"no count":               {func(c *Config) { c.Count = 0 }, "Count=0"},
		"no duration":            {func(c *Config) { c.Duration = 0 }, "Duration=0s"},
		"negative rate":          {func(c *Config) { c.Rate = -1 }, "Rate=-1"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			c := ok
			tc.change(&c)
			_, err := Run(context.Background(), c)
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("error %v, want one containing %q", err, tc.wantErr)
			}
		})
	}
}

func TestRecordHelpers(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	at := func(s int, rev string, status int, d time.Duration) Record {
		return Record{Sent: t0.Add(time.Duration(s) * time.Second), Revision: rev, Status: status, Duration: d}
	}
	recs := Records{
		at(0, "a", 200, time.Millisecond), at(1, "b", 200, 3*time.Second), at(2, "b", 500, time.Millisecond),
		at(3, "", 404, time.Millisecond), at(4, "a", 200, time.Millisecond), {Sent: t0.Add(5 * time.Second), Err: "EOF"},
	}
	if got := len(recs.Between(t0.Add(time.Second), t0.Add(4*time.Second))); got != 3 {
		t.Errorf("Between: %d records, want 3", got)
	}
	if got := len(recs.Failed()); got != 3 {
		t.Errorf("Failed: %d, want 3 (500, 404, error)", got)
	}
	if k, n := recs.Share("b"); k != 2 || n != 4 {
		t.Errorf("Share(b) = %d of %d, want 2 of 4", k, n)
	}
	// b's last answer is the slow one sent at 1s, done at 4s, after the one sent at 2s.
	if last, ok := recs.LastServedBy("b"); !ok || !last.Done().Equal(t0.Add(4*time.Second)) {
		t.Errorf("LastServedBy(b) = %v, %v", last, ok)
	}
	if _, ok := recs.LastServedBy("c"); ok {
		t.Error("LastServedBy(c) found a record")
	}
	if got, want := recs.Summary(), "6 requests, 3 failed; by revision (no pod): 2, a: 2, b: 2"; got != want {
		t.Errorf("Summary() = %q, want %q", got, want)
	}
}
