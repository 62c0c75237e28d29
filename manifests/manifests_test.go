// Package manifests_test checks the install manifests without a cluster: the CRDs pass the
// API server's own CRD validation, and the kustomizations render to the objects the install
// needs, with the controller's RBAC kept to least privilege.
package manifests_test

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apiextensions-apiserver/pkg/apis/apiextensions"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	crdvalidation "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/validation"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/yaml"
)

// kustomize is run with `go run` at this version; it is deliberately not a dependency in
// go.mod. (v5.8.3 and later need a newer Go than the module's.)
const kustomize = "sigs.k8s.io/kustomize/kustomize/v5@v5.8.2"

// TestCRDsAreValid runs the validation the API server runs when a CRD is created, CEL rule
// compilation and cost estimation included, on every CRD in crds/.
func TestCRDsAreValid(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("crds", "serin.dev_*.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatal("no CRDs in manifests/crds")
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			data, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			var v1crd apiextensionsv1.CustomResourceDefinition
			if err := yaml.UnmarshalStrict(data, &v1crd); err != nil {
				t.Fatal(err)
			}
			apiextensionsv1.SetObjectDefaults_CustomResourceDefinition(&v1crd)
			var crd apiextensions.CustomResourceDefinition
			if err := apiextensionsv1.Convert_v1_CustomResourceDefinition_To_apiextensions_CustomResourceDefinition(&v1crd, &crd, nil); err != nil {
				t.Fatal(err)
			}
			for _, e := range crdvalidation.ValidateCustomResourceDefinition(context.Background(), &crd) {
				t.Errorf("the API server would refuse %s: %v\n(fix the marker in pkg/apis and run `make manifests`)", crd.Name, e)
			}
		})
	}
}

// TestCRDKustomizationListsEveryCRD keeps crds/kustomization.yaml in step with the
// generated files.
func TestCRDKustomizationListsEveryCRD(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("crds", "serin.dev_*.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var want []string
	for _, f := range files {
		want = append(want, filepath.Base(f))
	}
	data, err := os.ReadFile(filepath.Join("crds", "kustomization.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var k struct {
		APIVersion string   `json:"apiVersion"`
		Kind       string   `json:"kind"`
		Resources  []string `json:"resources"`
	}
	if err := yaml.UnmarshalStrict(data, &k); err != nil {
		t.Fatal(err)
	}
	got := slices.Clone(k.Resources)
	sort.Strings(got)
	if !slices.Equal(got, want) {
		t.Errorf("crds/kustomization.yaml lists %v; the generated CRDs are %v", got, want)
	}
}

// object is one rendered object.
type object struct {
	Kind, Name, Namespace string
	raw                   []byte
}

func (o object) key() string { return o.Kind + "/" + o.Name }

// decode decodes the object strictly into v.
func (o object) decode(t *testing.T, v any) {
	t.Helper()
	if err := yaml.UnmarshalStrict(o.raw, v); err != nil {
		t.Fatalf("%s: %v", o.key(), err)
	}
}

// build runs `kustomize build dir` and returns the objects by kind/name. It skips the test
// when kustomize cannot be built (no module proxy and nothing cached).
func build(t *testing.T, dir string) map[string]object {
	t.Helper()
	if testing.Short() {
		t.Skip("-short: not building kustomize")
	}
	if out, err := exec.Command("go", "run", kustomize, "version").CombinedOutput(); err != nil {
		t.Skipf("kustomize is not available (go run %s: %v):\n%s", kustomize, err, out)
	}
	var stdout, stderr bytes.Buffer
	cmd := exec.Command("go", "run", kustomize, "build", dir)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("kustomize build %s: %v\n%s", dir, err, stderr.String())
	}
	objs := map[string]object{}
	r := utilyaml.NewYAMLReader(bufio.NewReader(&stdout))
	for {
		raw, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		var m struct {
			metav1.TypeMeta `json:",inline"`
			Metadata        metav1.ObjectMeta `json:"metadata"`
		}
		if err := yaml.Unmarshal(raw, &m); err != nil {
			t.Fatal(err)
		}
		o := object{Kind: m.Kind, Name: m.Metadata.Name, Namespace: m.Metadata.Namespace, raw: raw}
		if _, dup := objs[o.key()]; dup {
			t.Errorf("%s: %s twice", dir, o.key())
		}
		objs[o.key()] = o
	}
	return objs
}

func keys(objs map[string]object) []string {
	var ks []string
	for k := range objs {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

// The controller's permissions, as (apiGroup, resource) -> verbs. Both installs must grant
// exactly these, so a change to one RBAC file that forgets the other fails here.
var controllerRules = map[string][]string{
	"serin.dev/rollouts":                   {"get", "list", "watch", "update", "patch"},
	"serin.dev/rollouts/status":            {"get", "update", "patch"},
	"serin.dev/rollouts/finalizers":        {"update"},
	"serin.dev/analysistemplates":          {"get", "list", "watch"},
	"serin.dev/clusteranalysistemplates":   {"get", "list", "watch"},
	"serin.dev/analysisruns":               {"get", "list", "watch", "create", "update", "patch", "delete", "deletecollection"},
	"serin.dev/analysisruns/status":        {"update", "patch"},
	"serin.dev/analysisruns/finalizers":    {"update"},
	"apps/replicasets":                     {"get", "list", "watch", "create", "update", "patch", "delete"},
	"/pods":                                {"get", "list", "watch", "patch", "delete"},
	"/pods/eviction":                       {"create"},
	"/services":                            {"get", "list", "watch", "update", "patch"},
	"networking.k8s.io/ingresses":          {"get", "list", "watch", "create", "update", "patch", "delete"},
	"gateway.networking.k8s.io/httproutes": {"get", "list", "watch", "update", "patch"},
	"batch/jobs":                           {"get", "list", "watch", "create", "delete"},
	"/events":                              {"create", "patch"},
	"events.k8s.io/events":                 {"create", "patch"},
}

var leaseRules = map[string][]string{"coordination.k8s.io/leases": {"get", "create", "update"}}

// flatten turns rules into (apiGroup/resource) -> sorted verbs, refusing wildcards and
// non-resource URLs.
func flatten(t *testing.T, where string, rules []rbacv1.PolicyRule) map[string][]string {
	t.Helper()
	out := map[string][]string{}
	for _, r := range rules {
		if len(r.NonResourceURLs) > 0 {
			t.Errorf("%s: grants non-resource URLs %v", where, r.NonResourceURLs)
		}
		for _, g := range r.APIGroups {
			for _, res := range r.Resources {
				if g == "*" || res == "*" || slices.Contains(r.Verbs, "*") {
					t.Errorf("%s: wildcard in %v", where, r)
				}
				k := g + "/" + res
				out[k] = append(out[k], r.Verbs...)
			}
		}
	}
	for k := range out {
		sort.Strings(out[k])
		out[k] = slices.Compact(out[k])
	}
	return out
}

func merge(ms ...map[string][]string) map[string][]string {
	out := map[string][]string{}
	for _, m := range ms {
		for k, v := range m {
			out[k] = append(slices.Clone(out[k]), v...)
		}
	}
	for k := range out {
		sort.Strings(out[k])
		out[k] = slices.Compact(out[k])
	}
	return out
}

func without(m map[string][]string, key string) map[string][]string {
	out := merge(m)
	delete(out, key)
	return out
}

func equalRules(t *testing.T, where string, got, want map[string][]string) {
	t.Helper()
	want = merge(want) // sorted copy
	for k, v := range want {
		if !slices.Equal(got[k], v) {
			t.Errorf("%s: %s verbs are %v, want %v", where, k, got[k], v)
		}
	}
	for k, v := range got {
		if _, ok := want[k]; !ok {
			t.Errorf("%s: grants %s %v, which the controller does not need", where, k, v)
		}
	}
}

// checkController checks the Deployment and returns its container args.
func checkController(t *testing.T, objs map[string]object, namespace string) []string {
	t.Helper()
	o, ok := objs["Deployment/serin-controller"]
	if !ok {
		t.Fatalf("no Deployment/serin-controller among %v", keys(objs))
	}
	if o.Namespace != namespace {
		t.Errorf("Deployment in namespace %q, want %q", o.Namespace, namespace)
	}
	var d appsv1.Deployment
	o.decode(t, &d)
	ps := d.Spec.Template.Spec
	if d.Spec.Replicas == nil || *d.Spec.Replicas != 1 {
		t.Errorf("replicas = %v, want 1", d.Spec.Replicas)
	}
	if ps.ServiceAccountName != "serin-controller" {
		t.Errorf("serviceAccountName = %q", ps.ServiceAccountName)
	}
	if ps.SecurityContext == nil || ps.SecurityContext.RunAsNonRoot == nil || !*ps.SecurityContext.RunAsNonRoot ||
		ps.SecurityContext.RunAsUser == nil || *ps.SecurityContext.RunAsUser != 65532 ||
		ps.SecurityContext.SeccompProfile == nil || ps.SecurityContext.SeccompProfile.Type != corev1.SeccompProfileTypeRuntimeDefault {
		t.Errorf("pod securityContext = %+v", ps.SecurityContext)
	}
	if len(ps.Containers) != 1 {
		t.Fatalf("%d containers, want 1", len(ps.Containers))
	}
	c := ps.Containers[0]
	sc := c.SecurityContext
	if sc == nil || sc.ReadOnlyRootFilesystem == nil || !*sc.ReadOnlyRootFilesystem ||
		sc.AllowPrivilegeEscalation == nil || *sc.AllowPrivilegeEscalation ||
		sc.Capabilities == nil || !slices.Equal(sc.Capabilities.Drop, []corev1.Capability{"ALL"}) || len(sc.Capabilities.Add) > 0 {
		t.Errorf("container securityContext = %+v", sc)
	}
	for _, f := range []string{"--metrics-addr=:8090", "--health-addr=:8091", "--leader-elect"} {
		if !slices.Contains(c.Args, f) {
			t.Errorf("args %v lack %s", c.Args, f)
		}
	}
	if c.LivenessProbe == nil || c.LivenessProbe.HTTPGet == nil || c.LivenessProbe.HTTPGet.Path != "/healthz" ||
		c.LivenessProbe.HTTPGet.Port.String() != "health" {
		t.Errorf("liveness probe = %+v", c.LivenessProbe)
	}
	if c.ReadinessProbe == nil || c.ReadinessProbe.HTTPGet == nil || c.ReadinessProbe.HTTPGet.Path != "/readyz" ||
		c.ReadinessProbe.HTTPGet.Port.String() != "health" {
		t.Errorf("readiness probe = %+v", c.ReadinessProbe)
	}
	ports := map[string]int32{}
	for _, p := range c.Ports {
		ports[p.Name] = p.ContainerPort
	}
	if ports["metrics"] != 8090 || ports["health"] != 8091 {
		t.Errorf("container ports = %v, want metrics 8090 and health 8091", ports)
	}
	if c.Resources.Requests.Cpu().IsZero() || c.Resources.Requests.Memory().IsZero() ||
		c.Resources.Limits.Cpu().IsZero() || c.Resources.Limits.Memory().IsZero() {
		t.Errorf("resources = %+v, want requests and limits", c.Resources)
	}
	var podNamespace bool
	for _, e := range c.Env {
		if e.Name == "POD_NAMESPACE" && e.ValueFrom != nil && e.ValueFrom.FieldRef != nil && e.ValueFrom.FieldRef.FieldPath == "metadata.namespace" {
			podNamespace = true
		}
	}
	if !podNamespace {
		t.Errorf("no POD_NAMESPACE from the downward API in %+v", c.Env)
	}

	svc, ok := objs["Service/serin-controller-metrics"]
	if !ok {
		t.Fatalf("no Service/serin-controller-metrics")
	}
	var s corev1.Service
	svc.decode(t, &s)
	if len(s.Spec.Ports) != 1 || s.Spec.Ports[0].Name != "metrics" || s.Spec.Ports[0].Port != 8090 {
		t.Errorf("metrics Service ports = %+v", s.Spec.Ports)
	}
	for k, v := range s.Spec.Selector {
		if d.Spec.Template.Labels[k] != v {
			t.Errorf("metrics Service selector %v does not select the controller's pods", s.Spec.Selector)
		}
	}
	if sa, ok := objs["ServiceAccount/serin-controller"]; !ok || sa.Namespace != namespace {
		t.Errorf("ServiceAccount/serin-controller missing or not in %s", namespace)
	}
	return c.Args
}

func clusterRole(t *testing.T, objs map[string]object, name string) rbacv1.ClusterRole {
	t.Helper()
	o, ok := objs["ClusterRole/"+name]
	if !ok {
		t.Fatalf("no ClusterRole/%s among %v", name, keys(objs))
	}
	var r rbacv1.ClusterRole
	o.decode(t, &r)
	return r
}

// checkBindings checks that every binding's subject is the controller's ServiceAccount in
// namespace and returns the roles bound, as kind/name.
func checkBindings(t *testing.T, objs map[string]object, namespace string) []string {
	t.Helper()
	var bound []string
	for _, o := range objs {
		var subjects []rbacv1.Subject
		var ref rbacv1.RoleRef
		switch o.Kind {
		case "ClusterRoleBinding":
			var b rbacv1.ClusterRoleBinding
			o.decode(t, &b)
			subjects, ref = b.Subjects, b.RoleRef
		case "RoleBinding":
			var b rbacv1.RoleBinding
			o.decode(t, &b)
			subjects, ref = b.Subjects, b.RoleRef
			if o.Namespace != namespace {
				t.Errorf("%s in namespace %q, want %q", o.key(), o.Namespace, namespace)
			}
		default:
			continue
		}
		want := []rbacv1.Subject{{Kind: "ServiceAccount", Name: "serin-controller", Namespace: namespace}}
		if !slices.Equal(subjects, want) {
			t.Errorf("%s: subjects %+v, want %+v", o.key(), subjects, want)
		}
		if _, ok := objs[ref.Kind+"/"+ref.Name]; !ok {
			t.Errorf("%s: binds %s/%s, which the install does not define", o.key(), ref.Kind, ref.Name)
		}
		bound = append(bound, o.Kind+" -> "+ref.Kind+"/"+ref.Name)
	}
	sort.Strings(bound)
	return bound
}

// TestClusterInstall renders manifests/ and checks what it installs.
func TestClusterInstall(t *testing.T) {
	objs := build(t, ".")
	want := []string{
		"ClusterRole/serin-controller",
		"ClusterRole/serin-controller-secret-reader",
		"ClusterRole/serin-edit",
		"ClusterRole/serin-view",
		"ClusterRoleBinding/serin-controller",
		"CustomResourceDefinition/analysisruns.serin.dev",
		"CustomResourceDefinition/analysistemplates.serin.dev",
		"CustomResourceDefinition/clusteranalysistemplates.serin.dev",
		"CustomResourceDefinition/rollouts.serin.dev",
		"Deployment/serin-controller",
		"Namespace/serin-system",
		"Role/serin-controller-leader-election",
		"RoleBinding/serin-controller-leader-election",
		"Service/serin-controller-metrics",
		"ServiceAccount/serin-controller",
	}
	if got := keys(objs); !slices.Equal(got, want) {
		t.Errorf("kustomize build manifests/ gives\n  %v\nwant\n  %v", got, want)
	}
	args := checkController(t, objs, "serin-system")
	if slices.Contains(args, "--namespaced") {
		t.Errorf("the cluster-wide install runs the controller with --namespaced")
	}

	bound := checkBindings(t, objs, "serin-system")
	wantBound := []string{
		"ClusterRoleBinding -> ClusterRole/serin-controller",
		"RoleBinding -> Role/serin-controller-leader-election",
	}
	if !slices.Equal(bound, wantBound) {
		t.Errorf("bindings %v, want %v (the Secret reader must stay unbound)", bound, wantBound)
	}
	cr := clusterRole(t, objs, "serin-controller")
	equalRules(t, "ClusterRole/serin-controller", flatten(t, "ClusterRole/serin-controller", cr.Rules), controllerRules)

	var lease rbacv1.Role
	objs["Role/serin-controller-leader-election"].decode(t, &lease)
	equalRules(t, "Role/serin-controller-leader-election", flatten(t, "Role", lease.Rules), leaseRules)

	secrets := clusterRole(t, objs, "serin-controller-secret-reader")
	equalRules(t, "ClusterRole/serin-controller-secret-reader", flatten(t, "secret reader", secrets.Rules),
		map[string][]string{"/secrets": {"get"}})

	view := clusterRole(t, objs, "serin-view")
	if view.Labels["rbac.authorization.k8s.io/aggregate-to-view"] != "true" {
		t.Errorf("serin-view is not aggregated to view: %v", view.Labels)
	}
	edit := clusterRole(t, objs, "serin-edit")
	if edit.Labels["rbac.authorization.k8s.io/aggregate-to-edit"] != "true" || edit.Labels["rbac.authorization.k8s.io/aggregate-to-admin"] != "true" {
		t.Errorf("serin-edit is not aggregated to edit and admin: %v", edit.Labels)
	}
	viewRules, editRules := flatten(t, "serin-view", view.Rules), flatten(t, "serin-edit", edit.Rules)
	for _, res := range []string{"rollouts", "analysistemplates", "clusteranalysistemplates", "analysisruns"} {
		if !slices.Equal(viewRules["serin.dev/"+res], []string{"get", "list", "watch"}) {
			t.Errorf("serin-view: %s verbs %v", res, viewRules["serin.dev/"+res])
		}
		for _, v := range []string{"get", "list", "watch", "create", "update", "patch", "delete"} {
			if !slices.Contains(editRules["serin.dev/"+res], v) {
				t.Errorf("serin-edit: %s lacks %s", res, v)
			}
		}
	}
	if !slices.Contains(editRules["serin.dev/rollouts/status"], "patch") {
		t.Errorf("serin-edit cannot patch rollouts/status: promote and abort would be refused")
	}
	for k := range merge(viewRules, editRules) {
		if !strings.HasPrefix(k, "serin.dev/") {
			t.Errorf("user roles grant %s outside serin.dev", k)
		}
	}
}

// TestNamespaceInstall renders manifests/namespace-install and checks that the controller
// is limited to its namespace.
func TestNamespaceInstall(t *testing.T) {
	objs := build(t, "namespace-install")
	want := []string{
		"ClusterRole/serin-controller-clusteranalysistemplates",
		"ClusterRoleBinding/serin-controller-clusteranalysistemplates",
		"Deployment/serin-controller",
		"Role/serin-controller",
		"RoleBinding/serin-controller",
		"Service/serin-controller-metrics",
		"ServiceAccount/serin-controller",
	}
	if got := keys(objs); !slices.Equal(got, want) {
		t.Errorf("kustomize build manifests/namespace-install gives\n  %v\nwant\n  %v", got, want)
	}
	args := checkController(t, objs, "serin-system")
	if !slices.Contains(args, "--namespaced") {
		t.Errorf("args %v lack --namespaced", args)
	}
	checkBindings(t, objs, "serin-system")

	var role rbacv1.Role
	objs["Role/serin-controller"].decode(t, &role)
	equalRules(t, "Role/serin-controller", flatten(t, "Role", role.Rules),
		merge(without(controllerRules, "serin.dev/clusteranalysistemplates"), leaseRules))

	cat := clusterRole(t, objs, "serin-controller-clusteranalysistemplates")
	equalRules(t, "ClusterRole/serin-controller-clusteranalysistemplates", flatten(t, "ClusterRole", cat.Rules),
		map[string][]string{"serin.dev/clusteranalysistemplates": {"get", "list", "watch"}})
}
