package v1alpha1_test

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"sigs.k8s.io/yaml"

	"github.com/serin-dev/serin/pkg/apis/rollouts/v1alpha1"
)

// TestArgoManifestsRoundTrip: Argo Rollouts manifests (test/testdata/argo) with only
// apiVersion changed decode into Serin's types with no unknown field, and encode back to
// exactly the same document.
func TestArgoManifestsRoundTrip(t *testing.T) {
	files, err := filepath.Glob("../../../../test/testdata/argo/*.yaml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no Argo manifests found (%v)", err)
	}
	for _, path := range files {
		t.Run(filepath.Base(path), func(t *testing.T) {
			raw, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			in, err := yaml.YAMLToJSON(bytes.Replace(raw, []byte("apiVersion: argoproj.io/v1alpha1"), []byte("apiVersion: serin.dev/v1alpha1"), 1))
			if err != nil {
				t.Fatal(err)
			}
			obj := newObject(t, in)
			dec := json.NewDecoder(bytes.NewReader(in))
			dec.DisallowUnknownFields()
			if err := dec.Decode(obj); err != nil {
				t.Fatalf("decode: %v", err)
			}
			out, err := json.Marshal(obj)
			if err != nil {
				t.Fatal(err)
			}
			var want, got any
			if err := json.Unmarshal(in, &want); err != nil {
				t.Fatal(err)
			}
			if err := json.Unmarshal(out, &got); err != nil {
				t.Fatal(err)
			}
			dropEmptyResources(got)
			if !reflect.DeepEqual(want, got) {
				t.Errorf("round trip changed the document:\n in: %s\nout: %s", in, out)
			}
		})
	}
}

func newObject(t *testing.T, js []byte) any {
	var meta struct{ APIVersion, Kind string }
	if err := json.Unmarshal(js, &meta); err != nil {
		t.Fatal(err)
	}
	if meta.APIVersion != "serin.dev/v1alpha1" {
		t.Fatalf("apiVersion %q was not rewritten", meta.APIVersion)
	}
	switch meta.Kind {
	case "Rollout":
		return &v1alpha1.Rollout{}
	case "AnalysisTemplate":
		return &v1alpha1.AnalysisTemplate{}
	case "ClusterAnalysisTemplate":
		return &v1alpha1.ClusterAnalysisTemplate{}
	case "AnalysisRun":
		return &v1alpha1.AnalysisRun{}
	}
	t.Fatalf("unexpected kind %q", meta.Kind)
	return nil
}

// dropEmptyResources removes "resources": {} which Kubernetes' corev1.Container always
// encodes (a non-pointer struct without omitzero). Only that key, only when empty: any
// other change the round trip makes still fails the test.
func dropEmptyResources(v any) {
	switch v := v.(type) {
	case map[string]any:
		if r, ok := v["resources"].(map[string]any); ok && len(r) == 0 {
			delete(v, "resources")
		}
		for _, child := range v {
			dropEmptyResources(child)
		}
	case []any:
		for _, child := range v {
			dropEmptyResources(child)
		}
	}
}
