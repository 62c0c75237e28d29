package podsim

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	corev1 "k8s.io/api/core/v1"
	clocktesting "k8s.io/utils/clock/testing"
)

// loopbackIP returns an address of 127/8 (all local on Linux) that no other test is
// likely to use, so tests can bind fixed ports on it.
func loopbackIP() string {
	return fmt.Sprintf("127.%d.%d.%d", 100+rand.IntN(150), rand.IntN(256), 1+rand.IntN(250))
}

func newReconciler(t *testing.T) *Reconciler {
	r := NewReconciler(Options{Logf: t.Logf})
	t.Cleanup(r.Close)
	return r
}

// client sends each request on a new connection, so a closed listener shows at once.
var client = &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}

func get(t *testing.T, addr string) (*http.Response, Answer) {
	t.Helper()
	resp, err := client.Get("http://" + addr + "/hello")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var a Answer
	if err := json.NewDecoder(resp.Body).Decode(&a); err != nil {
		t.Fatalf("GET %s: body: %v", addr, err)
	}
	return resp, a
}

// refused checks that nothing listens on addr.
func refused(t *testing.T, addr string) {
	t.Helper()
	_, err := client.Get("http://" + addr + "/")
	if !errors.Is(err, syscall.ECONNREFUSED) {
		t.Errorf("GET %s: error %v, want connection refused", addr, err)
	}
}

func mustSync(t *testing.T, r *Reconciler, pod *corev1.Pod) {
	t.Helper()
	if err := r.Sync("ns/"+pod.Name, pod); err != nil {
		t.Fatal(err)
	}
}

func TestServesRunningPodWithIdentity(t *testing.T) {
	r := newReconciler(t)
	ip := loopbackIP()
	mustSync(t, r, testPod("web-1", ip, []int32{8080, 8081}))
	for _, port := range []string{"8080", "8081"} {
		resp, a := get(t, net.JoinHostPort(ip, port))
		if resp.StatusCode != 200 {
			t.Errorf("port %s: status %d", port, resp.StatusCode)
		}
		want := Identity{Namespace: "ns", Pod: "web-1", Revision: "abc", Container: "app", Image: "web:v1"}
		if a.Identity != want || fmt.Sprint(a.Port) != port || a.Code != 200 {
			t.Errorf("port %s: body %+v, want %+v", port, a, want)
		}
		for h, v := range map[string]string{HeaderPod: "web-1", HeaderNamespace: "ns", HeaderRevision: "abc",
			HeaderImage: "web:v1", HeaderContainer: "app"} {
			if got := resp.Header.Get(h); got != v {
				t.Errorf("port %s: header %s = %q, want %q", port, h, got, v)
			}
		}
	}
}

func TestNotReadyPodIsServed(t *testing.T) {
	r := newReconciler(t)
	ip := loopbackIP()
	mustSync(t, r, testPod("web-1", ip, []int32{8080}, func(p *corev1.Pod) {
		p.Status.Conditions = []corev1.PodCondition{{Type: corev1.PodReady, Status: corev1.ConditionFalse}}
	}))
	if resp, _ := get(t, ip+":8080"); resp.StatusCode != 200 {
		t.Errorf("status %d", resp.StatusCode)
	}
}

func TestErrorRateAndLatency(t *testing.T) {
	r := newReconciler(t)
	ip := loopbackIP()
	mustSync(t, r, testPod("bad", ip, []int32{8080}, withEnv(EnvErrorRate, "0.3", EnvErrorCode, "503")))
	codes := map[int]int{}
	for range 100 {
		resp, a := get(t, ip+":8080")
		codes[resp.StatusCode]++
		if a.Code != resp.StatusCode || resp.Header.Get(HeaderPod) != "bad" {
			t.Fatalf("status %d, body %+v, pod header %q", resp.StatusCode, a, resp.Header.Get(HeaderPod))
		}
	}
	if codes[503] != 30 || codes[200] != 70 {
		t.Errorf("codes %v, want 30 × 503 and 70 × 200", codes)
	}

	ip2 := loopbackIP()
	mustSync(t, r, testPod("slow", ip2, []int32{8080}, withEnv(EnvLatency, "150ms")))
	start := time.Now()
	get(t, ip2+":8080")
	if d := time.Since(start); d < 150*time.Millisecond {
		t.Errorf("answered in %s, want at least 150ms", d)
	}
}

func TestPodGoingAwayClosesItsListeners(t *testing.T) {
	tests := map[string]func(p *corev1.Pod) *corev1.Pod{
		"deleted":       func(*corev1.Pod) *corev1.Pod { return nil },
		"succeeded":     func(p *corev1.Pod) *corev1.Pod { withPhase(corev1.PodSucceeded)(p); return p },
		"failed":        func(p *corev1.Pod) *corev1.Pod { withPhase(corev1.PodFailed)(p); return p },
		"IP removed":    func(p *corev1.Pod) *corev1.Pod { p.Status.PodIP = ""; return p },
		"invalid env":   func(p *corev1.Pod) *corev1.Pod { withEnv(EnvErrorRate, "x")(p); return p },
		"ports removed": func(p *corev1.Pod) *corev1.Pod { p.Spec.Containers[0].Ports = nil; return p },
	}
	for name, change := range tests {
		t.Run(name, func(t *testing.T) {
			r := newReconciler(t)
			ip := loopbackIP()
			pod := testPod("web-1", ip, []int32{8080})
			mustSync(t, r, pod)
			get(t, ip+":8080")
			err := r.Sync("ns/web-1", change(pod.DeepCopy()))
			if name == "invalid env" && err == nil {
				t.Error("Sync accepted an invalid env value")
			}
			refused(t, ip+":8080")
			refused(t, fmt.Sprintf("%s:%d", ip, DefaultMetricsPort))
			if len(r.Served()) != 0 {
				t.Errorf("still serving %v", r.Served())
			}
		})
	}
}

func TestIPChangeMovesListeners(t *testing.T) {
	r := newReconciler(t)
	ip, ip2 := loopbackIP(), loopbackIP()
	mustSync(t, r, testPod("web-1", ip, []int32{8080}))
	mustSync(t, r, testPod("web-1", ip2, []int32{8080}))
	refused(t, ip+":8080")
	if resp, a := get(t, ip2+":8080"); resp.StatusCode != 200 || a.Pod != "web-1" {
		t.Errorf("new IP: status %d, body %+v", resp.StatusCode, a)
	}
}

func TestSamePodAgainKeepsServing(t *testing.T) {
	r := newReconciler(t)
	ip := loopbackIP()
	pod := testPod("web-1", ip, []int32{8080}, withEnv(EnvErrorRate, "0.5"))
	mustSync(t, r, pod)
	get(t, ip+":8080") // request 1 of the pod: succeeds
	// An unrelated change (a status condition) must not restart the pod: its request
	// count goes on, so request 2 fails.
	pod = pod.DeepCopy()
	pod.Status.Conditions = []corev1.PodCondition{{Type: corev1.PodReady, Status: corev1.ConditionTrue}}
	mustSync(t, r, pod)
	if resp, _ := get(t, ip+":8080"); resp.StatusCode != 500 {
		t.Errorf("second request: status %d, want 500 (the pod was restarted)", resp.StatusCode)
	}
}

func TestAddressInUseIsAnError(t *testing.T) {
	r := newReconciler(t)
	ip := loopbackIP()
	ln, err := net.Listen("tcp", ip+":8080")
	if err != nil {
		t.Fatal(err)
	}
	err = r.Sync("ns/web-1", testPod("web-1", ip, []int32{8080}))
	if err == nil || !strings.Contains(err.Error(), "pod ns/web-1: listen on "+ip+":8080") {
		t.Fatalf("error %v, want the address in use", err)
	}
	// Nothing of the pod stays bound, and once the address is free a retry serves it.
	refused(t, fmt.Sprintf("%s:%d", ip, DefaultMetricsPort))
	ln.Close()
	mustSync(t, r, testPod("web-1", ip, []int32{8080}))
	get(t, ip+":8080")
}

// scrape reads the pod's metrics at addr.
func scrape(t *testing.T, addr string) map[string]*model.Sample {
	t.Helper()
	resp, err := client.Get("http://" + addr + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	dec := expfmt.SampleDecoder{Dec: expfmt.NewDecoder(strings.NewReader(string(body)), expfmt.NewFormat(expfmt.TypeTextPlain)),
		Opts: &expfmt.DecodeOptions{Timestamp: model.Now()}}
	var v model.Vector
	out := map[string]*model.Sample{}
	for dec.Decode(&v) == nil {
		for _, s := range v {
			out[s.Metric.String()] = s
		}
	}
	return out
}

func TestPerPodMetrics(t *testing.T) {
	r := newReconciler(t)
	ip, ip2 := loopbackIP(), loopbackIP()
	mustSync(t, r, testPod("bad", ip, []int32{8080}, withEnv(EnvErrorRate, "0.25")))
	mustSync(t, r, testPod("good", ip2, []int32{8080}))
	for range 8 {
		get(t, ip+":8080")
	}
	get(t, ip2+":8080")
	tests := map[string]struct {
		addr string
		want map[string]float64
	}{
		"bad pod": {addr: fmt.Sprintf("%s:%d", ip, DefaultMetricsPort), want: map[string]float64{
			`serin_sim_requests_total{code="200", port="8080"}`:                             6,
			`serin_sim_requests_total{code="500", port="8080"}`:                             2,
			`serin_sim_request_duration_seconds_count{code="500", port="8080"}`:             2,
			`serin_sim_request_duration_seconds_bucket{code="200", le="+Inf", port="8080"}`: 6,
		}},
		"good pod, its own registry": {addr: fmt.Sprintf("%s:%d", ip2, DefaultMetricsPort), want: map[string]float64{
			`serin_sim_requests_total{code="200", port="8080"}`: 1,
			`serin_sim_requests_total{code="500", port="8080"}`: -1, // absent
		}},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			got := scrape(t, tc.addr)
			for series, want := range tc.want {
				s, ok := got[series]
				switch {
				case want < 0 && ok:
					t.Errorf("%s = %v, want no such series", series, s.Value)
				case want >= 0 && !ok:
					t.Errorf("no series %s", series)
				case want >= 0 && float64(s.Value) != want:
					t.Errorf("%s = %v, want %v", series, s.Value, want)
				}
			}
		})
	}
}

func TestMetricsOnADeclaredPort(t *testing.T) {
	r := NewReconciler(Options{MetricsPort: 8080, Logf: t.Logf})
	t.Cleanup(r.Close)
	ip := loopbackIP()
	mustSync(t, r, testPod("web-1", ip, []int32{8080}))
	get(t, ip+":8080")
	got := scrape(t, ip+":8080")
	if s := got[`serin_sim_requests_total{code="200", port="8080"}`]; s == nil || s.Value != 1 {
		t.Errorf("requests on the shared port: %v", s)
	}
}

func TestDeletedPodLingers(t *testing.T) {
	fake := clocktesting.NewFakeClock(time.Now())
	expired := make(chan string, 10)
	r := NewReconciler(Options{Linger: 2 * time.Second, Clock: fake, Logf: func(format string, args ...any) {
		line := fmt.Sprintf(format, args...)
		t.Log(line)
		if strings.Contains(line, "linger over") {
			expired <- line
		}
	}})
	t.Cleanup(r.Close)
	ip, ip2 := loopbackIP(), loopbackIP()
	mustSync(t, r, testPod("gone", ip, []int32{8080}))
	mustSync(t, r, testPod("stops", ip2, []int32{8080}))

	mustSync(t, r, &corev1.Pod{ObjectMeta: testPod("gone", "", nil).ObjectMeta}) // still there: no linger
	refused(t, ip+":8080")
	mustSync(t, r, testPod("gone", ip, []int32{8080}))
	if err := r.Sync("ns/gone", nil); err != nil {
		t.Fatal(err)
	}
	fake.Step(1999 * time.Millisecond)
	if resp, a := get(t, ip+":8080"); resp.StatusCode != 200 || a.Pod != "gone" {
		t.Errorf("deleted pod during its linger: status %d, body %+v", resp.StatusCode, a)
	}
	// Stopping Running is not a deletion: closed at once.
	mustSync(t, r, testPod("stops", ip2, []int32{8080}, withPhase(corev1.PodSucceeded)))
	refused(t, ip2+":8080")

	fake.Step(time.Millisecond)
	select {
	case <-expired:
	case <-time.After(5 * time.Second):
		t.Fatal("the linger did not end")
	}
	refused(t, ip+":8080")
	if len(r.Served()) != 0 {
		t.Errorf("still serving %v", r.Served())
	}
}

func TestNewPodReplacesALingeringOne(t *testing.T) {
	fake := clocktesting.NewFakeClock(time.Now())
	r := NewReconciler(Options{Linger: time.Minute, Clock: fake, Logf: t.Logf})
	t.Cleanup(r.Close)
	ip := loopbackIP()
	mustSync(t, r, testPod("web-0", ip, []int32{8080}))
	if err := r.Sync("ns/web-0", nil); err != nil {
		t.Fatal(err)
	}
	// The same name again, a new pod (new UID) at the same address: served at once.
	mustSync(t, r, testPod("web-0", ip, []int32{8080}, withLabels("rollouts-pod-template-hash", "new"),
		func(p *corev1.Pod) { p.UID = "uid-2" }))
	if resp, _ := get(t, ip+":8080"); resp.Header.Get(HeaderRevision) != "new" {
		t.Errorf("revision %q, want the new pod's", resp.Header.Get(HeaderRevision))
	}
	fake.Step(time.Minute) // the old linger's end must not close the new pod
	if resp, _ := get(t, ip+":8080"); resp.Header.Get(HeaderRevision) != "new" {
		t.Errorf("after the old linger: revision %q, want the new pod's", resp.Header.Get(HeaderRevision))
	}
}

func TestNewPodAtALingeringAddressEndsTheLinger(t *testing.T) {
	fake := clocktesting.NewFakeClock(time.Now())
	r := NewReconciler(Options{Linger: time.Minute, Clock: fake, Logf: t.Logf})
	t.Cleanup(r.Close)
	ip := loopbackIP()
	mustSync(t, r, testPod("old", ip, []int32{8080}))
	if err := r.Sync("ns/old", nil); err != nil {
		t.Fatal(err)
	}
	// Another pod given the deleted one's address (kwok reuses it at once): it answers
	// there at once, not after the old pod's linger.
	mustSync(t, r, testPod("new", ip, []int32{8080}))
	if resp, a := get(t, ip+":8080"); resp.StatusCode != 200 || a.Pod != "new" {
		t.Errorf("status %d, answered by %+v; want pod new", resp.StatusCode, a)
	}
	if _, ok := r.Served()["ns/old"]; ok {
		t.Errorf("the lingering pod is still served: %v", r.Served())
	}
}
