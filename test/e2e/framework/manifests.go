package framework

import (
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

// ManifestFiles lists the YAML files (*.yaml, *.yml) directly in dir, a path relative to
// the repository root such as "examples" or "test/testdata/invalid", sorted. Use it to
// make one subtest per file:
//
//	for _, path := range framework.ManifestFiles(t, "examples") {
//		t.Run(filepath.Base(path), func(t *testing.T) {
//			t.Parallel()
//			framework.NewEnv(t).MustPassServerDryRun(path)
//		})
//	}
//
// It skips the test when dir holds no YAML yet.
func ManifestFiles(t *testing.T, dir string) []string {
	t.Helper()
	abs := Current().Path(filepath.FromSlash(dir))
	entries, err := os.ReadDir(abs)
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	var files []string
	for _, e := range entries {
		if ext := filepath.Ext(e.Name()); !e.IsDir() && (ext == ".yaml" || ext == ".yml") {
			files = append(files, filepath.Join(abs, e.Name()))
		}
	}
	sort.Strings(files)
	if len(files) == 0 {
		t.Skipf("no YAML files in %s yet", dir)
	}
	return files
}

// ServerDryRun sends a file to the real API server with `kubectl apply --dry-run=server`
// in the test's namespace: admission, OpenAPI schema and CEL validation all run, nothing
// is stored. It returns kubectl's output; the error carries the server's message.
func (e *Env) ServerDryRun(path string) (string, error) {
	return e.KubectlResult("apply", "--dry-run=server", "-f", path)
}

// MustPassServerDryRun fails the test unless the API server accepts every object in path.
func (e *Env) MustPassServerDryRun(path string) {
	e.T.Helper()
	if out, err := e.ServerDryRun(path); err != nil {
		e.T.Fatalf("the API server refused %s:\n%v\n%s", path, err, out)
	}
}

// MustBeRefused fails the test unless the API server refuses path (server dry run), and
// returns the server's message so the test can check it names the right field.
func (e *Env) MustBeRefused(path string) string {
	e.T.Helper()
	out, err := e.ServerDryRun(path)
	if err == nil {
		e.T.Fatalf("the API server accepted %s, which should be invalid:\n%s", path, out)
	}
	msg := err.Error()
	e.T.Logf("refused as expected: %s", strings.TrimSpace(msg))
	return msg
}
