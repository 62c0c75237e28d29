package traffic

import (
	"math"
	"math/rand/v2"
	"testing"
)

func TestZ(t *testing.T) {
	tests := map[string]struct{ confidence, want float64 }{
		"80%":   {0.8, 1.281552},
		"95%":   {0.95, 1.959964},
		"99%":   {0.99, 2.575829},
		"99.9%": {0.999, 3.290527},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			if got := Z(tc.confidence); math.Abs(got-tc.want) > 1e-5 {
				t.Errorf("Z(%v) = %v, want %v", tc.confidence, got, tc.want)
			}
		})
	}
}

// score is the score statistic of "the true share is p" given k of n.
func score(k, n int, p float64) float64 {
	return math.Abs(float64(k)-float64(n)*p) / math.Sqrt(float64(n)*p*(1-p))
}

func TestWilsonBoundsAreWhereTheScoreTestTurns(t *testing.T) {
	tests := map[string]struct {
		k, n       int
		confidence float64
	}{
		"weight 20, 2000 requests, 99.9%": {400, 2000, 0.999},
		"half, 95%":                       {50, 100, 0.95},
		"rare, 99%":                       {3, 1000, 0.99},
		"one success, 99.9%":              {1, 20, 0.999},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			lo, hi := Wilson(tc.k, tc.n, tc.confidence)
			z := Z(tc.confidence)
			p := float64(tc.k) / float64(tc.n)
			if !(lo < p && p < hi) {
				t.Fatalf("interval [%v, %v] does not hold the observed %v", lo, hi, p)
			}
			for _, b := range []float64{lo, hi} {
				if s := score(tc.k, tc.n, b); math.Abs(s-z) > 1e-9 {
					t.Errorf("score at bound %v = %v, want z = %v", b, s, z)
				}
			}
			// Mirror: k of n for a share is n-k of n for its complement.
			lo2, hi2 := Wilson(tc.n-tc.k, tc.n, tc.confidence)
			if math.Abs(lo2-(1-hi)) > 1e-12 || math.Abs(hi2-(1-lo)) > 1e-12 {
				t.Errorf("complement interval [%v, %v], want [%v, %v]", lo2, hi2, 1-hi, 1-lo)
			}
		})
	}
}

func TestWilsonKnownValues(t *testing.T) {
	tests := map[string]struct {
		k, n           int
		confidence     float64
		wantLo, wantHi float64
	}{
		"none of 10, 95%": {0, 10, 0.95, 0, 0.277532},
		"all of 10, 95%":  {10, 10, 0.95, 0.722468, 1},
		"weight 20":       {400, 2000, 0.999, 0.172219, 0.231012}, // from the quadratic, computed apart
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			lo, hi := Wilson(tc.k, tc.n, tc.confidence)
			if math.Abs(lo-tc.wantLo) > 1e-5 || math.Abs(hi-tc.wantHi) > 1e-5 {
				t.Errorf("Wilson(%d, %d, %v) = [%.6f, %.6f], want [%.6f, %.6f]", tc.k, tc.n, tc.confidence, lo, hi, tc.wantLo, tc.wantHi)
			}
		})
	}
	if got := Tolerance(0.2, 2000, 0.999); math.Abs(got-0.029396) > 1e-5 {
		t.Errorf("Tolerance(0.2, 2000, 99.9%%) = %v, want 0.029396", got)
	}
}

// TestWilsonCoverage draws binomial samples (seeded, so the test is repeatable) and checks
// that the interval holds the true share about as often as its confidence says: a wrong
// quantile or a wrong formula moves the coverage out of these bands.
func TestWilsonCoverage(t *testing.T) {
	rng := rand.New(rand.NewPCG(22, 2026))
	const trials = 4000
	tests := map[string]struct {
		p          float64
		n          int
		confidence float64
		min, max   float64
	}{
		"weight 20, 2000 requests, 95%":   {0.2, 2000, 0.95, 0.935, 0.965},
		"weight 5, 2000 requests, 95%":    {0.05, 2000, 0.95, 0.935, 0.965},
		"half, 500 requests, 80%":         {0.5, 500, 0.8, 0.78, 0.82},
		"weight 20, 2000 requests, 99.9%": {0.2, 2000, 0.999, 0.997, 1},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			covered := 0
			for range trials {
				k := 0
				for range tc.n {
					if rng.Float64() < tc.p {
						k++
					}
				}
				if lo, hi := Wilson(k, tc.n, tc.confidence); lo <= tc.p && tc.p <= hi {
					covered++
				}
			}
			if c := float64(covered) / trials; c < tc.min || c > tc.max {
				t.Errorf("coverage %.4f over %d trials, want within [%v, %v]", c, trials, tc.min, tc.max)
			}
		})
	}
}
