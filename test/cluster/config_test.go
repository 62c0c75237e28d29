package cluster

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
)

func TestConfigPinsLoopbackAndLocalBinaries(t *testing.T) {
	data, err := Config("/cache/bin", "v1.36.3", ConfigOptions{})
	if err != nil {
		t.Fatal(err)
	}
	first, rest, ok := bytes.Cut(data, []byte("\n---\n"))
	if !ok {
		t.Fatal("no document separator after the KwokctlConfiguration")
	}
	var cfg kwokctlConfig
	if err := json.Unmarshal(first, &cfg); err != nil {
		t.Fatal(err)
	}
	o := cfg.Options
	if o.BindAddress != "127.0.0.1" || o.Runtime != "binary" || o.KubeVersion != "v1.36.3" {
		t.Errorf("options = %+v", o)
	}
	for name, path := range map[string]string{
		"etcd": o.EtcdBinary, "kube-apiserver": o.KubeApiserverBinary,
		"kube-controller-manager": o.KubeControllerManagerBinary, "kube-scheduler": o.KubeSchedulerBinary,
		"kwok": o.KwokControllerBinary, "kubectl": o.KubectlBinary,
	} {
		if path != "/cache/bin/"+name {
			t.Errorf("%s binary = %q", name, path)
		}
	}
	if o.KubeAuditPolicy != "" {
		t.Errorf("audit policy %q without asking", o.KubeAuditPolicy)
	}
	if len(cfg.ComponentsPatches) != 1 || cfg.ComponentsPatches[0].Name != "kube-controller-manager" {
		t.Errorf("componentsPatches = %+v", cfg.ComponentsPatches)
	}
	for _, stage := range []string{
		"serin-pod-start-ready", "serin-pod-start-not-ready", "serin-pod-never-ready",
		"serin-pod-turn-not-ready", "serin-pod-turn-ready", "serin-job-pod-complete", "serin-pod-delete",
	} {
		if !strings.Contains(string(rest), "name: "+stage+"\n") {
			t.Errorf("stage %s missing", stage)
		}
	}
}

func TestConfigAudit(t *testing.T) {
	data, err := Config("/cache/bin", "v1.36.3", ConfigOptions{AuditPolicy: "/tmp/policy.yaml"})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(data), `"kubeAuditPolicy": "/tmp/policy.yaml"`) {
		t.Errorf("no audit policy in\n%s", data)
	}
	if !strings.Contains(string(AuditPolicy), "kind: Policy") {
		t.Error("the embedded audit policy is not a Policy")
	}
}
