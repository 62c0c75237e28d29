package cluster

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// modulePath is the product module; RepoRoot looks for its go.mod.
const modulePath = "github.com/serin-dev/serin"

// RepoRoot returns the directory of Serin's go.mod, searching upwards from the working
// directory (tests run in their package directory, `go run` in the caller's).
func RepoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		data, err := os.ReadFile(filepath.Join(dir, "go.mod"))
		if err == nil && firstLine(string(data)) == "module "+modulePath {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("no go.mod for %s above the working directory", modulePath)
		}
		dir = parent
	}
}

func firstLine(s string) string {
	for _, line := range strings.Split(s, "\n") {
		line = strings.TrimSpace(line)
		if line != "" && !strings.HasPrefix(line, "//") {
			return line
		}
	}
	return ""
}

// KubeVersion is the pinned Kubernetes release (hack/kube/VERSION).
func KubeVersion(root string) (string, error) {
	data, err := os.ReadFile(filepath.Join(root, "hack", "kube", "VERSION"))
	if err != nil {
		return "", err
	}
	return strings.TrimSpace(string(data)), nil
}

// Binaries are the executables hack/kube-bin.sh builds into one directory.
var Binaries = []string{
	"etcd", "kube-apiserver", "kube-controller-manager", "kube-scheduler",
	"kubectl", "kwok", "kwokctl",
}

// BinDir returns the directory holding the control plane binaries: $SERIN_KUBE_BIN when
// set, else .cache/kube/<version>/bin under root. It fails, naming what is missing and
// the command that builds it, unless every binary is there.
func BinDir(root string) (string, error) {
	dir := os.Getenv("SERIN_KUBE_BIN")
	if dir == "" {
		version, err := KubeVersion(root)
		if err != nil {
			return "", err
		}
		dir = filepath.Join(root, ".cache", "kube", version, "bin")
	}
	var missing []string
	for _, b := range Binaries {
		if _, err := os.Stat(filepath.Join(dir, b)); errors.Is(err, os.ErrNotExist) {
			missing = append(missing, b)
		}
	}
	if len(missing) > 0 {
		return "", fmt.Errorf("%s lacks %s: run `make kube-bin` first", dir, strings.Join(missing, ", "))
	}
	return dir, nil
}
