package bench

import (
	"fmt"
	"sort"
	"strings"
)

// report turns the latency group's samples into the S0, S1, S2 and S4 figures.
func (l *latency) report(s0, s1, s2, s4 *Scenario) {
	o := l.b.o
	s0.Setup = fmt.Sprintf("%d merge patches of one ConfigMap (half before S1, half after S2), on the control plane of S1/S2/S4; "+
		"one write = the patch's round trip, the floor every latency is divided by", o.FloorReps)
	floor := s0.figure("s0.write", "one API write (round trip)", "ms", ms(l.write)).P50
	s0.figure("s0.watch", "write sent → its watch event", "ms", ms(l.watchDelay)).ratio(floor)

	s1.Setup = fmt.Sprintf("one Rollout, 4 replicas, nginx routing, steps setWeight 20 + pause, 5 kwok nodes, controller default flags; "+
		"%d repetitions of: new image → weight 20 on the canary Ingress → abort (S2) → stable image back → Healthy", o.Reps)
	s1.figure("s1.patch_to_weight", "image patch sent → weight 20", "ms", ms(l.patchToW)).ratio(floor)
	s1.figure("s1.ready_to_weight", "canary pod Ready → weight 20", "ms", ms(l.readyToW)).ratio(floor)
	f := s1.figure("s1.available_to_weight", "canary ReplicaSet available → weight 20 (controller's share)", "ms", ms(l.availToW)).ratio(floor)
	f.atMost(1.5*floor, "≤ 1.5 writes")

	s2.Setup = "the same Rollout at step 1 (weight 20); status.abort patched as `kubectl serin abort` does; times from the abort's own watch event"
	s2.figure("s2.abort_to_weight0", "abort seen → weight 0", "ms", ms(l.abortToW0)).ratio(floor).atMost(1.5*floor, "≤ 1.5 writes")
	s2.figure("s2.abort_to_stable_selector", "abort seen → canary Service on stable", "ms", ms(l.abortToSel)).ratio(floor).atMost(2.5*floor, "≤ 2.5 writes")
	s2.figure("s2.abort_patch_to_weight0", "abort patch sent → weight 0", "ms", ms(l.abortPatchW0)).ratio(floor)

	s4.Setup = "the writes of each S1/S2 transition, counted from watch events of the namespace (a change of a Rollout's status, " +
		"a ReplicaSet's spec or metadata, a Service's spec, any Ingress change; ReplicaSet and Pod status are other components'; " +
		"the benchmark's own patches left out), until " + settle.String() + " after the transition's last awaited event. " +
		"By kind: " + byKind("to step 1", l.step1) + "; " + byKind("abort", l.abort)
	s4.figure("s4.step1_object_writes", "object writes: image → step 1 paused", "count", totals(l.step1, objectWrites)).atMost(4, "≤ 4")
	s4.figure("s4.step1_status_writes", "status writes: image → step 1 paused", "count", totals(l.step1, statusWrites)).atMost(1, "1 per transition")
	s4.figure("s4.abort_object_writes", "object writes: abort", "count", totals(l.abort, objectWrites))
	s4.figure("s4.abort_status_writes", "status writes: abort", "count", totals(l.abort, statusWrites)).atMost(1, "1 per transition")
	s4.figure("s4.step1_events", "Events: image → step 1 paused", "count", totals(l.step1, func(m map[string]int) int { return m["Event"] }))
	s4.figure("s4.abort_events", "Events: abort", "count", totals(l.abort, func(m map[string]int) int { return m["Event"] }))
}

func totals(ms []map[string]int, f func(map[string]int) int) []float64 {
	out := make([]float64, len(ms))
	for i, m := range ms {
		out[i] = float64(f(m))
	}
	return out
}

// byKind writes the median count of each kind and verb: "to step 1: ReplicaSet create 1, ...".
func byKind(what string, ms []map[string]int) string {
	per := map[string][]float64{}
	for _, m := range ms {
		for k := range m {
			per[k] = nil
		}
	}
	for k := range per {
		for _, m := range ms {
			per[k] = append(per[k], float64(m[k]))
		}
	}
	var parts []string
	for _, k := range sortedKeys(per) {
		parts = append(parts, fmt.Sprintf("%s %s", k, fmtNum(Summarize(per[k]).P50)))
	}
	sort.Strings(parts)
	return what + " (medians): " + strings.Join(parts, ", ")
}
