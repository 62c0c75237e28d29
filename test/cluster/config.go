package cluster

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"fmt"
	"path/filepath"
	"strconv"
)

// PodStages is the kwok Stage set that drives fake pods; see stages/pods.yaml for the
// health control it implements (the HealthLabel values).
//
//go:embed stages/pods.yaml
var PodStages []byte

// AuditPolicy is the kube-apiserver audit policy of a cluster started with Options.Audit:
// every write with its user agent, the monitored kinds' with their response.
//
//go:embed audit/writes.yaml
var AuditPolicy []byte

// HealthLabel on a pod (usually via its ReplicaSet's or Rollout's pod template) chooses
// what the fake kubelet does with it. Relabelling a running pod between HealthReady and
// HealthNotReady flips its Ready condition.
const (
	HealthLabel    = "serin.dev/e2e-ready"
	HealthReady    = "true"  // the default: Running and Ready
	HealthNotReady = "false" // Running with an IP, Ready=False (failing readiness probe)
	HealthNever    = "never" // Pending forever, containers waiting in ContainerCreating
)

// FailLabel on a pod makes the fake kubelet report that it cannot start, as a real one
// does (see stages/pods.yaml): waiting reasons, restart counts, the last termination.
const (
	FailLabel       = "serin.dev/e2e-fail"
	FailImagePull   = "image-pull"   // ErrImagePull, then ImagePullBackOff
	FailCrashLoop   = "crash-loop"   // exits with Error (1) every second: CrashLoopBackOff
	FailConfigError = "config-error" // CreateContainerConfigError (a missing Secret)
)

// JobResultLabel with the value "fail" on a Job's pod makes it fail with exit code 1;
// otherwise Job pods succeed as soon as they run.
const JobResultLabel = "serin.dev/e2e-job-result"

// ControllerManagerQPS and ControllerManagerBurst replace kube-controller-manager's
// default client limits (20/30), which would throttle ReplicaSet scaling in benchmarks.
const (
	ControllerManagerQPS   = 300
	ControllerManagerBurst = 600
)

// kwokctlConfig is the subset of kwokctl's KwokctlConfiguration (config.kwok.x-k8s.io/
// v1alpha1) Serin sets. Written as JSON, which kwokctl reads as YAML.
type kwokctlConfig struct {
	APIVersion        string           `json:"apiVersion"`
	Kind              string           `json:"kind"`
	Options           kwokctlOptions   `json:"options"`
	ComponentsPatches []componentPatch `json:"componentsPatches,omitempty"`
}

type kwokctlOptions struct {
	Runtime                     string `json:"runtime"`
	BindAddress                 string `json:"bindAddress"`
	KubeVersion                 string `json:"kubeVersion"`
	SecurePort                  bool   `json:"securePort"`
	KubeAuthorization           bool   `json:"kubeAuthorization"`
	KubeAdmission               bool   `json:"kubeAdmission"`
	QuietPull                   bool   `json:"quietPull"`
	EtcdBinary                  string `json:"etcdBinary"`
	KubeApiserverBinary         string `json:"kubeApiserverBinary"`
	KubeControllerManagerBinary string `json:"kubeControllerManagerBinary"`
	KubeSchedulerBinary         string `json:"kubeSchedulerBinary"`
	KwokControllerBinary        string `json:"kwokControllerBinary"`
	KubectlBinary               string `json:"kubectlBinary"`
	KubeAuditPolicy             string `json:"kubeAuditPolicy,omitempty"`
}

// ConfigOptions are what a cluster may change in its kwokctl configuration.
type ConfigOptions struct {
	// ControllerManagerQPS and ControllerManagerBurst: kube-controller-manager's client
	// limits; the package's constants of the same names when zero.
	ControllerManagerQPS, ControllerManagerBurst int
	// AuditPolicy, a file, turns kube-apiserver's audit log on (kwokctl writes it to
	// logs/audit.log).
	AuditPolicy string
}

type componentPatch struct {
	Name      string     `json:"name"`
	ExtraArgs []extraArg `json:"extraArgs"`
}

type extraArg struct {
	Key   string `json:"key"`
	Value string `json:"value"`
}

// Config renders the kwokctl configuration for a cluster whose binaries are in binDir:
// the binary runtime on loopback only, RBAC and admission on, nothing downloaded, the
// controller-manager limits raised (ConfigOptions), followed by Serin's pod Stages.
func Config(binDir, kubeVersion string, o ConfigOptions) ([]byte, error) {
	if o.ControllerManagerQPS == 0 {
		o.ControllerManagerQPS = ControllerManagerQPS
	}
	if o.ControllerManagerBurst == 0 {
		o.ControllerManagerBurst = max(ControllerManagerBurst, 2*o.ControllerManagerQPS)
	}
	kcmQPS, kcmBurst, auditPolicy := o.ControllerManagerQPS, o.ControllerManagerBurst, o.AuditPolicy
	bin := func(name string) string { return filepath.Join(binDir, name) }
	cfg := kwokctlConfig{
		APIVersion: "config.kwok.x-k8s.io/v1alpha1",
		Kind:       "KwokctlConfiguration",
		Options: kwokctlOptions{
			Runtime:                     "binary",
			BindAddress:                 "127.0.0.1",
			KubeVersion:                 kubeVersion,
			SecurePort:                  true,
			KubeAuthorization:           true,
			KubeAdmission:               true,
			QuietPull:                   true,
			EtcdBinary:                  bin("etcd"),
			KubeApiserverBinary:         bin("kube-apiserver"),
			KubeControllerManagerBinary: bin("kube-controller-manager"),
			KubeSchedulerBinary:         bin("kube-scheduler"),
			KwokControllerBinary:        bin("kwok"),
			KubectlBinary:               bin("kubectl"),
			KubeAuditPolicy:             auditPolicy,
		},
		ComponentsPatches: []componentPatch{{
			Name: "kube-controller-manager",
			ExtraArgs: []extraArg{
				{Key: "kube-api-qps", Value: strconv.Itoa(kcmQPS)},
				{Key: "kube-api-burst", Value: strconv.Itoa(kcmBurst)},
			},
		}},
	}
	data, err := json.MarshalIndent(cfg, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("render kwokctl config: %w", err)
	}
	var buf bytes.Buffer
	buf.Write(data)
	buf.WriteString("\n---\n")
	buf.Write(PodStages)
	return buf.Bytes(), nil
}
