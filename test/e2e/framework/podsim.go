package framework

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/serin-dev/serin/test/podsim"
)

// PodSimLinger is how long the simulator keeps serving a deleted pod (podsim.Options.Linger),
// as a real pod answers during its grace period while routers drop its endpoint.
const PodSimLinger = 2 * time.Second

// PodSim is the pod simulator (package test/podsim) run in the test binary: every Running
// pod of the cluster answers HTTP at its IP, saying which pod and revision served.
type PodSim struct {
	*podsim.Reconciler
	LogPath string // one line per pod served or closed, under Artifacts
	cancel  context.CancelFunc
	done    chan struct{}
	err     error // Run's result, valid once done is closed
	log     *os.File
	logMu   sync.Mutex
}

// WithPodSimulator starts the pod simulator (see StartPodSimulator) once the cluster is up.
func WithPodSimulator() Option { return func(o *options) { o.podSim = true } }

// StartPodSimulator serves every Running pod of every namespace at its IP until tear-down
// (f.PodSim). The pod addresses must be local (PodAddressesLocal, hack/e2e.sh).
func (f *Framework) StartPodSimulator(ctx context.Context) (*PodSim, error) {
	if f.PodSim != nil {
		return nil, errors.New("pod simulator already started")
	}
	if err := PodAddressesLocal(); err != nil {
		return nil, err
	}
	logFile, err := os.Create(filepath.Join(f.Artifacts, "podsim.log"))
	if err != nil {
		return nil, err
	}
	p := &PodSim{LogPath: logFile.Name(), done: make(chan struct{}), log: logFile}
	p.Reconciler = podsim.NewReconciler(podsim.Options{Linger: PodSimLinger, Logf: p.logf})
	runCtx, cancel := context.WithCancel(ctx)
	p.cancel = cancel
	go func() {
		p.err = podsim.Run(runCtx, f.Kube, "", p.Reconciler)
		close(p.done)
	}()
	f.PodSim = p
	return p, nil
}

func (p *PodSim) logf(format string, args ...any) {
	p.logMu.Lock()
	defer p.logMu.Unlock()
	fmt.Fprintf(p.log, time.Now().Format("15:04:05.000 ")+format+"\n", args...)
}

// Stop closes every listener and waits for the simulator to end.
func (p *PodSim) Stop() {
	p.cancel()
	<-p.done
	if p.err != nil {
		p.logf("podsim: %v", p.err)
	}
	p.logMu.Lock()
	defer p.logMu.Unlock()
	_ = p.log.Close()
}
