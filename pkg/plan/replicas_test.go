package plan

import (
	"slices"
	"testing"

	"k8s.io/apimachinery/pkg/util/intstr"
)

func TestWeightedReplicas(t *testing.T) {
	tests := map[string]struct {
		replicas, weight, max, want int32
	}{
		"zero weight":             {4, 0, 100, 0},
		"20% of 4 rounds up to 1": {4, 20, 100, 1},
		"50% of 4":                {4, 50, 100, 2},
		"75% of 4":                {4, 75, 100, 3},
		"1% of 4 still one pod":   {4, 1, 100, 1},
		"full":                    {4, 100, 100, 4},
		"per mille":               {10, 500, 1000, 5},
		"no replicas":             {0, 50, 100, 0},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			if got := weightedReplicas(tc.replicas, tc.weight, tc.max); got != tc.want {
				t.Errorf("weightedReplicas(%d, %d, %d) = %d, want %d", tc.replicas, tc.weight, tc.max, got, tc.want)
			}
		})
	}
}

func TestSurgeAndUnavailable(t *testing.T) {
	pct := func(s string) *intstr.IntOrString { v := intstr.FromString(s); return &v }
	num := func(i int32) *intstr.IntOrString { v := intstr.FromInt32(i); return &v }
	tests := map[string]struct {
		surge, unavailable *intstr.IntOrString
		replicas           int32
		wantS, wantU       int32
	}{
		"defaults 25% of 4":               {nil, nil, 4, 1, 1},
		"defaults 25% of 10 round":        {nil, nil, 10, 3, 2},
		"numbers":                         {num(2), num(0), 5, 2, 0},
		"both round to zero: one unavail": {pct("10%"), pct("10%"), 3, 1, 0},
		"explicit zeros":                  {num(0), num(0), 3, 0, 1},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			s, u := surgeAndUnavailable(tc.surge, tc.unavailable, tc.replicas)
			if s != tc.wantS || u != tc.wantU {
				t.Errorf("got surge %d unavailable %d, want %d %d", s, u, tc.wantS, tc.wantU)
			}
		})
	}
}

func TestBasicCanaryTargets(t *testing.T) {
	rs := func(r, a int32) rsCounts { return rsCounts{replicas: r, available: a} }
	tests := map[string]struct {
		replicas, desiredNew, surge, unavailable int32
		newRS, stable                            rsCounts
		others                                   []rsCounts
		wantNew, wantStable                      int32
		wantOthers                               []int32
	}{
		"first canary pod: stable gives one, new takes one": {
			replicas: 4, desiredNew: 1, surge: 1, unavailable: 1,
			newRS: rs(0, 0), stable: rs(4, 4), wantNew: 1, wantStable: 3,
		},
		"no unavailability allowed: surge first": {
			replicas: 4, desiredNew: 1, surge: 1, unavailable: 0,
			newRS: rs(0, 0), stable: rs(4, 4), wantNew: 1, wantStable: 4,
		},
		"surge used, canary not available yet: stable waits": {
			replicas: 4, desiredNew: 1, surge: 1, unavailable: 0,
			newRS: rs(1, 0), stable: rs(4, 4), wantNew: 1, wantStable: 4,
		},
		"surge used, canary available: stable steps down": {
			replicas: 4, desiredNew: 1, surge: 1, unavailable: 0,
			newRS: rs(1, 1), stable: rs(4, 4), wantNew: 1, wantStable: 3,
		},
		"at target: nothing moves": {
			replicas: 4, desiredNew: 2, surge: 1, unavailable: 1,
			newRS: rs(2, 2), stable: rs(2, 2), wantNew: 2, wantStable: 2,
		},
		"to full in bounded moves": {
			replicas: 4, desiredNew: 4, surge: 1, unavailable: 1,
			newRS: rs(1, 1), stable: rs(3, 3), wantNew: 3, wantStable: 2,
		},
		"unavailable old pods go first and cost nothing": {
			replicas: 4, desiredNew: 2, surge: 0, unavailable: 1,
			newRS: rs(1, 1), stable: rs(3, 3), others: []rsCounts{rs(2, 0)},
			wantNew: 2, wantStable: 2, wantOthers: []int32{0},
		},
		"weight lowered: canary shrinks, stable grows within surge": {
			replicas: 4, desiredNew: 1, surge: 1, unavailable: 0,
			newRS: rs(2, 2), stable: rs(2, 2), wantNew: 2, wantStable: 3,
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			n, s, o := basicCanaryTargets(tc.replicas, tc.desiredNew, tc.surge, tc.unavailable, tc.newRS, tc.stable, tc.others)
			if n != tc.wantNew || s != tc.wantStable || !slices.Equal(o, tc.wantOthers) && len(tc.wantOthers)+len(o) > 0 {
				t.Errorf("got new %d stable %d others %v, want %d %d %v", n, s, o, tc.wantNew, tc.wantStable, tc.wantOthers)
			}
			// Bounds hold whatever the case.
			total := n + s
			for _, v := range o {
				total += v
			}
			if total > tc.replicas+tc.surge && total > tc.newRS.replicas+tc.stable.replicas {
				t.Errorf("planned %d pods, above replicas+surge %d", total, tc.replicas+tc.surge)
			}
		})
	}
}
