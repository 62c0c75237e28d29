//go:build e2e

package plugin

import (
	"bufio"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/serin-dev/serin/test/e2e/framework"
)

// lint through kubectl: every file of the malformed corpus exits 1 with the message of
// its "# want:" header, pointing at the file and document; the valid corpus exits 0.
func TestLintCorpus(t *testing.T) {
	t.Parallel()
	e := framework.NewEnv(t)
	files, err := filepath.Glob(e.F.Path("test", "testdata", "invalid", "*.yaml"))
	if err != nil || len(files) < 30 {
		t.Fatalf("the malformed corpus: %d files, %v", len(files), err)
	}
	for _, f := range files {
		want := header(t, f)
		out, _, code := serin(e, "lint", "-f", f)
		if code != 1 || !strings.Contains(out, want) || !strings.Contains(out, f+": document ") {
			t.Errorf("lint %s: exit %d, output %q; want exit 1 and %q", filepath.Base(f), code, out, want)
		}
	}
	out, _, code := serin(e, "lint", "-f", e.F.Path("test", "testdata", "valid"))
	if code != 0 || !strings.Contains(out, "no problem") {
		t.Errorf("lint of the valid corpus: exit %d, output %q", code, out)
	}
}

func header(t *testing.T, path string) string {
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
	t.Fatalf("%s has no # want: header", path)
	return ""
}
