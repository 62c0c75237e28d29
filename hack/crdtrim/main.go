// Command crdtrim cleans the Kubernetes types a Serin CRD embeds (the Rollout's pod
// template, an analysis Job's spec):
//   - their descriptions are the Kubernetes API's own and make a CRD too large for
//     client-side `kubectl apply`; Serin's own field descriptions stay, so
//     `kubectl explain rollout.spec.strategy` keeps working;
//   - their CEL rules are written for the live objects (e.g. "field is immutable" on a
//     Job), not for a template a user edits; the Pod or Job created from the template is
//     still checked by the apiserver when the controller creates it.
//
// Usage: go run ./hack/crdtrim FILE...   (rewrites each file in place)
package main

import (
	"fmt"
	"os"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"sigs.k8s.io/yaml"
)

// embedded lists, per CRD, the property paths (from the version's root schema) whose
// subtree is an embedded Kubernetes type.
var embedded = [][]string{
	{"spec", "template"},
	{"spec", "metrics", "[]", "provider", "job", "spec"},
}

func main() {
	for _, path := range os.Args[1:] {
		if err := trimFile(path); err != nil {
			fmt.Fprintf(os.Stderr, "crdtrim: %s: %v\n", path, err)
			os.Exit(1)
		}
	}
}

func trimFile(path string) error {
	raw, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	var crd apiextensionsv1.CustomResourceDefinition
	if err := yaml.UnmarshalStrict(raw, &crd); err != nil {
		return err
	}
	for i := range crd.Spec.Versions {
		schema := crd.Spec.Versions[i].Schema
		if schema == nil || schema.OpenAPIV3Schema == nil {
			continue
		}
		for _, p := range embedded {
			trimAt(schema.OpenAPIV3Schema, p)
		}
	}
	// Marshal through a map to drop what a typed CRD always carries but a manifest
	// should not: an empty status and a null creationTimestamp.
	typed, err := yaml.Marshal(&crd)
	if err != nil {
		return err
	}
	var doc map[string]any
	if err := yaml.Unmarshal(typed, &doc); err != nil {
		return err
	}
	delete(doc, "status")
	if md, ok := doc["metadata"].(map[string]any); ok {
		delete(md, "creationTimestamp")
	}
	out, err := yaml.Marshal(doc)
	if err != nil {
		return err
	}
	return os.WriteFile(path, append([]byte("---\n"), out...), 0o644)
}

// trimAt follows property names ("[]" steps into array items) and strips every
// description and CEL rule below the path's end; a path this CRD does not have is skipped.
func trimAt(s *apiextensionsv1.JSONSchemaProps, path []string) {
	if len(path) == 0 {
		stripEmbedded(s)
		return
	}
	step, rest := path[0], path[1:]
	if step == "[]" {
		if s.Items != nil && s.Items.Schema != nil {
			trimAt(s.Items.Schema, rest)
		}
		return
	}
	next, ok := s.Properties[step]
	if !ok {
		return
	}
	trimAt(&next, rest)
	s.Properties[step] = next
}

func stripEmbedded(s *apiextensionsv1.JSONSchemaProps) {
	s.Description = ""
	s.XValidations = nil
	for k, v := range s.Properties {
		stripEmbedded(&v)
		s.Properties[k] = v
	}
	if s.Items != nil && s.Items.Schema != nil {
		stripEmbedded(s.Items.Schema)
	}
	if s.AdditionalProperties != nil && s.AdditionalProperties.Schema != nil {
		stripEmbedded(s.AdditionalProperties.Schema)
	}
	for i := range s.AllOf {
		stripEmbedded(&s.AllOf[i])
	}
	for i := range s.AnyOf {
		stripEmbedded(&s.AnyOf[i])
	}
}
