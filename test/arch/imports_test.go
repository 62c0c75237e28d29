// Package arch checks that the code keeps the shape docs/design.md draws: each package
// imports only the project packages its rule there allows.
package arch

import (
	"bufio"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"testing"
)

const module = "github.com/serin-dev/serin"

// rule is one line of the imports block: packages matching pkg may import the project
// packages matching one of allowed. A pattern ending in "/..." matches the folder and
// everything below it.
type rule struct {
	pkg     string
	allowed []string
}

func matches(pattern, pkg string) bool {
	if base, ok := strings.CutSuffix(pattern, "/..."); ok {
		return pkg == base || strings.HasPrefix(pkg, base+"/")
	}
	return pkg == pattern
}

// specificity orders the rules that match one package: the package itself beats a folder
// holding it, and a deeper folder a shallower one.
func specificity(pattern string) int {
	if base, ok := strings.CutSuffix(pattern, "/..."); ok {
		return 2 * strings.Count(base, "/")
	}
	return 2*strings.Count(pattern, "/") + 1
}

func repoRoot(t *testing.T) string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..")
}

// readRules reads the fenced ```imports block of docs/design.md.
func readRules(t *testing.T, root string) []rule {
	t.Helper()
	f, err := os.Open(filepath.Join(root, "docs", "design.md"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var rules []rule
	in := false
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		switch {
		case line == "```imports":
			in = true
		case in && line == "```":
			in = false
		case in && line != "" && !strings.HasPrefix(line, "#"):
			pkg, allowed, ok := strings.Cut(line, ":")
			if !ok {
				t.Fatalf("docs/design.md imports block: %q has no ':'", line)
			}
			rules = append(rules, rule{pkg: strings.TrimSpace(pkg), allowed: strings.Fields(allowed)})
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if len(rules) == 0 {
		t.Fatal("docs/design.md has no ```imports block")
	}
	return rules
}

// TestImportsFollowTheDesign lists every package of the module (tests excluded: they may
// use what they test with) and fails for each import of a project package its rule does
// not allow, and for each package no rule covers.
func TestImportsFollowTheDesign(t *testing.T) {
	root := repoRoot(t)
	rules := readRules(t, root)
	cmd := exec.Command("go", "list", "-f", "{{.ImportPath}}{{range .Imports}} {{.}}{{end}}", "./...")
	cmd.Dir = root
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	checked := 0
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		fields := strings.Fields(line)
		pkg := strings.TrimPrefix(fields[0], module+"/")
		if fields[0] == module {
			pkg = "."
		}
		var r *rule
		for i := range rules {
			if matches(rules[i].pkg, pkg) && (r == nil || specificity(rules[i].pkg) > specificity(r.pkg)) {
				r = &rules[i]
			}
		}
		if r == nil {
			t.Errorf("%s: no rule in docs/design.md's imports block covers it", pkg)
			continue
		}
		var bad []string
		for _, imp := range fields[1:] {
			dep, ok := strings.CutPrefix(imp, module+"/")
			if !ok {
				continue // not ours
			}
			allowed := false
			for _, a := range r.allowed {
				allowed = allowed || matches(a, dep)
			}
			if !allowed {
				bad = append(bad, dep)
			}
			checked++
		}
		if len(bad) > 0 {
			sort.Strings(bad)
			t.Errorf("%s imports %s, which its rule %q does not allow (docs/design.md)", pkg, strings.Join(bad, ", "), r.pkg)
		}
	}
	if checked == 0 {
		t.Fatal("no project import checked: is go list listing the module?")
	}
}

// The matcher itself: exact packages, folders, and the most specific rule winning.
func TestRuleMatching(t *testing.T) {
	tests := map[string]struct {
		pattern, pkg string
		want         bool
	}{
		"exact":                   {"pkg/plan", "pkg/plan", true},
		"exact is not a prefix":   {"pkg/plan", "pkg/planner", false},
		"exact is not the folder": {"pkg/plan", "pkg/plan/x", false},
		"folder matches itself":   {"pkg/analysis/...", "pkg/analysis", true},
		"folder matches below":    {"pkg/analysis/...", "pkg/analysis/web", true},
		"folder is not a prefix":  {"pkg/analysis/...", "pkg/analysisrun", false},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			if got := matches(tc.pattern, tc.pkg); got != tc.want {
				t.Errorf("matches(%q, %q) = %t, want %t", tc.pattern, tc.pkg, got, tc.want)
			}
		})
	}
	if specificity("pkg/analysis/web") <= specificity("pkg/analysis/...") {
		t.Error("an exact package must beat its folder")
	}
	if specificity("pkg/analysis/web/...") <= specificity("pkg/analysis/...") {
		t.Error("a deeper folder must beat a shallower one")
	}
}
