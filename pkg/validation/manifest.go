package validation

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"

	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/runtime/serializer"
	"k8s.io/apimachinery/pkg/util/validation/field"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/yaml"

	"github.com/serin-dev/serin/pkg/apis/rollouts/v1alpha1"
)

// Finding is what is wrong with one document of a manifest.
type Finding struct {
	// Document is the 1-based index of the YAML document in its file.
	Document int
	Kind     string
	Name     string
	// Problems are the messages, each naming the field it concerns.
	Problems []string
}

func (f Finding) String() string {
	return fmt.Sprintf("document %d (%s %q): %v", f.Document, f.Kind, f.Name, f.Problems)
}

var (
	scheme = runtime.NewScheme()
	// strict refuses unknown and duplicate fields, as kubectl's field validation does.
	strict = serializer.NewCodecFactory(scheme, serializer.EnableStrict).UniversalDeserializer()
)

func init() {
	if err := v1alpha1.AddToScheme(scheme); err != nil {
		panic(err)
	}
}

// Manifest checks every serin.dev document of a (multi-document) YAML manifest: strict
// decoding (unknown fields, wrong types) and then the validation rules. Documents of
// other API groups are skipped. It returns one Finding per document with problems.
func Manifest(data []byte) ([]Finding, error) {
	reader := utilyaml.NewYAMLReader(bufio.NewReader(bytes.NewReader(data)))
	var findings []Finding
	for doc := 1; ; doc++ {
		raw, err := reader.Read()
		if errors.Is(err, io.EOF) {
			return findings, nil
		}
		if err != nil {
			return findings, fmt.Errorf("document %d: %w", doc, err)
		}
		if f, ok := document(doc, raw); ok {
			findings = append(findings, f)
		}
	}
}

func document(doc int, raw []byte) (Finding, bool) {
	var meta struct {
		APIVersion string `json:"apiVersion"`
		Kind       string `json:"kind"`
		Metadata   struct {
			Name string `json:"name"`
		} `json:"metadata"`
	}
	if len(bytes.TrimSpace(raw)) == 0 {
		return Finding{}, false
	}
	f := Finding{Document: doc}
	if err := yaml.Unmarshal(raw, &meta); err != nil {
		f.Problems = []string{fmt.Sprintf("not valid YAML: %v", err)}
		return f, true
	}
	f.Kind, f.Name = meta.Kind, meta.Metadata.Name
	gv, err := schema.ParseGroupVersion(meta.APIVersion)
	if err != nil || gv.Group != v1alpha1.GroupName {
		return f, false
	}
	if gv.Version != v1alpha1.SchemeGroupVersion.Version {
		f.Problems = []string{fmt.Sprintf("apiVersion: %s is not served; use %s", meta.APIVersion, v1alpha1.SchemeGroupVersion)}
		return f, true
	}
	js, err := yaml.YAMLToJSON(raw)
	if err != nil {
		f.Problems = []string{err.Error()}
		return f, true
	}
	obj, _, err := strict.Decode(js, nil, nil)
	if err != nil {
		if obj == nil || !runtime.IsStrictDecodingError(err) {
			f.Problems = []string{err.Error()}
			return f, true
		}
		// Unknown fields: report them, and go on to validate what did decode.
		f.Problems = append(f.Problems, err.Error())
	}
	for _, e := range Object(obj) {
		f.Problems = append(f.Problems, e.Error())
	}
	return f, len(f.Problems) > 0
}

// Object validates any serin.dev object.
func Object(obj runtime.Object) field.ErrorList {
	switch o := obj.(type) {
	case *v1alpha1.Rollout:
		return Rollout(o)
	case *v1alpha1.AnalysisTemplate:
		return AnalysisTemplate(o)
	case *v1alpha1.ClusterAnalysisTemplate:
		return ClusterAnalysisTemplate(o)
	case *v1alpha1.AnalysisRun:
		return AnalysisRun(o)
	}
	return nil
}
