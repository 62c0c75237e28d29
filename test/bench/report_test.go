package bench

import (
	"bytes"
	"strings"
	"testing"
)

// complete builds a report with every expected figure measured once.
func complete() *Report {
	r := &Report{}
	for _, id := range []string{"S0", "S1", "S2", "S3", "S4", "S5", "S6"} {
		s := &Scenario{ID: id, Title: id}
		for _, k := range Expected[id] {
			s.figure(k, k, "ms", []float64{1, 2, 3}).atMost(2, "≤ 2")
		}
		if id == "S3" {
			s.Heap = []string{"flat flat% sum% cum cum%"}
		}
		r.Scenarios = append(r.Scenarios, s)
	}
	return r
}

func TestValidate(t *testing.T) {
	cases := map[string]struct {
		mutate func(*Report)
		want   string // in the error; "" = valid
	}{
		"complete":               {func(*Report) {}, ""},
		"scenario missing":       {func(r *Report) { r.Scenarios = r.Scenarios[1:] }, "scenario S0 missing"},
		"scenario failed":        {func(r *Report) { r.Scenarios[2].Error = "boom" }, "scenario S2 failed: boom"},
		"figure missing":         {func(r *Report) { r.Scenarios[1].Figures = r.Scenarios[1].Figures[1:] }, "figure s1.patch_to_weight missing"},
		"figure empty":           {func(r *Report) { r.Scenarios[6].Figures[1].Summary = Summary{} }, "figure s6.cold_start has no measurement"},
		"percentiles disordered": {func(r *Report) { r.Scenarios[0].Figures[0].P90 = 0 }, "percentiles out of order"},
		"verdict missing":        {func(r *Report) { r.Scenarios[1].Figures[2].Verdict = "" }, "has a target but no verdict"},
		"no heap profile":        {func(r *Report) { r.Scenarios[3].Heap = nil }, "S3: no heap profile"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			r := complete()
			c.mutate(r)
			err := r.Validate()
			switch {
			case c.want == "" && err != nil:
				t.Fatalf("Validate() = %v, want nil", err)
			case c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)):
				t.Fatalf("Validate() = %v, want an error with %q", err, c.want)
			}
		})
	}
}

func TestVerdicts(t *testing.T) {
	cases := map[string]struct {
		xs    []float64
		limit float64
		want  string
	}{
		"met":            {[]float64{1, 2, 3}, 2, "met"},
		"missed":         {[]float64{3, 4, 5}, 2, "missed by 2 ms (2.00× the limit)"},
		"missed zero":    {[]float64{5}, 0, "missed by 5 ms"},
		"not measured":   {nil, 2, "not measured"},
		"median decides": {[]float64{1, 1, 9}, 2, "met"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			f := (&Scenario{}).figure("k", "k", "ms", c.xs).atMost(c.limit, "")
			if f.Verdict != c.want {
				t.Fatalf("verdict = %q, want %q", f.Verdict, c.want)
			}
		})
	}
}

func TestSummarize(t *testing.T) {
	s := Summarize([]float64{5, 1, 4, 2, 3, 6, 7, 8, 9, 10})
	if s != (Summary{N: 10, Min: 1, P50: 5, P90: 9, Max: 10}) {
		t.Fatalf("Summarize = %+v", s)
	}
}

func TestMarkdownHasEveryFigure(t *testing.T) {
	r := complete()
	r.Scenarios[0].Figures[1].ratio(2)
	var b bytes.Buffer
	r.Markdown(&b)
	for _, id := range []string{"S0", "S6"} {
		for _, k := range Expected[id] {
			if !strings.Contains(b.String(), "| "+k+" |") {
				t.Errorf("no row for %s in:\n%s", k, b.String())
			}
		}
	}
	if !strings.Contains(b.String(), "1.0× / 1.5×") {
		t.Errorf("no floor ratio in:\n%s", b.String())
	}
}

func TestParseMetrics(t *testing.T) {
	m := parseMetrics([]byte("# HELP x\nserin_client_requests_total{code=\"200\",method=\"GET\"} 7\n" +
		"serin_client_requests_total{code=\"201\",method=\"POST\"} 2\nserin_rollout_info{name=\"a\"} 1\n"))
	if got := m.Sum("serin_client_requests_total"); got != 9 {
		t.Errorf("sum = %v", got)
	}
	if got := m.Sum("serin_client_requests_total", `method="POST"`); got != 2 {
		t.Errorf("POST = %v", got)
	}
	if got := m.Series("serin_rollout_"); got != 1 {
		t.Errorf("series = %v", got)
	}
}
