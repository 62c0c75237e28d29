package preview

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/serin-dev/serin/pkg/apis/rollouts/v1alpha1"
)

func load(t *testing.T, dir string) Manifests {
	t.Helper()
	var m Manifests
	files, _ := filepath.Glob(filepath.Join(dir, "*.yaml"))
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if err := m.Add(f, data); err != nil {
			t.Fatal(err)
		}
	}
	if len(m.Rollouts) != 1 {
		t.Fatalf("want one Rollout in %s, got %d", dir, len(m.Rollouts))
	}
	return m
}

func TestCanaryNginx(t *testing.T) {
	m := load(t, "../../examples/canary-nginx")
	ro := m.Rollouts[0]
	ro.Namespace = "shop"
	c, notes := Offline(ro, m)
	if len(notes) != 0 {
		t.Errorf("notes %v: the example holds its Services and Ingress", notes)
	}
	pv, err := Run(c, time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC))
	if err != nil {
		t.Fatal(err)
	}
	// steps: setWeight 20, pause {}, setWeight 50, pause 30s, setWeight 80, pause 30
	type want struct {
		step           string
		waits          string
		stable, canary int32
		weight         int32
	}
	wants := []want{
		{"setWeight 20", "", 4, 1, 20},
		{"pause", "promote", 4, 1, 20},
		{"setWeight 50", "", 4, 2, 50},
		{"pause 30s", "30s", 4, 2, 50},
		{"setWeight 80", "", 4, 4, 80}, // ceil(4*0.8) = 4
		{"pause 30", "30s", 4, 4, 80},
	}
	if len(pv.Steps) != len(wants) {
		t.Fatalf("got %d steps, want %d: %+v", len(pv.Steps), len(wants), pv.Steps)
	}
	for i, w := range wants {
		s := pv.Steps[i]
		sizes := map[string]int32{}
		for _, rs := range s.State.ReplicaSets {
			sizes[rs.Role] = rs.Replicas
		}
		if s.Step != w.step || s.Waits != w.waits || sizes["stable"] != w.stable || sizes["canary"] != w.canary || *s.State.CanaryWeight != w.weight {
			t.Errorf("step %d: got %s waits %q stable %d canary %d weight %d; want %+v",
				i+1, s.Step, s.Waits, sizes["stable"], sizes["canary"], *s.State.CanaryWeight, w)
		}
		if ros := s.State.RouterObjects; len(ros) != 1 || ros[0].GetKind() != "Ingress" || ros[0].GetName() != "web-web-canary" {
			t.Errorf("step %d: router objects %v, want the canary Ingress web-web-canary", i+1, ros)
		} else if got := ros[0].GetAnnotations()["nginx.ingress.kubernetes.io/canary-weight"]; got != strconv.Itoa(int(w.weight)) {
			t.Errorf("step %d: canary Ingress weight %q, want %d", i+1, got, w.weight)
		}
		if sel := s.State.ServiceSelectors["web-canary"]["rollouts-pod-template-hash"]; sel != pv.Revision {
			t.Errorf("step %d: web-canary selects %q, want the new revision %q", i+1, sel, pv.Revision)
		}
	}
	p := pv.Promoted
	if len(p.ReplicaSets) != 1 || p.ReplicaSets[0].Role != "stable" || p.ReplicaSets[0].Replicas != 4 || *p.CanaryWeight != 0 {
		t.Errorf("promoted: %+v; want only the new revision, stable, 4 replicas, weight 0", p)
	}
	if sel := p.ServiceSelectors["web-stable"]["rollouts-pod-template-hash"]; sel != pv.Revision {
		t.Errorf("promoted: web-stable selects %q, want %q", sel, pv.Revision)
	}
}

func TestCanaryAnalysis(t *testing.T) {
	m := load(t, "../../examples/canary-analysis")
	ro := m.Rollouts[0]
	ro.Namespace = "shop"
	c, _ := Offline(ro, m)
	pv, err := Run(c, time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC))
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, s := range pv.Steps {
		if s.Step == "analysis" {
			found = true
			if !strings.Contains(s.Waits, "taken to succeed") {
				t.Errorf("analysis step %d waits %q", s.Number, s.Waits)
			}
		}
	}
	if !found || len(pv.Steps) != len(ro.Spec.Strategy.Canary.Steps) {
		t.Errorf("steps %+v: want every step, an analysis among them", pv.Steps)
	}
	// Without its templates the preview says which is missing.
	c.AnalysisTemplates, c.ClusterAnalysisTemplates = nil, nil
	if _, err := Run(c, time.Now()); err == nil || !strings.Contains(err.Error(), "not found") {
		t.Errorf("without templates: %v; want a template not found", err)
	}
}

// Every canary example previews to its end: each step recorded, the new revision stable.
func TestExamples(t *testing.T) {
	for _, dir := range []string{"canary-basic", "canary-nginx", "header-route", "canary-analysis"} {
		t.Run(dir, func(t *testing.T) {
			m := load(t, filepath.Join("../../examples", dir))
			ro := m.Rollouts[0]
			c, _ := Offline(ro, m)
			pv, err := Run(c, time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC))
			if err != nil {
				t.Fatal(err)
			}
			if len(pv.Steps) != len(ro.Spec.Strategy.Canary.Steps) {
				t.Errorf("%d steps recorded, the Rollout has %d", len(pv.Steps), len(ro.Spec.Strategy.Canary.Steps))
			}
			final := pv.Promoted.ReplicaSets
			if len(final) != 1 || final[0].Role != "stable" || final[0].Name != ro.Name+"-"+pv.Revision {
				t.Errorf("promoted: %+v; want only %s-%s, stable", final, ro.Name, pv.Revision)
			}
			routed := ro.Spec.Strategy.Canary.TrafficRouting != nil
			for _, s := range pv.Steps {
				if (s.State.CanaryWeight != nil) != routed {
					t.Errorf("step %d: weight %v with a router %v", s.Number, s.State.CanaryWeight, routed)
				}
			}
		})
	}
}

// Role metadata is carried out on the simulated pods as the controller would: the preview
// still runs every step to the end.
func TestRoleMetadata(t *testing.T) {
	m := load(t, "../../examples/canary-nginx")
	ro := m.Rollouts[0]
	c := ro.Spec.Strategy.Canary
	c.CanaryMetadata = &v1alpha1.PodTemplateMetadata{Labels: map[string]string{"role": "canary"}}
	c.StableMetadata = &v1alpha1.PodTemplateMetadata{Labels: map[string]string{"role": "stable"}}
	start, _ := Offline(ro, m)
	pv, err := Run(start, time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC))
	if err != nil {
		t.Fatal(err)
	}
	if len(pv.Steps) != len(c.Steps) || len(pv.Promoted.ReplicaSets) != 1 {
		t.Errorf("steps %d of %d, promoted %+v; want every step and only the new revision", len(pv.Steps), len(c.Steps), pv.Promoted.ReplicaSets)
	}
}

// The Gateway API example previews with its HTTPRoute rendered at each step: the
// testers' rule while its step is in force, then the weights.
func TestCanaryGatewayAPI(t *testing.T) {
	m := load(t, "../../examples/canary-gateway-api")
	ro := m.Rollouts[0]
	ro.Namespace = "shop"
	c, notes := Offline(ro, m)
	if len(notes) != 0 {
		t.Errorf("notes %v: the example holds its Services and HTTPRoute", notes)
	}
	pv, err := Run(c, time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC))
	if err != nil {
		t.Fatal(err)
	}
	// steps: setHeaderRoute testers, pause {}, setHeaderRoute testers (off), setWeight 20,
	// pause 30s, setWeight 50, pause 30s
	wants := []struct {
		rules  int    // rules of the rendered route: 1, or 2 with Serin's
		weight string // the canary backend's weight in the route's own rule
	}{{2, "0"}, {2, "0"}, {1, "0"}, {1, "20"}, {1, "20"}, {1, "50"}, {1, "50"}}
	if len(pv.Steps) != len(wants) {
		t.Fatalf("got %d steps, want %d", len(pv.Steps), len(wants))
	}
	for i, w := range wants {
		ros := pv.Steps[i].State.RouterObjects
		if len(ros) != 1 || ros[0].GetKind() != "HTTPRoute" || ros[0].GetName() != "web" {
			t.Fatalf("step %d: router objects %v, want the HTTPRoute web", i+1, ros)
		}
		rules, _, _ := unstructured.NestedSlice(ros[0].Object, "spec", "rules")
		last := rules[len(rules)-1].(map[string]any)
		refs := last["backendRefs"].([]any)
		weight := fmt.Sprint(refs[1].(map[string]any)["weight"])
		if len(rules) != w.rules || weight != w.weight {
			t.Errorf("step %d: %d rules, canary weight %s; want %d rules, weight %s", i+1, len(rules), weight, w.rules, w.weight)
		}
	}
}
