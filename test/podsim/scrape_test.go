package podsim

import (
	"encoding/json"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
)

// TestScrapeConfigPassesPromtool has Prometheus' own checker read the scrape config.
func TestScrapeConfigPassesPromtool(t *testing.T) {
	promtool, err := exec.LookPath("promtool")
	if err != nil {
		t.Skip("promtool is not installed (hack/prometheus.sh installs it with Prometheus)")
	}
	dir := t.TempDir()
	kubeconfig := filepath.Join(dir, "kubeconfig")
	if err := os.WriteFile(kubeconfig, []byte("apiVersion: v1\nkind: Config\nclusters: []\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := map[string]string{
		"kubernetes, all namespaces": ScrapeConfig("serin-pods", kubeconfig, nil, 0),
		"kubernetes, two namespaces": ScrapeConfig("serin-pods", kubeconfig, []string{"a", "b"}, 0),
		"http":                       HTTPScrapeConfig("serin-pods", "http://127.0.0.1:9100/sd", "1s"),
	}
	for name, scrape := range tests {
		t.Run(name, func(t *testing.T) {
			cfg := "global:\n  scrape_interval: 1s\nscrape_configs:\n" + scrape
			path := filepath.Join(dir, "prometheus.yml")
			if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
				t.Fatal(err)
			}
			out, err := exec.Command(promtool, "check", "config", path).CombinedOutput()
			if strings.Contains(string(out), "field kubernetes_sd_configs not found") {
				t.Skipf("this promtool is built without Kubernetes discovery (Debian's is):\n%s", out)
			}
			if err != nil {
				t.Fatalf("promtool check config: %v\n%s\nconfig:\n%s", err, out, cfg)
			}
		})
	}
}

func TestTargets(t *testing.T) {
	r := newReconciler(t)
	ip, ip2 := loopbackIP(), loopbackIP()
	mustSync(t, r, testPod("web-b", ip, []int32{8080, 8081}))
	mustSync(t, r, testPod("web-a", ip2, []int32{8080}, withLabels("pod-template-hash", "dep")))
	mustSync(t, r, testPod("pending", loopbackIP(), []int32{8080}, withPhase(corev1.PodPending)))
	rec := httptest.NewRecorder()
	r.SDHandler().ServeHTTP(rec, httptest.NewRequest("GET", "/", nil))
	var got []SDTarget
	if err := json.Unmarshal(rec.Body.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	want := []SDTarget{
		{Targets: []string{ip2 + ":9464"}, Labels: map[string]string{"namespace": "ns", "pod": "web-a", "pod_template_hash": "dep"}},
		{Targets: []string{ip + ":9464"}, Labels: map[string]string{"namespace": "ns", "pod": "web-b", "pod_template_hash": "abc"}},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("targets %+v, want %+v", got, want)
	}
}
