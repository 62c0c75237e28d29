package podsim

import (
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
)

// podOpt changes a test pod.
type podOpt func(*corev1.Pod)

// testPod is a Running pod at ip with one container "app" (image web:v1) declaring the
// TCP ports given, revision "abc".
func testPod(name, ip string, ports []int32, opts ...podOpt) *corev1.Pod {
	c := corev1.Container{Name: "app", Image: "web:v1"}
	for _, p := range ports {
		c.Ports = append(c.Ports, corev1.ContainerPort{ContainerPort: p})
	}
	pod := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: name, UID: types.UID("uid-" + name),
			Labels: map[string]string{"rollouts-pod-template-hash": "abc"}},
		Spec:   corev1.PodSpec{Containers: []corev1.Container{c}},
		Status: corev1.PodStatus{Phase: corev1.PodRunning, PodIP: ip},
	}
	for _, o := range opts {
		o(pod)
	}
	return pod
}

func withEnv(kv ...string) podOpt {
	return func(p *corev1.Pod) {
		for i := 0; i+1 < len(kv); i += 2 {
			p.Spec.Containers[0].Env = append(p.Spec.Containers[0].Env, corev1.EnvVar{Name: kv[i], Value: kv[i+1]})
		}
	}
}

func withPhase(ph corev1.PodPhase) podOpt { return func(p *corev1.Pod) { p.Status.Phase = ph } }

func withLabels(kv ...string) podOpt {
	return func(p *corev1.Pod) {
		p.Labels = map[string]string{}
		for i := 0; i+1 < len(kv); i += 2 {
			p.Labels[kv[i]] = kv[i+1]
		}
	}
}

func TestSpecFor(t *testing.T) {
	udp := func(p *corev1.Pod) {
		p.Spec.Containers[0].Ports = append(p.Spec.Containers[0].Ports, corev1.ContainerPort{ContainerPort: 53, Protocol: corev1.ProtocolUDP})
	}
	sidecar := func(p *corev1.Pod) {
		p.Spec.Containers = append(p.Spec.Containers, corev1.Container{Name: "side", Image: "side:v2",
			Ports: []corev1.ContainerPort{{ContainerPort: 7000, Protocol: corev1.ProtocolTCP}},
			Env:   []corev1.EnvVar{{Name: EnvErrorRate, Value: "1"}}})
	}
	tests := map[string]struct {
		pod       *corev1.Pod
		wantServe bool
		wantPorts []Port
		wantErr   string
	}{
		"nil pod":   {pod: nil},
		"pending":   {pod: testPod("p", "10.0.0.1", []int32{80}, withPhase(corev1.PodPending))},
		"succeeded": {pod: testPod("p", "10.0.0.1", []int32{80}, withPhase(corev1.PodSucceeded))},
		"no IP yet": {pod: testPod("p", "", []int32{80})},
		"no ports":  {pod: testPod("p", "10.0.0.1", nil)},
		"only UDP":  {pod: testPod("p", "10.0.0.1", nil, udp)},
		"healthy default": {pod: testPod("p", "10.0.0.1", []int32{8080}), wantServe: true, wantPorts: []Port{
			{Number: 8080, Identity: Identity{Namespace: "ns", Pod: "p", Revision: "abc", Container: "app", Image: "web:v1"},
				Behaviour: Behaviour{ErrorCode: 500}}}},
		"bad version": {pod: testPod("p", "10.0.0.1", []int32{8080}, withEnv(EnvErrorRate, "0.3", EnvLatency, "200ms", EnvErrorCode, "503")),
			wantServe: true, wantPorts: []Port{
				{Number: 8080, Identity: Identity{Namespace: "ns", Pod: "p", Revision: "abc", Container: "app", Image: "web:v1"},
					Behaviour: Behaviour{ErrorRate: 0.3, ErrorCode: 503, Latency: 200 * time.Millisecond}}}},
		"deployment revision label": {pod: testPod("p", "10.0.0.1", []int32{80}, withLabels("pod-template-hash", "dep")), wantServe: true,
			wantPorts: []Port{{Number: 80, Identity: Identity{Namespace: "ns", Pod: "p", Revision: "dep", Container: "app", Image: "web:v1"},
				Behaviour: Behaviour{ErrorCode: 500}}}},
		"each container its own behaviour, ports sorted, UDP skipped": {pod: testPod("p", "10.0.0.1", []int32{9000, 80}, sidecar, udp), wantServe: true,
			wantPorts: []Port{
				{Number: 80, Identity: Identity{Namespace: "ns", Pod: "p", Revision: "abc", Container: "app", Image: "web:v1"}, Behaviour: Behaviour{ErrorCode: 500}},
				{Number: 7000, Identity: Identity{Namespace: "ns", Pod: "p", Revision: "abc", Container: "side", Image: "side:v2"}, Behaviour: Behaviour{ErrorRate: 1, ErrorCode: 500}},
				{Number: 9000, Identity: Identity{Namespace: "ns", Pod: "p", Revision: "abc", Container: "app", Image: "web:v1"}, Behaviour: Behaviour{ErrorCode: 500}},
			}},
		"error rate not a number": {pod: testPod("p", "10.0.0.1", []int32{80}, withEnv(EnvErrorRate, "30%")),
			wantErr: `pod ns/p: container "app": env SERIN_SIM_ERROR_RATE="30%": want a number from 0 to 1`},
		"error rate above 1": {pod: testPod("p", "10.0.0.1", []int32{80}, withEnv(EnvErrorRate, "1.5")),
			wantErr: `env SERIN_SIM_ERROR_RATE="1.5": want a number from 0 to 1`},
		"error code 200": {pod: testPod("p", "10.0.0.1", []int32{80}, withEnv(EnvErrorCode, "200")),
			wantErr: `env SERIN_SIM_ERROR_CODE="200": want a status code from 400 to 599`},
		"latency without unit": {pod: testPod("p", "10.0.0.1", []int32{80}, withEnv(EnvLatency, "200")),
			wantErr: `env SERIN_SIM_LATENCY="200": want a non-negative Go duration`},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			spec, serve, err := SpecFor(tc.pod)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("error %v, want one containing %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if serve != tc.wantServe {
				t.Fatalf("serve = %v, want %v", serve, tc.wantServe)
			}
			if !serve {
				return
			}
			want := Spec{UID: string(tc.pod.UID), IP: "10.0.0.1", Ports: tc.wantPorts}
			if !spec.Equal(want) {
				t.Errorf("spec\n%+v\nwant\n%+v", spec, want)
			}
		})
	}
}

func TestFailsSpreadsExactly(t *testing.T) {
	for _, rate := range []float64{0, 0.001, 0.05, 0.2, 0.3, 1.0 / 3, 0.5, 0.999, 1} {
		failed := 0
		for n := int64(1); n <= 10000; n++ {
			if fails(n, rate) {
				failed++
			}
			// After any number of requests the share is exact to one request.
			if want := int(float64(n) * (rate + 0.5e-6)); failed != want && failed != want-1 && failed != want+1 {
				t.Fatalf("rate %v: %d failed after %d requests, want about %d", rate, failed, n, want)
			}
		}
		if want := int(10000*rate + 0.5); failed != want {
			t.Errorf("rate %v: %d of 10000 failed, want %d", rate, failed, want)
		}
	}
}
