// Package examples_test checks every example manifest without a cluster: each YAML document
// must decode strictly into its Go type (an unknown or misspelled field fails), pass the
// OpenAPI schema and CEL rules of the CRDs in manifests/crds, and refer only to objects of
// its own example (Services, Ingresses, analysis templates, managed routes).
package examples_test

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	"k8s.io/apiextensions-apiserver/pkg/apis/apiextensions"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	structuralschema "k8s.io/apiextensions-apiserver/pkg/apiserver/schema"
	"k8s.io/apiextensions-apiserver/pkg/apiserver/schema/cel"
	structuraldefaulting "k8s.io/apiextensions-apiserver/pkg/apiserver/schema/defaulting"
	apiservervalidation "k8s.io/apiextensions-apiserver/pkg/apiserver/validation"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/util/validation/field"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	celconfig "k8s.io/apiserver/pkg/apis/cel"
	gwv1 "sigs.k8s.io/gateway-api/apis/v1"
	sigsjson "sigs.k8s.io/json"
	"sigs.k8s.io/yaml"

	"github.com/serin-dev/serin/pkg/apis/rollouts/v1alpha1"
)

// doc is one YAML document of an example.
type doc struct {
	file  string // path relative to examples/
	index int    // position in the file, from 0
	raw   []byte
	obj   any // *v1alpha1.Rollout, *corev1.Service, ...
}

func (d doc) String() string { return fmt.Sprintf("%s#%d", d.file, d.index) }

// newObject returns an empty object of the Go type for apiVersion and kind, or nil when
// the examples are not expected to hold that kind.
func newObject(apiVersion, kind string) any {
	switch apiVersion + " " + kind {
	case "serin.dev/v1alpha1 Rollout":
		return &v1alpha1.Rollout{}
	case "serin.dev/v1alpha1 AnalysisTemplate":
		return &v1alpha1.AnalysisTemplate{}
	case "serin.dev/v1alpha1 ClusterAnalysisTemplate":
		return &v1alpha1.ClusterAnalysisTemplate{}
	case "serin.dev/v1alpha1 AnalysisRun":
		return &v1alpha1.AnalysisRun{}
	case "v1 Service":
		return &corev1.Service{}
	case "networking.k8s.io/v1 Ingress":
		return &networkingv1.Ingress{}
	case "gateway.networking.k8s.io/v1 HTTPRoute":
		return &gwv1.HTTPRoute{}
	}
	return nil
}

// exampleDirs returns the directories directly under examples/ (the working directory of
// this test), each one example.
func exampleDirs(t *testing.T) []string {
	t.Helper()
	entries, err := os.ReadDir(".")
	if err != nil {
		t.Fatal(err)
	}
	var dirs []string
	for _, e := range entries {
		if e.IsDir() && !strings.HasPrefix(e.Name(), ".") && e.Name() != "testdata" {
			dirs = append(dirs, e.Name())
		}
	}
	if len(dirs) == 0 {
		t.Fatal("no example directories under examples/")
	}
	return dirs
}

// loadExample reads and strictly decodes every YAML document under dir.
func loadExample(t *testing.T, dir string) []doc {
	t.Helper()
	var docs []doc
	err := filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() || (filepath.Ext(path) != ".yaml" && filepath.Ext(path) != ".yml") {
			return nil
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		r := utilyaml.NewYAMLReader(bufio.NewReader(bytes.NewReader(data)))
		for i := 0; ; i++ {
			raw, err := r.Read()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				return fmt.Errorf("%s: %w", path, err)
			}
			if isEmptyDoc(raw) {
				continue
			}
			docs = append(docs, decode(t, doc{file: filepath.ToSlash(path), index: i, raw: raw}))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(docs) == 0 {
		t.Fatalf("%s: no YAML documents", dir)
	}
	return docs
}

// isEmptyDoc reports whether a document holds only comments and blank lines.
func isEmptyDoc(raw []byte) bool {
	for _, line := range strings.Split(string(raw), "\n") {
		line = strings.TrimSpace(line)
		if line != "" && !strings.HasPrefix(line, "#") && line != "---" {
			return false
		}
	}
	return true
}

// decode fills d.obj from d.raw, strictly (see decodeStrict).
func decode(t *testing.T, d doc) doc {
	t.Helper()
	obj, err := decodeStrict(d.raw)
	if err != nil {
		t.Fatalf("%s: %v", d, err)
	}
	d.obj = obj
	return d
}

// decodeStrict decodes one document into the Go type of its apiVersion and kind. Unknown
// fields, duplicate keys and values of the wrong type are errors.
//
// It decodes twice. yaml.UnmarshalStrict converts the YAML with the Go type as a guide and
// matches field names without regard to case; kubectl does neither, so the document is
// then converted to JSON on its own (as kubectl does) and decoded again with
// sigs.k8s.io/json, which matches names case-sensitively, as the API server does. Between
// them, `setweight: 20` and `name: true` (a bool where a string belongs) are refused.
func decodeStrict(raw []byte) (any, error) {
	var tm metav1.TypeMeta
	if err := yaml.Unmarshal(raw, &tm); err != nil {
		return nil, err
	}
	obj := newObject(tm.APIVersion, tm.Kind)
	if obj == nil {
		return nil, fmt.Errorf("unexpected apiVersion %q kind %q (Serin kinds are serin.dev/v1alpha1; "+
			"for another Kubernetes kind, add it to newObject in this test)", tm.APIVersion, tm.Kind)
	}
	if err := yaml.UnmarshalStrict(raw, obj); err != nil {
		return nil, fmt.Errorf("%s %s does not decode strictly: %w", tm.APIVersion, tm.Kind, err)
	}
	j, err := yaml.YAMLToJSONStrict(raw)
	if err != nil {
		return nil, err
	}
	strictErrs, err := sigsjson.UnmarshalStrict(j, newObject(tm.APIVersion, tm.Kind))
	if err != nil {
		return nil, fmt.Errorf("%s %s does not decode: %w", tm.APIVersion, tm.Kind, err)
	}
	if len(strictErrs) > 0 {
		return nil, fmt.Errorf("%s %s does not decode strictly: %w", tm.APIVersion, tm.Kind, errors.Join(strictErrs...))
	}
	return obj, nil
}

func meta(obj any) *metav1.ObjectMeta {
	switch o := obj.(type) {
	case *v1alpha1.Rollout:
		return &o.ObjectMeta
	case *v1alpha1.AnalysisTemplate:
		return &o.ObjectMeta
	case *v1alpha1.ClusterAnalysisTemplate:
		return &o.ObjectMeta
	case *v1alpha1.AnalysisRun:
		return &o.ObjectMeta
	case *corev1.Service:
		return &o.ObjectMeta
	case *networkingv1.Ingress:
		return &o.ObjectMeta
	case *gwv1.HTTPRoute:
		return &o.ObjectMeta
	}
	panic(fmt.Sprintf("meta: unexpected %T", obj))
}

// TestExamples decodes every example strictly, validates the Serin kinds against the CRDs,
// and checks each example's internal references.
func TestExamples(t *testing.T) {
	crds := loadCRDs(t)
	for _, dir := range exampleDirs(t) {
		t.Run(dir, func(t *testing.T) {
			if _, err := os.Stat(filepath.Join(dir, "README.md")); err != nil {
				t.Errorf("%s has no README.md", dir)
			}
			docs := loadExample(t, dir)
			names := map[string]string{} // kind/name -> where
			rollout := ""                // where the first Rollout is
			for _, d := range docs {
				// `kubectl apply -f <dir>` applies files in name order (as loadExample reads
				// them): what a Rollout refers to must come first, or the Rollout is
				// created before its Services and reports InvalidSpec for a moment.
				if _, ok := d.obj.(*v1alpha1.Rollout); ok && rollout == "" {
					rollout = d.String()
				} else if !ok && rollout != "" {
					t.Errorf("%s comes after the Rollout (%s) in apply order; name the files so that the Rollout is applied last", d, rollout)
				}
				m := meta(d.obj)
				if m.Name == "" {
					t.Errorf("%s: metadata.name is empty", d)
				}
				// The examples are applied into a namespace of the user's (or the demo's)
				// choosing, so none may pin one.
				if m.Namespace != "" {
					t.Errorf("%s: metadata.namespace is set (%q); examples must be namespace-less", d, m.Namespace)
				}
				key := fmt.Sprintf("%T/%s", d.obj, m.Name)
				if prev, dup := names[key]; dup {
					t.Errorf("%s: %s is also defined in %s", d, key, prev)
				}
				names[key] = d.String()
				if c, ok := crds[fmt.Sprintf("%T", d.obj)]; ok {
					for _, err := range c.validate(d.raw) {
						t.Errorf("%s: refused by the %s CRD: %v", d, c.name, err)
					}
				}
			}
			checkReferences(t, docs)
		})
	}
}

// crdValidator is the server-side validation of one CRD version, run offline: structural
// defaulting, then the OpenAPI schema, then the x-kubernetes-validations (CEL) rules.
type crdValidator struct {
	name       string
	structural *structuralschema.Structural
	schema     apiservervalidation.SchemaValidator
	cel        *cel.Validator
}

func (c crdValidator) validate(raw []byte) field.ErrorList {
	// Integers must stay integers (not float64), as in the API server, for the CEL rules.
	j, err := yaml.YAMLToJSON(raw)
	if err != nil {
		return field.ErrorList{field.InternalError(nil, err)}
	}
	var u map[string]any
	if err := sigsjson.UnmarshalCaseSensitivePreserveInts(j, &u); err != nil {
		return field.ErrorList{field.InternalError(nil, err)}
	}
	structuraldefaulting.Default(u, c.structural)
	errs := apiservervalidation.ValidateCustomResource(nil, u, c.schema)
	celErrs, _ := c.cel.Validate(context.Background(), nil, c.structural, u, nil, celconfig.RuntimeCELCostBudget)
	for _, e := range celErrs {
		// A rule that does not compile is a fault of the CRD, not of the example: the API
		// server would refuse the CRD itself, and manifests.TestCRDsAreValid reports it.
		if strings.HasPrefix(e.Detail, "rule compile error") {
			continue
		}
		errs = append(errs, e)
	}
	return errs
}

// loadCRDs reads manifests/crds and returns a validator per Go type name of a Serin kind.
func loadCRDs(t *testing.T) map[string]crdValidator {
	t.Helper()
	goTypes := map[string]string{
		"Rollout":                 fmt.Sprintf("%T", &v1alpha1.Rollout{}),
		"AnalysisTemplate":        fmt.Sprintf("%T", &v1alpha1.AnalysisTemplate{}),
		"ClusterAnalysisTemplate": fmt.Sprintf("%T", &v1alpha1.ClusterAnalysisTemplate{}),
		"AnalysisRun":             fmt.Sprintf("%T", &v1alpha1.AnalysisRun{}),
	}
	files, err := filepath.Glob(filepath.Join("..", "manifests", "crds", "serin.dev_*.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]crdValidator{}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var v1crd apiextensionsv1.CustomResourceDefinition
		if err := yaml.UnmarshalStrict(data, &v1crd); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		var crd apiextensions.CustomResourceDefinition
		if err := apiextensionsv1.Convert_v1_CustomResourceDefinition_To_apiextensions_CustomResourceDefinition(&v1crd, &crd, nil); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		for _, v := range crd.Spec.Versions {
			if v.Name != v1alpha1.SchemeGroupVersion.Version {
				continue
			}
			// The conversion to the internal type moves a schema shared by every version
			// to spec.validation.
			validation := v.Schema
			if validation == nil {
				validation = crd.Spec.Validation
			}
			if validation == nil || validation.OpenAPIV3Schema == nil {
				t.Fatalf("%s: version %s has no schema", f, v.Name)
			}
			s := validation.OpenAPIV3Schema
			structural, err := structuralschema.NewStructural(s)
			if err != nil {
				t.Fatalf("%s: schema is not structural: %v", f, err)
			}
			schemaValidator, _, err := apiservervalidation.NewSchemaValidator(s)
			if err != nil {
				t.Fatalf("%s: %v", f, err)
			}
			goType, ok := goTypes[crd.Spec.Names.Kind]
			if !ok {
				t.Fatalf("%s: kind %s is not known to this test", f, crd.Spec.Names.Kind)
			}
			out[goType] = crdValidator{
				name:       crd.Name,
				structural: structural,
				schema:     schemaValidator,
				cel:        cel.NewValidator(structural, true, celconfig.PerCallLimit),
			}
		}
	}
	if len(out) != len(goTypes) {
		t.Fatalf("found CRD schemas for %d of the %d Serin kinds in manifests/crds", len(out), len(goTypes))
	}
	return out
}

var argRef = regexp.MustCompile(`\{\{\s*args\.([A-Za-z0-9_.-]+)\s*\}\}`)

// checkReferences checks that what a Rollout names exists in the same example and fits:
// Services selecting its pods, the stable Ingress routing to the stable Service, analysis
// templates whose arguments are all given, header routes listed in managedRoutes.
func checkReferences(t *testing.T, docs []doc) {
	t.Helper()
	services := map[string]*corev1.Service{}
	ingresses := map[string]*networkingv1.Ingress{}
	httpRoutes := map[string]*gwv1.HTTPRoute{}
	templates := map[string]*v1alpha1.AnalysisTemplateSpec{}
	clusterTemplates := map[string]*v1alpha1.AnalysisTemplateSpec{}
	var rollouts []doc
	for _, d := range docs {
		switch o := d.obj.(type) {
		case *corev1.Service:
			services[o.Name] = o
		case *networkingv1.Ingress:
			ingresses[o.Name] = o
		case *gwv1.HTTPRoute:
			httpRoutes[o.Name] = o
		case *v1alpha1.AnalysisTemplate:
			templates[o.Name] = &o.Spec
			checkTemplateArgs(t, d, &o.Spec)
		case *v1alpha1.ClusterAnalysisTemplate:
			clusterTemplates[o.Name] = &o.Spec
			checkTemplateArgs(t, d, &o.Spec)
		case *v1alpha1.Rollout:
			rollouts = append(rollouts, d)
		}
	}
	if len(rollouts) == 0 {
		t.Errorf("the example has no Rollout")
	}
	for _, d := range rollouts {
		ro := d.obj.(*v1alpha1.Rollout)
		podLabels := labels.Set(ro.Spec.Template.Labels)
		sel, err := metav1.LabelSelectorAsSelector(ro.Spec.Selector)
		if err != nil {
			t.Errorf("%s: spec.selector: %v", d, err)
		} else if !sel.Matches(podLabels) {
			t.Errorf("%s: spec.selector does not select the pod template's labels", d)
		}
		containerPorts := map[string]bool{}
		for _, c := range ro.Spec.Template.Spec.Containers {
			for _, p := range c.Ports {
				if p.Name != "" {
					containerPorts[p.Name] = true
				}
			}
		}
		service := func(what, name string) {
			if name == "" {
				return
			}
			svc, ok := services[name]
			if !ok {
				t.Errorf("%s: %s %q is not defined in the example", d, what, name)
				return
			}
			if len(svc.Spec.Selector) == 0 || !labels.SelectorFromSet(svc.Spec.Selector).Matches(podLabels) {
				t.Errorf("%s: Service %q (%s) does not select the Rollout's pods", d, name, what)
			}
			for _, p := range svc.Spec.Ports {
				if p.TargetPort.StrVal != "" && !containerPorts[p.TargetPort.StrVal] {
					t.Errorf("%s: Service %q targets port %q, which no container names", d, name, p.TargetPort.StrVal)
				}
			}
		}
		var analyses []*v1alpha1.RolloutAnalysis
		if c := ro.Spec.Strategy.Canary; c != nil {
			service("canaryService", c.CanaryService)
			service("stableService", c.StableService)
			if c.Analysis != nil {
				analyses = append(analyses, &c.Analysis.RolloutAnalysis)
			}
			routes := map[string]bool{}
			if tr := c.TrafficRouting; tr != nil {
				for _, r := range tr.ManagedRoutes {
					routes[r.Name] = true
				}
				if tr.Nginx != nil {
					stable := append([]string{tr.Nginx.StableIngress}, tr.Nginx.StableIngresses...)
					for _, name := range stable {
						if name == "" {
							continue
						}
						ing, ok := ingresses[name]
						if !ok {
							t.Errorf("%s: stable Ingress %q is not defined in the example", d, name)
							continue
						}
						if !ingressRoutesTo(ing, c.StableService) {
							t.Errorf("%s: stable Ingress %q has no backend on the stable Service %q", d, name, c.StableService)
						}
					}
				}
				if gw, ok := tr.Plugins[v1alpha1.GatewayAPIPlugin]; ok {
					names := []string{gw.HTTPRoute}
					for _, r := range gw.HTTPRoutes {
						names = append(names, r.Name)
					}
					for _, name := range names {
						if name == "" {
							continue
						}
						route, ok := httpRoutes[name]
						if !ok {
							t.Errorf("%s: HTTPRoute %q is not defined in the example", d, name)
							continue
						}
						if !httpRouteRoutesTo(route, c.StableService) {
							t.Errorf("%s: HTTPRoute %q has no backend on the stable Service %q", d, name, c.StableService)
						}
					}
				}
			}
			for i, s := range c.Steps {
				if s.Analysis != nil {
					analyses = append(analyses, s.Analysis)
				}
				if s.SetHeaderRoute != nil && !routes[s.SetHeaderRoute.Name] {
					t.Errorf("%s: steps[%d].setHeaderRoute names %q, which trafficRouting.managedRoutes does not list", d, i, s.SetHeaderRoute.Name)
				}
			}
		}
		if bg := ro.Spec.Strategy.BlueGreen; bg != nil {
			service("activeService", bg.ActiveService)
			service("previewService", bg.PreviewService)
			analyses = append(analyses, bg.PrePromotionAnalysis, bg.PostPromotionAnalysis)
		}
		for _, a := range analyses {
			if a == nil {
				continue
			}
			given := map[string]bool{}
			for _, arg := range a.Args {
				given[arg.Name] = true
			}
			for _, ref := range a.Templates {
				spec, ok := templates[ref.TemplateName]
				kind := "AnalysisTemplate"
				if ref.ClusterScope {
					spec, ok = clusterTemplates[ref.TemplateName]
					kind = "ClusterAnalysisTemplate"
				}
				if !ok {
					t.Errorf("%s: %s %q is not defined in the example", d, kind, ref.TemplateName)
					continue
				}
				for _, arg := range spec.Args {
					if arg.Value == nil && arg.ValueFrom == nil && !given[arg.Name] {
						t.Errorf("%s: %s %q needs argument %q, which the Rollout does not give", d, kind, ref.TemplateName, arg.Name)
					}
				}
			}
		}
	}
}

// checkTemplateArgs checks that every {{args.NAME}} in a template's metrics is declared.
func checkTemplateArgs(t *testing.T, d doc, spec *v1alpha1.AnalysisTemplateSpec) {
	t.Helper()
	declared := map[string]bool{}
	for _, a := range spec.Args {
		declared[a.Name] = true
	}
	raw, err := yaml.Marshal(spec.Metrics)
	if err != nil {
		t.Fatal(err)
	}
	var missing []string
	for _, m := range argRef.FindAllStringSubmatch(string(raw), -1) {
		if !declared[m[1]] {
			missing = append(missing, m[1])
		}
	}
	if len(missing) > 0 {
		sort.Strings(missing)
		t.Errorf("%s: metrics use undeclared arguments %v", d, missing)
	}
}

func httpRouteRoutesTo(route *gwv1.HTTPRoute, service string) bool {
	for _, rule := range route.Spec.Rules {
		for _, ref := range rule.BackendRefs {
			if string(ref.Name) == service && (ref.Kind == nil || *ref.Kind == "Service") {
				return true
			}
		}
	}
	return false
}

func ingressRoutesTo(ing *networkingv1.Ingress, service string) bool {
	for _, r := range ing.Spec.Rules {
		if r.HTTP == nil {
			continue
		}
		for _, p := range r.HTTP.Paths {
			if p.Backend.Service != nil && p.Backend.Service.Name == service {
				return true
			}
		}
	}
	return false
}

// A Rollout like those of the examples, into which the negative tests put one mistake.
const brokenRollout = `
apiVersion: serin.dev/v1alpha1
kind: Rollout
metadata:
  name: broken
spec:
  selector:
    matchLabels: {app: broken}
  template:
    metadata:
      labels: {app: broken}
    spec:
      containers:
      - name: app
        image: nginxinc/nginx-unprivileged:1.27
  strategy:
    canary:
      steps:
      - %s
`

// TestStrictDecodingRefusesMistakes makes sure the checks above can fail: a misspelled
// field, a value of the wrong type and an unknown kind are errors.
func TestStrictDecodingRefusesMistakes(t *testing.T) {
	for name, raw := range map[string]string{
		"misspelled field":  fmt.Sprintf(brokenRollout, "setWieght: 20"),
		"wrong type":        fmt.Sprintf(brokenRollout, "setWeight: twenty"),
		"wrong case":        fmt.Sprintf(brokenRollout, "setweight: 20"),
		"duplicate key":     fmt.Sprintf(brokenRollout, "{setWeight: 20, setWeight: 30}"),
		"bool for a string": strings.Replace(fmt.Sprintf(brokenRollout, "pause: {}"), "name: app", "name: true", 1),
		"unknown kind":      "apiVersion: serin.dev/v1alpha1\nkind: Rolout\nmetadata: {name: x}\n",
		"unknown top field": "apiVersion: v1\nkind: Service\nmetadata: {name: x}\nspecs: {}\n",
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := decodeStrict([]byte(raw)); err == nil {
				t.Errorf("decoded without error:\n%s", raw)
			} else {
				t.Logf("refused as expected: %v", err)
			}
		})
	}
	if _, err := decodeStrict([]byte(fmt.Sprintf(brokenRollout, "setWeight: 20"))); err != nil {
		t.Errorf("the valid base manifest is refused: %v", err)
	}
}

// TestCRDValidationRefusesMistakes makes sure the offline CRD validation runs both the
// OpenAPI schema and the CEL rules.
func TestCRDValidationRefusesMistakes(t *testing.T) {
	crds := loadCRDs(t)
	rollout := crds[fmt.Sprintf("%T", &v1alpha1.Rollout{})]
	for name, step := range map[string]string{
		"schema: negative weight":          "setWeight: -5",
		"schema: bad pause duration":       "pause: {duration: 5 minutes}",
		"CEL: two actions in a step":       "{setWeight: 20, pause: {}}",
		"CEL: weight above 100":            "setWeight: 120",
		"CEL: header route needs a router": "setHeaderRoute: {name: r}",
	} {
		t.Run(name, func(t *testing.T) {
			raw := []byte(fmt.Sprintf(brokenRollout, step))
			if _, err := decodeStrict(raw); err != nil {
				t.Fatalf("the manifest should decode and fail only CRD validation: %v", err)
			}
			errs := rollout.validate(raw)
			if len(errs) == 0 {
				t.Errorf("accepted by the CRD validation:\n%s", raw)
			}
			for _, err := range errs {
				t.Logf("refused as expected: %v", err)
			}
		})
	}
	if errs := rollout.validate([]byte(fmt.Sprintf(brokenRollout, "setWeight: 20"))); len(errs) != 0 {
		t.Errorf("the valid base manifest is refused: %v", errs)
	}
}
