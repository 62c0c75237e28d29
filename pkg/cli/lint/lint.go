// Package lint checks manifest files offline with pkg/validation — the rules and
// messages of the CRD schema and of the controller — and reports each problem with its
// file, document, kind, name and field, for `kubectl serin lint`.
package lint

import (
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/serin-dev/serin/pkg/validation"
)

// Problem is one thing wrong with one document.
type Problem struct {
	File     string `json:"file"`
	Document int    `json:"document"`
	Kind     string `json:"kind,omitempty"`
	Name     string `json:"name,omitempty"`
	// Message names the field and what is wrong with it.
	Message string `json:"message"`
}

func (p Problem) String() string {
	return fmt.Sprintf("%s: document %d (%s %q): %s", p.File, p.Document, p.Kind, p.Name, p.Message)
}

// Report is the result of a lint run.
type Report struct {
	// Files are the files read, in order.
	Files    []string  `json:"files"`
	Problems []Problem `json:"problems"`
}

// Paths lints files and directories (their .yaml, .yml and .json files, recursively);
// "-" reads stdin.
func Paths(paths []string, stdin io.Reader) (Report, error) {
	r := Report{Problems: []Problem{}}
	for _, p := range paths {
		files, err := expand(p)
		if err != nil {
			return r, err
		}
		for _, f := range files {
			var data []byte
			if f == "-" {
				data, err = io.ReadAll(stdin)
			} else {
				data, err = os.ReadFile(f)
			}
			if err != nil {
				return r, fmt.Errorf("read %s: %w", f, err)
			}
			r.Files = append(r.Files, f)
			r.Problems = append(r.Problems, Data(f, data)...)
		}
	}
	return r, nil
}

// Data lints one file's content.
func Data(file string, data []byte) []Problem {
	findings, err := validation.Manifest(data)
	var out []Problem
	for _, f := range findings {
		for _, msg := range f.Problems {
			out = append(out, Problem{File: file, Document: f.Document, Kind: f.Kind, Name: f.Name, Message: msg})
		}
	}
	if err != nil {
		out = append(out, Problem{File: file, Document: len(findings) + 1, Message: err.Error()})
	}
	return out
}

func expand(path string) ([]string, error) {
	if path == "-" {
		return []string{"-"}, nil
	}
	info, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("lint %s: %w", path, err)
	}
	if !info.IsDir() {
		return []string{path}, nil
	}
	var files []string
	err = filepath.WalkDir(path, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		ext := strings.ToLower(filepath.Ext(p))
		if !d.IsDir() && (ext == ".yaml" || ext == ".yml" || ext == ".json") {
			files = append(files, p)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("lint %s: %w", path, err)
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("lint %s: no .yaml, .yml or .json file in it", path)
	}
	sort.Strings(files)
	return files, nil
}
