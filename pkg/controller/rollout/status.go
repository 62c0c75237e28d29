package rollout

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"time"

	"github.com/sirupsen/logrus"
	"k8s.io/apimachinery/pkg/api/equality"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/cache"

	"github.com/serin-dev/serin/pkg/apis/rollouts/v1alpha1"
	"github.com/serin-dev/serin/pkg/logging"
	"github.com/serin-dev/serin/pkg/plan"
)

// writeStatus writes status when it differs from ro's, through the status subresource
// and with ro's resourceVersion: a Rollout changed since it was cached gets a Conflict,
// never a blind overwrite. It reports whether it wrote.
func (c *Controller) writeStatus(ctx context.Context, ro *v1alpha1.Rollout, status v1alpha1.RolloutStatus) (bool, error) {
	if equality.Semantic.DeepEqual(ro.Status, status) {
		return false, nil
	}
	next := ro.DeepCopy()
	next.Status = status
	out, err := c.serin.SerinV1alpha1().Rollouts(ro.Namespace).UpdateStatus(ctx, next, metav1.UpdateOptions{})
	if err != nil {
		return false, fmt.Errorf("write status: %w", err)
	}
	c.expect.wrote(keyOf(ro), objectRef{kindRollout, ro.Name}, ro.ResourceVersion, out.ResourceVersion, c.clock.Now())
	return true, nil
}

// recordEvents records the plan's events on the Rollout.
func (c *Controller) recordEvents(ro *v1alpha1.Rollout, events []plan.Event) {
	for _, e := range events {
		c.recorder.Event(ro, e.Type, e.Reason, e.Message)
	}
}

// logTransition logs, at info, a change of phase or step; everything else at debug.
func logTransition(ctx context.Context, old, cur *v1alpha1.RolloutStatus) {
	log := logging.From(ctx)
	oldStep, curStep := stepOf(old), stepOf(cur)
	if old.Phase == cur.Phase && oldStep == curStep && old.StableRS == cur.StableRS {
		return
	}
	log.WithFields(logrus.Fields{
		"phase":    cur.Phase,
		"step":     curStep,
		"stableRS": cur.StableRS,
		"message":  cur.Message,
	}).Infof("%s → %s, step %s → %s", orNone(string(old.Phase)), cur.Phase, oldStep, curStep)
}

func stepOf(s *v1alpha1.RolloutStatus) string {
	if s.CurrentStepIndex == nil {
		return "-"
	}
	return fmt.Sprint(*s.CurrentStepIndex)
}

func orNone(s string) string {
	if s == "" {
		return "(none)"
	}
	return s
}

// statusCoalesce is how long after a status write a change of counts alone (pods coming up
// or going away, the Progressing condition's time) waits to be written: a transition in
// that time writes them anyway, so a step costs one status write, not one per pod.
const statusCoalesce = 2 * time.Second

// coalesce returns how long to hold back writing cur over old: 0 to write now (or when
// nothing changed), else the time left until statusCoalesce has passed since the last
// write. A change of anything but the counts, or a plan with events, is never held back.
func (c *Controller) coalesce(key cache.ObjectName, old, cur *v1alpha1.RolloutStatus, events bool) time.Duration {
	if events || !countsOnly(old, cur) {
		return 0
	}
	c.lastWriteMu.Lock()
	last, ok := c.lastWrite[key]
	c.lastWriteMu.Unlock()
	if !ok {
		return 0
	}
	if wait := statusCoalesce - c.clock.Since(last); wait > 0 {
		return wait
	}
	return 0
}

// written records the time of a status write of key.
func (c *Controller) written(key cache.ObjectName) {
	c.lastWriteMu.Lock()
	defer c.lastWriteMu.Unlock()
	c.lastWrite[key] = c.clock.Now()
}

// countsOnly reports whether old and cur differ (if at all) only in replica counts and in
// the times and message of the Progressing condition.
func countsOnly(old, cur *v1alpha1.RolloutStatus) bool {
	a, b := old.DeepCopy(), cur.DeepCopy()
	for _, s := range []*v1alpha1.RolloutStatus{a, b} {
		s.Replicas, s.UpdatedReplicas, s.ReadyReplicas, s.AvailableReplicas, s.HPAReplicas = 0, 0, 0, 0, 0
		for i := range s.Conditions {
			if s.Conditions[i].Type == v1alpha1.RolloutProgressing {
				s.Conditions[i].LastUpdateTime = metav1.Time{}
				s.Conditions[i].Message = ""
			}
		}
	}
	return equality.Semantic.DeepEqual(a, b)
}

// changedFields names the status fields that differ between old and cur (for the debug
// log: what a status write was for).
func changedFields(old, cur *v1alpha1.RolloutStatus) []string {
	var a, b map[string]any
	ja, _ := json.Marshal(old)
	jb, _ := json.Marshal(cur)
	_ = json.Unmarshal(ja, &a)
	_ = json.Unmarshal(jb, &b)
	var out []string
	for k := range b {
		if !equality.Semantic.DeepEqual(a[k], b[k]) {
			out = append(out, k)
		}
	}
	for k := range a {
		if _, ok := b[k]; !ok {
			out = append(out, k)
		}
	}
	sort.Strings(out)
	return out
}
