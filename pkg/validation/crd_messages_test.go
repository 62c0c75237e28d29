package validation_test

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
	"unicode"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"sigs.k8s.io/yaml"

	"github.com/serin-dev/serin/pkg/validation"
)

// TestCELMessagesMatchGo holds the CRDs and the Go validation together: every CEL rule's
// message is a constant of this package, and every such constant is used by a CRD, so a
// rule reads the same at kubectl apply, in the controller and in lint.
func TestCELMessagesMatchGo(t *testing.T) {
	files, err := filepath.Glob("../../manifests/crds/serin.dev_*.yaml")
	if err != nil || len(files) != 4 {
		t.Fatalf("want 4 CRDs in manifests/crds, found %d (%v)", len(files), err)
	}
	inCRDs := map[string]bool{}
	for _, path := range files {
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		var crd apiextensionsv1.CustomResourceDefinition
		if err := yaml.UnmarshalStrict(data, &crd); err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		for _, v := range crd.Spec.Versions {
			walk(v.Schema.OpenAPIV3Schema, func(s *apiextensionsv1.JSONSchemaProps) {
				for _, rule := range s.XValidations {
					inCRDs[rule.Message] = true
					// gofmt turns '' in doc comments (where markers live) into a typographic
					// quote, which CEL cannot parse: rules must stay ASCII.
					for _, r := range rule.Rule {
						if r > unicode.MaxASCII {
							t.Errorf("%s: CEL rule %q has the non-ASCII character %q", filepath.Base(path), rule.Rule, r)
						}
					}
					if !slices.Contains(validation.CELMessages, rule.Message) {
						t.Errorf("%s: CEL rule %q has message %q, which is not in validation.CELMessages", filepath.Base(path), rule.Rule, rule.Message)
					}
				}
			})
		}
	}
	for _, m := range validation.CELMessages {
		if !inCRDs[m] {
			t.Errorf("validation.CELMessages has %q, which no CRD rule gives", m)
		}
	}
}

func walk(s *apiextensionsv1.JSONSchemaProps, visit func(*apiextensionsv1.JSONSchemaProps)) {
	if s == nil {
		return
	}
	visit(s)
	for _, p := range s.Properties {
		walk(&p, visit)
	}
	if s.Items != nil {
		walk(s.Items.Schema, visit)
	}
	if s.AdditionalProperties != nil {
		walk(s.AdditionalProperties.Schema, visit)
	}
}
