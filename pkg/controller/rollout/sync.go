package rollout

import (
	"context"
	"errors"
	"fmt"

	"github.com/sirupsen/logrus"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/client-go/tools/cache"

	"github.com/serin-dev/serin/pkg/logging"
	"github.com/serin-dev/serin/pkg/plan"
)

// sync is one reconcile of the Rollout key: gather from the caches, plan, apply the
// actions in order, write the status if it changed, record the events, and ask for a
// later sync when the plan waits for a time rather than for a change. Every decision is
// the plan's, a deleted Rollout's included; sync only carries them out.
func (c *Controller) sync(ctx context.Context, key cache.ObjectName) error {
	cached, err := c.rollouts.Rollouts(key.Namespace).Get(key.Name)
	if apierrors.IsNotFound(err) {
		c.expect.forget(key)
		c.lastWriteMu.Lock()
		delete(c.lastWrite, key)
		c.lastWriteMu.Unlock()
		c.pauses.forget(key)
		c.metrics.DeleteRollout(key.Namespace, key.Name)
		return nil
	}
	if err != nil {
		return err
	}
	ro := cached.DeepCopy()
	// The runner's logger carries the rollout and namespace; routers log with it too.
	log := logging.From(ctx).WithFields(logrus.Fields{"rollout": ro.Name, "namespace": ro.Namespace, "generation": ro.Generation})
	ctx = logging.Into(ctx, log)

	// Planning from caches that do not show this controller's last writes yet would
	// redo or undo them: wait for the watch events (which enqueue the rollout again).
	if wait := c.expect.pending(key, c.cachedVersion(key.Namespace), c.clock.Now()); wait > 0 {
		log.WithField("wait", wait).Debug("caches behind the last writes; waiting for them")
		c.queue.AddAfter(key, wait)
		return nil
	}

	in, router, err := c.gather(ro)
	if err != nil {
		return fmt.Errorf("gather: %w", err)
	}
	p := plan.Next(in)
	log.WithFields(logrus.Fields{"actions": len(p.Actions), "events": len(p.Events), "requeueAfter": p.RequeueAfter}).Debug("planned")
	for _, a := range p.Actions {
		log.WithField("kind", a.Kind()).Debug("action: ", a.Describe())
	}

	if err := c.applyActions(ctx, ro, p.Actions, router); err != nil {
		var ae *actionError
		if errors.As(err, &ae) && ae.action.OnFailure != nil {
			e := ae.action.OnFailure.Because(ae.err)
			c.recorder.Event(ro, e.Type, e.Reason, e.Message)
		}
		return err
	}
	if wait := c.coalesce(key, &ro.Status, &p.Status, len(p.Events) > 0); wait > 0 {
		// Only counts moved (pods coming up): fold them into the next write. A sync the
		// plan asked for sooner (a fail-fast threshold, a pause's end) still comes then.
		c.queue.AddAfter(key, wait)
		if p.RequeueAfter > 0 {
			c.queue.AddAfter(key, p.RequeueAfter)
		}
		return nil
	}
	wrote, err := c.writeStatus(ctx, ro, p.Status)
	if err != nil {
		return err
	}
	if wrote {
		c.written(key)
		c.pauses.written(key, cached.Status.PauseConditions, p.Status.PauseConditions, c.clock.Now())
	}
	// Events only once the status that goes with them is stored: a sync that conflicts
	// is planned again, and would record them twice.
	c.recordEvents(ro, p.Events)
	if wrote {
		log.WithField("changed", changedFields(&cached.Status, &p.Status)).Debug("status written")
		logTransition(ctx, &cached.Status, &p.Status)
	}
	ro.Status = p.Status
	c.metrics.SetRollout(ro)
	if p.RequeueAfter > 0 {
		c.queue.AddAfter(key, p.RequeueAfter)
	}
	return nil
}
