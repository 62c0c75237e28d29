package main

import (
	"context"
	"errors"
	"time"

	"github.com/sirupsen/logrus"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/leaderelection"
	"k8s.io/client-go/tools/leaderelection/resourcelock"

	"github.com/serin-dev/serin/pkg/controller"
)

// runElected runs reconcile while holding the Lease. On SIGTERM the workers finish
// their syncs first, then the Lease is released (ReleaseOnCancel) so another replica
// takes over at once; a lost Lease, or a write the fence refused, stops the workers and
// fails the process. kube is the unfenced client the Lease is renewed with; every
// successful renewal opens fence for another renew deadline.
func runElected(ctx context.Context, o options, log *logrus.Logger, kube kubernetes.Interface, fence *controller.Fence,
	watchdog *leaderelection.HealthzAdaptor, reconcile func(context.Context) error) error {
	id := o.identity
	lock, err := resourcelock.New(resourcelock.LeasesResourceLock, o.leaderElectNS, component,
		kube.CoreV1(), kube.CoordinationV1(), resourcelock.ResourceLockConfig{Identity: id})
	if err != nil {
		return err
	}
	lock = controller.FenceLock(lock, fence)
	workCtx, stopWork := context.WithCancel(ctx)
	defer stopWork()
	started, drained := make(chan struct{}), make(chan struct{})
	var runErr error
	le, err := leaderelection.NewLeaderElector(leaderelection.LeaderElectionConfig{
		Lock:            lock,
		LeaseDuration:   o.leaseDuration,
		RenewDeadline:   o.renewDeadline,
		RetryPeriod:     o.retryPeriod,
		ReleaseOnCancel: true,
		Name:            component,
		WatchDog:        watchdog,
		Callbacks: leaderelection.LeaderCallbacks{
			OnStartedLeading: func(leading context.Context) {
				close(started)
				defer close(drained)
				log.WithField("identity", id).Info("leading")
				runCtx, cancel := context.WithCancel(workCtx)
				defer cancel()
				stopOnLoss := context.AfterFunc(leading, cancel)
				defer stopOnLoss()
				runErr = reconcile(runCtx)
			},
			OnStoppedLeading: func() {
				log.WithField("identity", id).Info("not leading")
				stopWork()
			},
			OnNewLeader: func(leader string) {
				if leader != id {
					log.WithField("leader", leader).Info("another replica leads")
				}
			},
		},
	})
	if err != nil {
		return err
	}
	electCtx, stopElection := context.WithCancel(context.Background())
	defer stopElection()
	elected := make(chan struct{})
	go func() {
		defer close(elected)
		le.Run(electCtx)
	}()

	waitDrained := func() {
		select {
		case <-started:
		default:
			return
		}
		select {
		case <-drained:
		case <-time.After(drainTimeout):
			log.Warn("workers did not finish in time; releasing the Lease anyway")
		}
	}
	select {
	case <-ctx.Done():
		log.Info("shutting down")
		stopWork()
		waitDrained()
		stopElection()
		<-elected
		return runErr
	case <-fence.Refused():
		// The fence logged why. Give the Lease back too, should it still be ours.
		stopWork()
		waitDrained()
		stopElection()
		<-elected
		return errors.Join(errors.New("the write fence refused a write: the Lease may be lost"), runErr)
	case <-elected:
		stopWork()
		waitDrained()
		if ctx.Err() != nil {
			return runErr
		}
		return errors.Join(errors.New("lost the leader-election Lease"), runErr)
	}
}
