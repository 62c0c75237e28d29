package registry

import (
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

const module = "github.com/serin-dev/serin/"

// implementations are the metric provider packages that only the registry may import.
var implementations = []string{"pkg/analysis/prometheus", "pkg/analysis/web", "pkg/analysis/job"}

// TestOnlyTheRegistryImportsProviders: outside this package, code reaches a metric
// provider through the registry (to build it) or pkg/analysis/provider (its spec), never
// by importing its implementation. Tests may import one to check what it does.
func TestOnlyTheRegistryImportsProviders(t *testing.T) {
	root, err := filepath.Abs("../../..")
	if err != nil {
		t.Fatal(err)
	}
	allowed := map[string]bool{"pkg/analysis/registry": true}
	for _, impl := range implementations {
		allowed[impl] = true
	}
	fset := token.NewFileSet()
	checked := 0
	err = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			switch d.Name() {
			case ".git", "node_modules", "ui", "bin", "vendor", "testdata":
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		rel, _ := filepath.Rel(root, filepath.Dir(path))
		rel = filepath.ToSlash(rel)
		f, err := parser.ParseFile(fset, path, nil, parser.ImportsOnly)
		if err != nil {
			return err
		}
		checked++
		for _, imp := range f.Imports {
			p, _ := strconv.Unquote(imp.Path.Value)
			for _, impl := range implementations {
				if p == module+impl && !allowed[rel] {
					t.Errorf("%s imports %s: build providers with pkg/analysis/registry, read their specs in pkg/analysis/provider", rel, impl)
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if checked < 50 {
		t.Fatalf("only %d Go files found under %s: the walk is broken", checked, root)
	}
}
