//go:build e2e

package traffic

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/serin-dev/serin/test/e2e/framework"
	"github.com/serin-dev/serin/test/podsim"
)

// servePods waits until the pod simulator (framework.WithPodSimulator) serves every pod
// matching selector (they must have their IPs) and returns each pod's "track" label by
// pod name.
func servePods(e *framework.Env, selector string) map[string]string {
	t := e.T
	t.Helper()
	pods, err := e.F.Kube.CoreV1().Pods(e.Namespace).List(t.Context(), metav1.ListOptions{LabelSelector: selector})
	if err != nil {
		t.Fatal(err)
	}
	track := map[string]string{}
	deadline := time.Now().Add(30 * time.Second)
	for _, pod := range pods.Items {
		for {
			if _, ok := e.F.PodSim.Served()[e.Namespace+"/"+pod.Name]; ok {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("the pod simulator does not serve pod %s (IP %q); see %s", pod.Name, pod.Status.PodIP, e.F.PodSim.LogPath)
			}
			time.Sleep(50 * time.Millisecond)
		}
		track[pod.Name] = pod.Labels["track"]
	}
	t.Logf("simulator serves %d pods: %v", len(track), track)
	return track
}

// client sends requests to Traefik's entrypoint with one Host header and counts the pods
// that answered, over its whole life (total).
type client struct {
	url, host string
	http      *http.Client
	total     map[string]int
}

func newClient(t *testing.T, url, host string) *client {
	c := &client{url: url, host: host, http: &http.Client{Timeout: 5 * time.Second}, total: map[string]int{}}
	t.Cleanup(c.http.CloseIdleConnections)
	return c
}

// get sends one request and returns the answering pod's name, or an error for anything but
// a 200 with a body.
func (c *client) get(ctx context.Context) (string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.url+"/", nil)
	if err != nil {
		return "", err
	}
	req.Host = c.host
	resp, err := c.http.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return "", err
	}
	pod := resp.Header.Get(podsim.HeaderPod)
	if resp.StatusCode != http.StatusOK || pod == "" {
		return "", fmt.Errorf("%s (pod %q): %q", resp.Status, pod, body)
	}
	c.total[pod]++
	return pod, nil
}

// send sends n requests one after the other and returns how many each pod answered; any
// failed request fails the test.
func (c *client) send(t *testing.T, n int) map[string]int {
	t.Helper()
	byPod := map[string]int{}
	for i := range n {
		pod, err := c.get(t.Context())
		if err != nil {
			t.Fatalf("request %d of %d to %s (Host %s): %v", i+1, n, c.url, c.host, err)
		}
		byPod[pod]++
	}
	return byPod
}

// waitServed sends a request every 100 ms until one is answered by a pod for which ok
// holds; the answers before (404 while Traefik has no route yet) are not failures.
func (c *client) waitServed(t *testing.T, timeout time.Duration, ok func(pod string) bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	var last error
	for time.Now().Before(deadline) {
		pod, err := c.get(t.Context())
		if err == nil && ok(pod) {
			return
		}
		if err == nil {
			err = fmt.Errorf("answered by %s", pod)
		}
		last = err
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("Traefik did not route Host %s within %s; last answer: %v", c.host, timeout, last)
}

// byTrack sums counts by pod into counts by the pods' track label.
func byTrack(byPod map[string]int, track map[string]string) map[string]int {
	out := map[string]int{}
	for pod, n := range byPod {
		out[track[pod]] += n
	}
	return out
}

// waitWeight waits until Traefik's weighted service wrr gives child the weight want.
func waitWeight(t *testing.T, tr *framework.Traefik, wrr, child string, want int) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	var last string
	for time.Now().Before(deadline) {
		svc, found, err := tr.Service(t.Context(), wrr)
		switch {
		case err != nil:
			last = err.Error()
		case !found:
			last = "no such service"
		default:
			w := svc.Weights()
			if got, ok := w[child]; ok && got == want {
				return
			}
			last = fmt.Sprintf("weights %v", w)
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("Traefik service %s: want %s at weight %d; last: %s", wrr, child, want, last)
}

// waitServers waits until Traefik's load-balanced service name has n servers (it has
// read every endpoint of the EndpointSlices).
func waitServers(t *testing.T, tr *framework.Traefik, name string, n int) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	var last string
	for time.Now().Before(deadline) {
		svc, found, err := tr.Service(t.Context(), name)
		switch {
		case err != nil:
			last = err.Error()
		case !found || svc.LoadBalancer == nil:
			last = "no such load-balanced service"
		case len(svc.LoadBalancer.Servers) == n:
			return
		default:
			last = fmt.Sprintf("servers %v", svc.LoadBalancer.Servers)
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("Traefik service %s: want %d servers; last: %s", name, n, last)
}

// metricSum scrapes url and sums the samples of metric whose labels include every label
// given.
func metricSum(t *testing.T, url, metric string, labels map[string]string) float64 {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var sum float64
	var seen bool
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if !strings.HasPrefix(line, metric+"{") {
			continue
		}
		match := true
		for k, v := range labels {
			if !strings.Contains(line, fmt.Sprintf("%s=%q", k, v)) {
				match = false
			}
		}
		if !match {
			continue
		}
		fields := strings.Fields(line)
		v, err := strconv.ParseFloat(fields[len(fields)-1], 64)
		if err != nil {
			t.Fatalf("metric line %q: %v", line, err)
		}
		sum, seen = sum+v, true
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if !seen {
		t.Logf("no %s sample with labels %v at %s", metric, labels, url)
	}
	return sum
}
