package validation_test

import (
	"bufio"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/serin-dev/serin/pkg/validation"
)

const corpus = "../../test/testdata"

// TestValidCorpus: every manifest under test/testdata/valid passes strict decoding and
// validation.
func TestValidCorpus(t *testing.T) {
	files := corpusFiles(t, "valid")
	for _, path := range files {
		t.Run(filepath.Base(path), func(t *testing.T) {
			data, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			findings, err := validation.Manifest(data)
			if err != nil {
				t.Fatal(err)
			}
			for _, f := range findings {
				t.Errorf("unexpected problem: %s", f)
			}
		})
	}
}

// TestInvalidCorpus: every manifest under test/testdata/invalid is flagged, with a message
// containing the file's "# want:" line.
func TestInvalidCorpus(t *testing.T) {
	files := corpusFiles(t, "invalid")
	if len(files) < 30 {
		t.Fatalf("the malformed corpus has %d files, want at least 30", len(files))
	}
	for _, path := range files {
		t.Run(filepath.Base(path), func(t *testing.T) {
			data, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			want := Header(t, path, "want")
			findings, err := validation.Manifest(data)
			if err != nil {
				t.Fatal(err)
			}
			if len(findings) == 0 {
				t.Fatalf("no problem found; want one containing %q", want)
			}
			var all []string
			for _, f := range findings {
				all = append(all, f.Problems...)
			}
			if !strings.Contains(strings.Join(all, "\n"), want) {
				t.Errorf("problems do not mention %q:\n%s", want, strings.Join(all, "\n"))
			}
		})
	}
}

func corpusFiles(t *testing.T, dir string) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(corpus, dir, "*.yaml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no corpus files in %s (%v)", dir, err)
	}
	return files
}

// Header returns the value of a "# key: value" line at the top of a corpus file.
func Header(t *testing.T, path, key string) string {
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
