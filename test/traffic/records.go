// Package traffic sends bounded streams of HTTP requests, only to 127.0.0.1 (a router's
// entrypoint) or to local pod IPs, and records every answer with the pod and revision
// that served it (from the pod simulator's X-Serin-* headers, package test/podsim), so
// that tests state what real requests did: the share of a revision, failed requests, the
// last request a revision served. Shares are judged with a binomial confidence interval
// (Wilson), never exact counts.
package traffic

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// Record is one request and its answer.
type Record struct {
	Seq      int           // order of dispatch, from 0
	Sent     time.Time     // when it was sent
	Duration time.Duration // until the body was read, or the error
	Status   int           // 0 when no answer came
	Err      string        // transport error or timeout, "" when an answer came whole
	// The simulated pod that answered ("" when the answer did not come from one, e.g. a
	// router's own 404 or 502).
	Pod, Namespace, Revision string
}

// Done is when the answer (or the error) came.
func (r Record) Done() time.Time { return r.Sent.Add(r.Duration) }

// Failed reports whether a user would have seen a failure: no answer, or a status other
// than 2xx.
func (r Record) Failed() bool { return r.Err != "" || r.Status < 200 || r.Status > 299 }

func (r Record) String() string {
	s := fmt.Sprintf("#%d %s +%s status %d", r.Seq, r.Sent.Format("15:04:05.000"), r.Duration.Round(time.Millisecond), r.Status)
	if r.Pod != "" {
		s += fmt.Sprintf(" from %s/%s (revision %s)", r.Namespace, r.Pod, r.Revision)
	}
	if r.Err != "" {
		s += ": " + r.Err
	}
	return s
}

// Records are the records of a stream, ordered by send time.
type Records []Record

func sorted(rs Records) Records {
	out := slices.Clone(rs)
	slices.SortStableFunc(out, func(a, b Record) int { return a.Sent.Compare(b.Sent) })
	return out
}

// Filter returns the records for which keep is true.
func (rs Records) Filter(keep func(Record) bool) Records {
	var out Records
	for _, r := range rs {
		if keep(r) {
			out = append(out, r)
		}
	}
	return out
}

// Between returns the records sent in [from, to).
func (rs Records) Between(from, to time.Time) Records {
	return rs.Filter(func(r Record) bool { return !r.Sent.Before(from) && r.Sent.Before(to) })
}

// Failed returns the failed records (see Record.Failed).
func (rs Records) Failed() Records { return rs.Filter(Record.Failed) }

// Served returns the records a simulated pod answered (any status).
func (rs Records) Served() Records { return rs.Filter(func(r Record) bool { return r.Revision != "" }) }

// ByRevision counts the records each revision answered ("" for answers from no pod and
// for requests without an answer).
func (rs Records) ByRevision() map[string]int {
	out := map[string]int{}
	for _, r := range rs {
		out[r.Revision]++
	}
	return out
}

// Share is how many of the records a simulated pod answered came from revision: k of n.
func (rs Records) Share(revision string) (k, n int) {
	for _, r := range rs.Served() {
		n++
		if r.Revision == revision {
			k++
		}
	}
	return k, n
}

// LastServedBy returns the record of the last answer revision gave (by Done time).
func (rs Records) LastServedBy(revision string) (Record, bool) {
	var last Record
	found := false
	for _, r := range rs {
		if r.Revision == revision && (!found || r.Done().After(last.Done())) {
			last, found = r, true
		}
	}
	return last, found
}

// CheckShare returns nil when revision's share of the served records is consistent with
// want at the given confidence (e.g. 0.999): want lies in the Wilson interval of the
// observed share. Otherwise the error states the counts, the interval and the records'
// breakdown by revision.
func (rs Records) CheckShare(revision string, want, confidence float64) error {
	k, n := rs.Share(revision)
	if n == 0 {
		return fmt.Errorf("share of revision %q: no request was answered by a simulated pod (%d records: %s)",
			revision, len(rs), rs.Summary())
	}
	lo, hi := Wilson(k, n, confidence)
	if want < lo || want > hi {
		return fmt.Errorf("share of revision %q: %d of %d = %.4f, %.1f%% interval [%.4f, %.4f] excludes the expected %.4f (%s)",
			revision, k, n, float64(k)/float64(n), 100*confidence, lo, hi, want, rs.Summary())
	}
	return nil
}

// Summary is a one-line breakdown: records, failures, and answers by revision.
func (rs Records) Summary() string {
	by := rs.ByRevision()
	revs := make([]string, 0, len(by))
	for rev := range by {
		revs = append(revs, rev)
	}
	slices.Sort(revs)
	parts := make([]string, 0, len(revs))
	for _, rev := range revs {
		name := rev
		if name == "" {
			name = "(no pod)"
		}
		parts = append(parts, fmt.Sprintf("%s: %d", name, by[rev]))
	}
	return fmt.Sprintf("%d requests, %d failed; by revision %s", len(rs), len(rs.Failed()), strings.Join(parts, ", "))
}
