//go:build e2e

// Package reliability runs several controller replicas with leader election against the
// local control plane and breaks the leader (frozen, killed, terminated) while canaries
// move through their steps; the invariant monitor (test/monitor) and the API server's
// audit log check that nothing unsafe happened and that no replica wrote out of turn,
// and the tests report how long each failover took.
//
// Sizes and seed: SERIN_RELIABILITY_SEED (random when unset; always printed),
// SERIN_RELIABILITY_FREEZES (12), SERIN_RELIABILITY_KILLS (10),
// SERIN_RELIABILITY_ROLLOUTS (4), SERIN_RELIABILITY_BACK_PERCENT (0: image changes that go
// back to the previous version; see fleet.drive for the open race they expose).
package reliability

import (
	"testing"

	"github.com/serin-dev/serin/test/e2e/framework"
)

// No controller from Main: each test starts its own replicas, watching its namespace.
func TestMain(m *testing.M) { framework.Main(m, framework.WithAudit()) }
