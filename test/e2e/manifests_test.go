//go:build e2e

package e2e

import (
	"bufio"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/serin-dev/serin/pkg/validation"
	"github.com/serin-dev/serin/test/e2e/framework"
)

// TestMalformedManifestsAreRefused sends every file of the malformed corpus to the real
// kube-apiserver (server dry run with kubectl's strict field validation). A file whose
// "# server:" header quotes a message must be refused with that message; a file marked
// "go-only" holds a rule no schema can express: the apiserver accepts it, and Serin's Go
// validation (the controller's InvalidSpec, `kubectl serin lint`) must flag it.
func TestMalformedManifestsAreRefused(t *testing.T) {
	for _, path := range framework.ManifestFiles(t, "test/testdata/invalid") {
		t.Run(strings.TrimSuffix(filepath.Base(path), ".yaml"), func(t *testing.T) {
			t.Parallel()
			e := framework.NewEnv(t)
			server := header(t, path, "server")
			if server == "go-only" {
				e.MustPassServerDryRun(path)
				data, err := os.ReadFile(path)
				if err != nil {
					t.Fatal(err)
				}
				findings, err := validation.Manifest(data)
				if err != nil || len(findings) == 0 {
					t.Fatalf("the apiserver accepts %s and Go validation does not flag it (%v)", path, err)
				}
				return
			}
			if msg := e.MustBeRefused(path); !strings.Contains(msg, server) {
				t.Errorf("refused, but the message does not contain %q:\n%s", server, msg)
			}
		})
	}
}

// TestValidManifestsAreAccepted: the valid corpus passes the real apiserver's schema and
// CEL rules.
func TestValidManifestsAreAccepted(t *testing.T) {
	for _, path := range framework.ManifestFiles(t, "test/testdata/valid") {
		t.Run(strings.TrimSuffix(filepath.Base(path), ".yaml"), func(t *testing.T) {
			t.Parallel()
			framework.NewEnv(t).MustPassServerDryRun(path)
		})
	}
}

// TestExamplesApply: every directory of examples/ applies with --dry-run=server.
func TestExamplesApply(t *testing.T) {
	dirs, err := filepath.Glob(framework.Current().Path("examples", "*"))
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, dir := range dirs {
		if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
			continue
		}
		n++
		t.Run(filepath.Base(dir), func(t *testing.T) {
			t.Parallel()
			framework.NewEnv(t).MustPassServerDryRun(dir)
		})
	}
	if n == 0 {
		t.Fatal("no example directories found")
	}
}

// header returns the value of a "# key: value" line at the top of a corpus file.
func header(t *testing.T, path, key string) string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	for s.Scan() && strings.HasPrefix(s.Text(), "#") {
		if v, ok := strings.CutPrefix(s.Text(), "# "+key+": "); ok {
			return v
		}
	}
	t.Fatalf("%s has no '# %s:' header", path, key)
	return ""
}

// TestInstallManifestsApply: `kubectl apply -k manifests/` and the namespaced variant pass
// a server dry run (RBAC, Deployment, Service, CRDs). The namespace is created for real
// first: a dry run does not keep it for the objects that live in it.
func TestInstallManifestsApply(t *testing.T) {
	e := framework.NewEnv(t)
	if _, err := e.KubectlResult("create", "namespace", "serin-system"); err != nil && !strings.Contains(err.Error(), "AlreadyExists") {
		t.Fatal(err)
	}
	for _, dir := range []string{"manifests", "manifests/namespace-install"} {
		out, err := e.KubectlResult("apply", "--dry-run=server", "--namespace", "serin-system", "-k", framework.Current().Path(dir))
		if err != nil {
			t.Errorf("kubectl apply -k %s --dry-run=server: %v\n%s", dir, err, out)
			continue
		}
		t.Logf("%s:\n%s", dir, out)
	}
}
