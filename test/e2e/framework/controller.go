package framework

import (
	"errors"
	"path/filepath"

	"github.com/serin-dev/serin/test/cluster"
)

// Controller is bin/serin-controller running against the package's cluster as its real
// binary, out of process, the way a user runs it (test/cluster starts and stops it).
type Controller = cluster.Controller

// ControllerBinary is where `make build` puts the controller.
func (f *Framework) ControllerBinary() string { return f.Path("bin", "serin-controller") }

// StartController starts bin/serin-controller with --kubeconfig for the cluster and args,
// logging to Artifacts/controller.log, and records it as f.Controller so that failure
// dumps include its log and tear-down stops it. Tests (or Main via WithController) call
// it once per package, after the CRDs are installed; it fails when the binary has not
// been built (`make build`) or exits within its first second.
func (f *Framework) StartController(args ...string) (*Controller, error) {
	if f.Controller != nil {
		return nil, errors.New("controller already started")
	}
	c, err := f.Cluster.StartController(f.ControllerBinary(), filepath.Join(f.Artifacts, "controller.log"), args...)
	if err != nil {
		return nil, err
	}
	f.Controller = c
	return c, nil
}

// StartReplica starts one more bin/serin-controller, as StartController does, logging to
// Artifacts/controller-<name>.log; tear-down stops it. Tests running several replicas
// (leader election) call it once per replica; the replica is not f.Controller.
func (f *Framework) StartReplica(name string, args ...string) (*Controller, error) {
	c, err := f.Cluster.StartController(f.ControllerBinary(), filepath.Join(f.Artifacts, "controller-"+name+".log"), args...)
	if err != nil {
		return nil, err
	}
	f.replicasMu.Lock()
	f.replicas = append(f.replicas, c)
	f.replicasMu.Unlock()
	return c, nil
}
