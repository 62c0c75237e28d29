package diagnosis

import (
	"fmt"
	"sort"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"

	"github.com/serin-dev/serin/pkg/apis/rollouts/v1alpha1"
)

// order is the order causes are listed in: the one that most surely stops the pods
// first (it is also the PodsFailing condition's reason).
var order = []string{
	v1alpha1.ReasonPodImagePullError,
	v1alpha1.ReasonPodConfigError,
	v1alpha1.ReasonPodCrashLoop,
	v1alpha1.ReasonPodUnschedulable,
	v1alpha1.ReasonPodReadinessFlapping,
}

// Cause is one reason and every pod showing it, by pod name.
type Cause struct {
	Reason   string
	Problems []Problem
}

// Pods are the causes pods show, in a fixed order (see order); none when every pod is
// fine or simply not up yet.
func Pods(pods []*corev1.Pod) []Cause {
	by := map[string][]Problem{}
	for _, pod := range pods {
		if pr, ok := Pod(pod); ok {
			by[pr.Reason] = append(by[pr.Reason], pr)
		}
	}
	var out []Cause
	for _, reason := range order {
		if prs := by[reason]; len(prs) > 0 {
			sort.Slice(prs, func(i, j int) bool { return prs[i].Pod < prs[j].Pod })
			out = append(out, Cause{Reason: reason, Problems: prs})
		}
	}
	return out
}

// String is "Reason: N pods, e.g. pod x: detail" — what the condition message, the
// event and the views show for the cause.
func (c Cause) String() string {
	first := c.Problems[0]
	n := len(c.Problems)
	return fmt.Sprintf("%s: %d %s, e.g. pod %s: %s", c.Reason, n, plural(n, "pod", "pods"), first.Pod, first.Detail)
}

// Summary is every cause's String, joined by "; ".
func Summary(causes []Cause) string {
	parts := make([]string, len(causes))
	for i, c := range causes {
		parts[i] = c.String()
	}
	return strings.Join(parts, "; ")
}

// Mentions says whether a message made by Summary names reason.
func Mentions(summary, reason string) bool {
	for _, part := range strings.Split(summary, "; ") {
		if strings.HasPrefix(part, reason+": ") {
			return true
		}
	}
	return false
}

// Verdict is what a fail-fast threshold says about one problem.
type Verdict struct {
	// Exceeded: the problem is past its threshold; Threshold names it
	// ("spec.failFast.imagePullSeconds: 30").
	Exceeded  bool
	Threshold string
	// At is when a time threshold will be crossed, if the problem lasts; zero when
	// there is no such time (no threshold for it, or one counted in restarts).
	At time.Time
}

// Exceeded judges pr against ff at now. field is where ff came from, for the message
// ("spec.failFast", or the controller's --fail-fast default).
func Exceeded(pr Problem, ff *v1alpha1.FailFast, field string, now time.Time) Verdict {
	if ff == nil {
		return Verdict{}
	}
	timed := func(name string, secs *int32) Verdict {
		if secs == nil || pr.Since.IsZero() {
			return Verdict{}
		}
		at := pr.Since.Add(time.Duration(*secs) * time.Second)
		return Verdict{Exceeded: !now.Before(at), Threshold: fmt.Sprintf("%s.%s: %d", field, name, *secs), At: at}
	}
	switch pr.Reason {
	case v1alpha1.ReasonPodImagePullError:
		return timed("imagePullSeconds", ff.ImagePullSeconds)
	case v1alpha1.ReasonPodConfigError:
		return timed("configErrorSeconds", ff.ConfigErrorSeconds)
	case v1alpha1.ReasonPodUnschedulable:
		return timed("unschedulableSeconds", ff.UnschedulableSeconds)
	case v1alpha1.ReasonPodCrashLoop:
		if ff.Restarts != nil && pr.Restarts >= *ff.Restarts {
			return Verdict{Exceeded: true, Threshold: fmt.Sprintf("%s.restarts: %d", field, *ff.Restarts)}
		}
	}
	return Verdict{}
}
