package main

import (
	"testing"
	"time"

	"github.com/serin-dev/serin/test/traffic"
)

func TestSplitLine(t *testing.T) {
	recs := func(revs ...string) traffic.Records {
		var rs traffic.Records
		for _, r := range revs {
			status := 200
			if r == "" {
				status = 502
			}
			rs = append(rs, traffic.Record{Status: status, Revision: r})
		}
		return rs
	}
	cases := map[string]struct {
		records traffic.Records
		stable  string
		want    string
	}{
		"a fifth to the canary": {
			records: recs("s", "s", "s", "s", "c"), stable: "s",
			want: "traffic: canary 20.0% of 5 req in last 5s (stable s: 4, canary c: 1, failed 0)",
		},
		"no canary": {
			records: recs("s", "s"), stable: "s",
			want: "traffic: canary 0.0% of 2 req in last 5s (stable s: 2, failed 0)",
		},
		"failed requests are not in the share": {
			records: recs("s", "c", ""), stable: "s",
			want: "traffic: canary 50.0% of 3 req in last 5s (stable s: 1, canary c: 1, failed 1)",
		},
		"stable revision unknown": {
			records: recs("s"), stable: "",
			want: "traffic: 1 req in last 5s, failed 0 (the Rollout's stable revision is not known yet)",
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			if got := splitLine(tc.records, tc.stable, 5*time.Second); got != tc.want {
				t.Errorf("got  %q\nwant %q", got, tc.want)
			}
		})
	}
}
