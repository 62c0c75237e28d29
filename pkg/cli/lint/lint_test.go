package lint

import (
	"bufio"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const corpus = "../../../test/testdata"

func want(t *testing.T, path string) string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if w, ok := strings.CutPrefix(sc.Text(), "# want: "); ok {
			return w
		}
	}
	t.Fatalf("%s has no # want: line", path)
	return ""
}

func TestInvalidCorpus(t *testing.T) {
	dir := filepath.Join(corpus, "invalid")
	r, err := Paths([]string{dir}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Files) < 30 {
		t.Fatalf("read %d files, want the whole corpus", len(r.Files))
	}
	for _, f := range r.Files {
		w := want(t, f)
		found := false
		for _, p := range r.Problems {
			if p.File == f && strings.Contains(p.Message, w) && p.Document > 0 {
				found = true
			}
		}
		if !found {
			t.Errorf("%s: no problem with %q", f, w)
		}
	}
}

func TestValidCorpus(t *testing.T) {
	r, err := Paths([]string{filepath.Join(corpus, "valid")}, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range r.Problems {
		t.Errorf("unexpected: %s", p)
	}
}

func TestStdin(t *testing.T) {
	r, err := Paths([]string{"-"}, strings.NewReader("apiVersion: serin.dev/v1alpha1\nkind: Rollout\nmetadata: {name: web}\nspec: {replicas: -1}\n"))
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Problems) == 0 || r.Problems[0].File != "-" || r.Problems[0].Name != "web" {
		t.Fatalf("want problems for stdin's Rollout web, got %+v", r.Problems)
	}
}
