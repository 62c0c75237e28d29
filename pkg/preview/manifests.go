package preview

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/serializer"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/yaml"

	"github.com/serin-dev/serin/pkg/apis/rollouts/v1alpha1"
	"github.com/serin-dev/serin/pkg/trafficrouting"
)

// Manifests are the objects of manifest files a preview uses: Rollouts, Services, the
// objects traffic routers read (e.g. Ingresses) and analysis templates.
type Manifests struct {
	Rollouts []*v1alpha1.Rollout
	Services map[string]*corev1.Service
	// RouterObjects are the objects of the kinds a traffic router reads
	// (trafficrouting.Watches), in file order.
	RouterObjects []runtime.Object
	// AnalysisTemplates and ClusterAnalysisTemplates by name.
	AnalysisTemplates        map[string]*v1alpha1.AnalysisTemplate
	ClusterAnalysisTemplates map[string]*v1alpha1.ClusterAnalysisTemplate
}

// scheme knows the kinds a preview reads and renders.
var scheme = runtime.NewScheme()

var decoder = func() runtime.Decoder {
	s := scheme
	for _, add := range []func(*runtime.Scheme) error{v1alpha1.AddToScheme, corev1.AddToScheme, trafficrouting.AddToScheme} {
		if err := add(s); err != nil {
			panic(err)
		}
	}
	return serializer.NewCodecFactory(s).UniversalDeserializer()
}()

// Add reads the Rollouts, Services, routers' objects and analysis templates of a
// (multi-document) manifest; other kinds are skipped.
func (m *Manifests) Add(file string, data []byte) error {
	if m.Services == nil {
		m.Services = map[string]*corev1.Service{}
		m.AnalysisTemplates = map[string]*v1alpha1.AnalysisTemplate{}
		m.ClusterAnalysisTemplates = map[string]*v1alpha1.ClusterAnalysisTemplate{}
	}
	reader := utilyaml.NewYAMLReader(bufio.NewReader(bytes.NewReader(data)))
	for doc := 1; ; doc++ {
		raw, err := reader.Read()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("%s: document %d: %w", file, doc, err)
		}
		js, err := yaml.YAMLToJSON(raw)
		if err != nil {
			return fmt.Errorf("%s: document %d: %w", file, doc, err)
		}
		if len(bytes.TrimSpace(js)) == 0 || string(bytes.TrimSpace(js)) == "null" {
			continue
		}
		obj, _, err := decoder.Decode(js, nil, nil)
		if runtime.IsNotRegisteredError(err) {
			continue
		}
		if err != nil {
			return fmt.Errorf("%s: document %d: %w (kubectl serin lint -f %s says more)", file, doc, err, file)
		}
		switch o := obj.(type) {
		case *v1alpha1.Rollout:
			m.Rollouts = append(m.Rollouts, o)
		case *corev1.Service:
			m.Services[o.Name] = o
		case *v1alpha1.AnalysisTemplate:
			m.AnalysisTemplates[o.Name] = o
		case *v1alpha1.ClusterAnalysisTemplate:
			m.ClusterAnalysisTemplates[o.Name] = o
		default:
			if trafficrouting.KindOf(obj) != "" {
				m.RouterObjects = append(m.RouterObjects, obj)
			}
		}
	}
}
