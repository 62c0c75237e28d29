package traffic

import (
	"fmt"
	"math"
)

// Z is the two-sided standard normal quantile for confidence (e.g. 0.999 → 3.2905):
// P(|N(0,1)| <= Z) = confidence.
func Z(confidence float64) float64 {
	if !(confidence > 0 && confidence < 1) {
		panic(fmt.Sprintf("traffic: confidence %v: want a number between 0 and 1", confidence))
	}
	return math.Sqrt2 * math.Erfinv(confidence)
}

// Wilson returns the Wilson score interval for a binomial proportion: k successes of n
// trials, at the given two-sided confidence (e.g. 0.999). It is the set of proportions p
// that a score test of "the true share is p" would not reject from k of n, so it holds
// its confidence even for shares near 0 or 1 and small n, where the normal
// approximation does not. n must be positive.
func Wilson(k, n int, confidence float64) (lo, hi float64) {
	if n <= 0 || k < 0 || k > n {
		panic(fmt.Sprintf("traffic: Wilson(%d, %d): want 0 <= k <= n and n > 0", k, n))
	}
	z := Z(confidence)
	nf, p := float64(n), float64(k)/float64(n)
	z2 := z * z
	center := (p + z2/(2*nf)) / (1 + z2/nf)
	half := z / (1 + z2/nf) * math.Sqrt(p*(1-p)/nf+z2/(4*nf*nf))
	return math.Max(0, center-half), math.Min(1, center+half)
}

// Tolerance is the half-width of the Wilson interval at the expected share p for n
// requests: how far the measured share may stray from p at that confidence. Use it to
// state a test's tolerance up front (e.g. 2,000 requests at weight 20, 99.9 %: ±0.030).
func Tolerance(p float64, n int, confidence float64) float64 {
	k := int(math.Round(p * float64(n)))
	lo, hi := Wilson(k, n, confidence)
	return (hi - lo) / 2
}
