//go:build e2e

package traffic

import (
	"fmt"
	"testing"
	"time"

	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/serin-dev/serin/test/e2e/framework"
	"github.com/serin-dev/serin/test/traffic"
)

// traefikReload bounds how long Traefik takes to route by a changed EndpointSlice: its
// providers' throttle (2 s by default) and a margin for a loaded machine (measured: 1.7 to
// 2.4 s from the EndpointSlice update to the pod's last answer).
const traefikReload = 5 * time.Second

// A canary pod that stops being Ready gets no request once the EndpointSlice says so and
// Traefik has reloaded (traefikReload after it), although the simulator still serves it:
// a router that kept sending it traffic would be caught. Both delays are measured.
func TestNotReadyCanaryPodGetsNoTraffic(t *testing.T) {
	t.Parallel()
	e := framework.NewEnv(t)
	r := newRoute(e)
	e.Given().Apply(app(r.host, "web:1", 4, shortDelays, "      - setWeight: 50\n      - pause: {}\n"))
	healthyOn(e)
	e.SetImage("web", "web:2")
	v2 := atPause(e, 1).Status.CurrentPodHash
	r.waitWeight(50)
	pods := servePods(e, hashLabel+"="+v2)
	if len(pods) != 2 {
		t.Fatalf("want 2 canary pods at weight 50 of 4 replicas, have %v", pods)
	}
	stream := r.steadyLoad()
	var pod string
	for p := range pods {
		pod = p
	}
	waitAnswered(t, stream, pod)

	t0 := time.Now()
	e.When().Label("pod", pod, framework.HealthLabel, framework.HealthNotReady)
	tSlice := waitNotServing(e, "web-canary", pod)
	time.Sleep(traefikReload + 5*time.Second)
	rs := stream.Stop()

	byPod := rs.Filter(func(x traffic.Record) bool { return x.Pod == pod })
	last, _ := byPod.LastServedBy(v2)
	t.Logf("pod %s relabelled not Ready: EndpointSlice serving=false after %s; its last answer ended %s after the relabel, %s after the EndpointSlice update; %s",
		pod, tSlice.Sub(t0).Round(time.Millisecond), last.Done().Sub(t0).Round(time.Millisecond),
		last.Done().Sub(tSlice).Round(time.Millisecond), rs.Summary())
	late := byPod.Filter(func(x traffic.Record) bool { return x.Sent.After(tSlice.Add(traefikReload)) })
	if len(late) > 0 {
		t.Errorf("%d requests sent more than %s after the EndpointSlice update reached the not-Ready pod %s; first: %s",
			len(late), traefikReload, pod, late[0])
	}
	if failed := rs.Failed(); len(failed) > 0 {
		t.Errorf("%d of %d requests failed; first: %s", len(failed), len(rs), failed[0])
	}
	ownNamespace(t, rs, e.Namespace)
	if k, _ := rs.Between(tSlice.Add(traefikReload), time.Now()).Share(v2); k == 0 {
		t.Errorf("the other canary pod answered nothing after the relabel: %s", rs.Summary())
	}
}

// waitAnswered waits, within 30 s, until pod has answered a request of the stream.
func waitAnswered(t *testing.T, s *traffic.Stream, pod string) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for len(s.Records().Filter(func(x traffic.Record) bool { return x.Pod == pod })) == 0 {
		if time.Now().After(deadline) {
			t.Fatalf("pod %s answered none of the stream's requests within 30s: %s", pod, s.Records().Summary())
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// waitNotServing polls Service svc's EndpointSlices every 20 ms until pod has no serving
// endpoint in them, and returns when that was seen.
func waitNotServing(e *framework.Env, svc, pod string) time.Time {
	e.T.Helper()
	deadline := time.Now().Add(e.Timeout)
	for {
		slices, err := e.F.Kube.DiscoveryV1().EndpointSlices(e.Namespace).List(e.T.Context(),
			metav1.ListOptions{LabelSelector: discoveryv1.LabelServiceName + "=" + svc})
		if err != nil {
			e.T.Fatal(err)
		}
		if !serving(slices.Items, pod) {
			return time.Now()
		}
		if time.Now().After(deadline) {
			e.T.Fatalf("%s", fmt.Sprintf("pod %s is still a serving endpoint of %s after %s", pod, svc, e.Timeout))
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// serving reports whether pod is an endpoint with serving (or, unset, ready) true.
func serving(slices []discoveryv1.EndpointSlice, pod string) bool {
	for _, s := range slices {
		for _, ep := range s.Endpoints {
			if ep.TargetRef == nil || ep.TargetRef.Name != pod {
				continue
			}
			c := ep.Conditions
			if (c.Serving != nil && *c.Serving) || (c.Serving == nil && (c.Ready == nil || *c.Ready)) {
				return true
			}
		}
	}
	return false
}
