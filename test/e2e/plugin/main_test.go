//go:build e2e

// Package plugin tests `kubectl serin` end to end: the real kubectl finds the real
// bin/kubectl-serin on PATH and runs it against the local control plane, where the real
// serin-controller acts on what it writes.
package plugin

import (
	"testing"

	"github.com/serin-dev/serin/test/e2e/framework"
)

func TestMain(m *testing.M) {
	framework.Main(m, framework.WithController("--leader-elect=false"))
}
