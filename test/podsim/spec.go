package podsim

import (
	"fmt"
	"slices"
	"strconv"
	"time"

	corev1 "k8s.io/api/core/v1"
)

// The container environment variables that make a simulated version good or bad. They are
// read from the literal `env` values of the container that declares the port (valueFrom is
// not resolved), so a Rollout's new template can carry a bad release exactly as a user's
// would: change the template, get a new revision that misbehaves.
const (
	// EnvErrorRate is the share of requests, in [0, 1], answered with EnvErrorCode
	// (default 500). Failures are spread evenly and deterministically: after n requests,
	// exactly floor(n*rate) have failed.
	EnvErrorRate = "SERIN_SIM_ERROR_RATE"
	// EnvErrorCode is the status code of the failed requests, 400-599 (default 500).
	EnvErrorCode = "SERIN_SIM_ERROR_CODE"
	// EnvLatency is added to every answer, as a Go duration ("200ms", default 0).
	EnvLatency = "SERIN_SIM_LATENCY"
)

// Revision labels, in order of preference: Serin's (and Argo Rollouts') own, then a
// Deployment's.
var revisionLabels = []string{"rollouts-pod-template-hash", "pod-template-hash"}

// Identity is what a served pod says about itself, in the JSON body and headers of every
// answer.
type Identity struct {
	Namespace string `json:"namespace"`
	Pod       string `json:"pod"`
	Revision  string `json:"revision"` // the pod-template-hash label
	Container string `json:"container"`
	Image     string `json:"image"`
}

// Behaviour is how one container answers.
type Behaviour struct {
	ErrorRate float64
	ErrorCode int
	Latency   time.Duration
}

// Port is one TCP port to serve and the container that declares it.
type Port struct {
	Number   int32
	Identity Identity
	Behaviour
}

// Spec is what the simulator serves for one pod: its IP and ports. Two equal Specs serve
// the same thing; a changed Spec (new IP, new ports) replaces the pod's listeners.
type Spec struct {
	UID   string
	IP    string
	Ports []Port
}

// Equal reports whether two Specs serve the same thing.
func (s Spec) Equal(o Spec) bool {
	return s.UID == o.UID && s.IP == o.IP && slices.Equal(s.Ports, o.Ports)
}

// SpecFor returns what to serve for pod: ok is false when the pod is not served (not
// Running, no IP yet, or no TCP container port). Readiness does not matter: a pod that is
// not Ready is served, so that a router sending it traffic is caught. A terminating pod
// (deletionTimestamp set, still Running) is served until it is gone, as a real pod serves
// through its grace period. An error names the
// container and the variable whose value is invalid.
func SpecFor(pod *corev1.Pod) (spec Spec, ok bool, err error) {
	if pod == nil || pod.Status.Phase != corev1.PodRunning || pod.Status.PodIP == "" {
		return Spec{}, false, nil
	}
	spec = Spec{UID: string(pod.UID), IP: pod.Status.PodIP}
	revision := ""
	for _, l := range revisionLabels {
		if v := pod.Labels[l]; v != "" {
			revision = v
			break
		}
	}
	for _, c := range pod.Spec.Containers {
		b, err := behaviour(c)
		if err != nil {
			return Spec{}, false, fmt.Errorf("pod %s/%s: %w", pod.Namespace, pod.Name, err)
		}
		for _, p := range c.Ports {
			if p.Protocol != "" && p.Protocol != corev1.ProtocolTCP {
				continue
			}
			spec.Ports = append(spec.Ports, Port{
				Number: p.ContainerPort,
				Identity: Identity{Namespace: pod.Namespace, Pod: pod.Name, Revision: revision,
					Container: c.Name, Image: c.Image},
				Behaviour: b,
			})
		}
	}
	slices.SortFunc(spec.Ports, func(a, b Port) int { return int(a.Number - b.Number) })
	return spec, len(spec.Ports) > 0, nil
}

// behaviour reads a container's EnvErrorRate, EnvErrorCode and EnvLatency.
func behaviour(c corev1.Container) (Behaviour, error) {
	b := Behaviour{ErrorCode: 500}
	for _, e := range c.Env {
		bad := func(want string) error {
			return fmt.Errorf("container %q: env %s=%q: want %s", c.Name, e.Name, e.Value, want)
		}
		switch e.Name {
		case EnvErrorRate:
			v, err := strconv.ParseFloat(e.Value, 64)
			if err != nil || v < 0 || v > 1 {
				return b, bad("a number from 0 to 1")
			}
			b.ErrorRate = v
		case EnvErrorCode:
			v, err := strconv.Atoi(e.Value)
			if err != nil || v < 400 || v > 599 {
				return b, bad("a status code from 400 to 599")
			}
			b.ErrorCode = v
		case EnvLatency:
			v, err := time.ParseDuration(e.Value)
			if err != nil || v < 0 {
				return b, bad(`a non-negative Go duration such as "200ms"`)
			}
			b.Latency = v
		}
	}
	return b, nil
}
