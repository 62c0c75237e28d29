package plan

import (
	"fmt"
	"strings"

	appsv1 "k8s.io/api/apps/v1"

	"github.com/serin-dev/serin/pkg/apis/rollouts/v1alpha1"
	"github.com/serin-dev/serin/pkg/refs"
	"github.com/serin-dev/serin/pkg/validation"
)

// Next decides what to do for one sync of a Rollout. It never fails: a rollout that
// cannot act gets an InvalidSpec condition, a Degraded phase and a Warning event, and
// no action.
//
// A Rollout being deleted gets only the restoring of its Services' selectors and the
// removal of the Finalizer; any other gets the Finalizer first when it names a Service.
func Next(in Input) Plan {
	if in.Rollout.DeletionTimestamp != nil {
		return deletion(in)
	}
	var adopt []string
	if len(in.Orphans) > 0 {
		// Orphans are adopted first, and planned for as the Rollout's own.
		for _, rs := range in.Orphans {
			adopt = append(adopt, rs.Name)
		}
		in.ReplicaSets = append(append([]*appsv1.ReplicaSet(nil), in.ReplicaSets...), in.Orphans...)
	}
	if problem := blockingProblem(in); problem != "" {
		return blocked(in, problem)
	}
	p := newPlanner(in)
	p.adopt = adopt
	p.revs = sortRevisions(in.Rollout, in.ReplicaSets)
	if why := collision(in, p.revs); why != "" {
		// Take the next hash; the next sync plans it from scratch.
		n := int32OrDefault(p.status.CollisionCount, 0) + 1
		p.status.CollisionCount = &n
		p.warning(v1alpha1.ReasonHashCollision, fmt.Sprintf("%s; using collision count %d", why, n))
		p.revs = sortRevisions(withStatus(in.Rollout, p.status), in.ReplicaSets)
		p.finishStatus("")
		p.requeueAt(p.now)
		return p.plan()
	}
	strategy := "spec.strategy.canary: "
	if in.Rollout.Spec.Strategy.BlueGreen != nil {
		strategy = "spec.strategy.blueGreen: "
		p.blueGreen()
	} else {
		p.canary()
	}
	if p.analysisErr != "" {
		return blocked(in, strategy+p.analysisErr)
	}
	p.syncRoleMetadata()
	p.syncAnalysisRuns()
	p.diagnose()
	p.finishStatus("")
	return p.plan()
}

// collision says why the current hash cannot be used ("" when it can): a ReplicaSet of
// the Rollout already has it with another template, or a ReplicaSet that is not the
// Rollout's (nor adopted by this plan) holds the name its new ReplicaSet would get.
func collision(in Input, revs revisions) string {
	switch {
	case revs.collision:
		return fmt.Sprintf("ReplicaSet %s exists with another template", revs.newRS.Name)
	case revs.newRS == nil && in.NameTakenBy != nil:
		return fmt.Sprintf("ReplicaSet %s exists and is not the Rollout's", in.NameTakenBy.Name)
	}
	return ""
}

// blocked is the plan of a rollout that cannot act: no action, an InvalidSpec condition,
// phase Degraded, and a Warning event when the problem is new.
func blocked(in Input, problem string) Plan {
	p := newPlanner(in)
	p.revs = sortRevisions(in.Rollout, in.ReplicaSets)
	if c := findCondition(in.Rollout.Status.Conditions, v1alpha1.InvalidSpec); c == nil || c.Message != problem {
		p.warning(v1alpha1.ReasonInvalidSpec, problem)
	}
	p.finishStatus(problem)
	return p.plan()
}

// blockingProblem is why the rollout cannot act at all: an invalid spec, a feature this
// controller does not run yet, or a Service it refers to that does not exist.
func blockingProblem(in Input) string {
	ro := in.Rollout
	if errs := validation.Rollout(ro); len(errs) > 0 {
		return errs.ToAggregate().Error()
	}
	where := "spec.strategy.canary"
	if ro.Spec.Strategy.BlueGreen != nil {
		where = "spec.strategy.blueGreen"
	}
	var missing []string
	for _, name := range refs.Of(ro).ServiceNames() {
		if in.Services[name] == nil {
			missing = append(missing, name)
		}
	}
	if len(missing) > 0 {
		return fmt.Sprintf("%s: Service %s not found", where, strings.Join(missing, ", "))
	}
	return ""
}

func withStatus(ro *v1alpha1.Rollout, s v1alpha1.RolloutStatus) *v1alpha1.Rollout {
	out := ro.DeepCopy()
	out.Status = s
	return out
}
