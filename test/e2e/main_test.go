//go:build e2e

// Package e2e holds Serin's end-to-end tests. They run against a real local control plane
// (make e2e, or hack/e2e.sh) and are compiled only with the e2e build tag.
package e2e

import (
	"testing"

	"github.com/serin-dev/serin/test/e2e/framework"
)

// TestMain starts one cluster for the package, serving the Gateway API's HTTPRoutes so
// that every example (examples/canary-gateway-api too) applies.
func TestMain(m *testing.M) { framework.Main(m, framework.WithGatewayAPI()) }
