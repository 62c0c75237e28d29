package bench

import (
	"errors"
	"fmt"
	"io"
	"strings"
	"time"
)

// Report is what one run of the benchmark found: JSON (report.json) and Markdown.
type Report struct {
	Started   time.Time   `json:"started"`
	Duration  string      `json:"duration"`
	Quick     bool        `json:"quick"`
	Machine   Machine     `json:"machine"`
	Options   Options     `json:"options"`
	Scenarios []*Scenario `json:"scenarios"`
}

// Machine is where the run happened.
type Machine struct {
	CPUs      int    `json:"cpus"`
	CPUModel  string `json:"cpuModel"`
	MemoryMiB int64  `json:"memoryMiB"`
	Kernel    string `json:"kernel"`
	Go        string `json:"go"`
	Kube      string `json:"kube"`
	LoadAvg   string `json:"loadAvgAtStart"`
}

// Scenario is one scenario's figures.
type Scenario struct {
	ID      string    `json:"id"`
	Title   string    `json:"title"`
	Setup   string    `json:"setup"`
	Figures []*Figure `json:"figures"`
	// Heap is the top of the controller's in-use heap profile (S3).
	Heap  []string `json:"heap,omitempty"`
	Error string   `json:"error,omitempty"`
}

// Figure is one measured quantity over the repetitions.
type Figure struct {
	Key  string `json:"key"` // stable identifier, e.g. "s1.available_to_weight"
	Name string `json:"name"`
	Unit string `json:"unit"` // ms, s, MiB, mCPU, count, per-min, bytes, ratio
	Summary
	// FloorRatio is P50 and P90 over the floor's P50 (one API write in the same run).
	FloorRatio *[2]float64 `json:"floorRatio,omitempty"`
	Target     string      `json:"target,omitempty"`
	Verdict    string      `json:"verdict,omitempty"` // "met" or "missed by ..."
}

func (s *Scenario) add(f *Figure) *Figure { s.Figures = append(s.Figures, f); return f }

// figure adds a figure from raw values.
func (s *Scenario) figure(key, name, unit string, xs []float64) *Figure {
	return s.add(&Figure{Key: key, Name: name, Unit: unit, Summary: Summarize(xs)})
}

// ratio sets the figure's ratio to the floor.
func (f *Figure) ratio(floor float64) *Figure {
	if floor > 0 && f.N > 0 {
		f.FloorRatio = &[2]float64{f.P50 / floor, f.P90 / floor}
	}
	return f
}

// atMost compares the figure's median with limit (in the figure's unit); text says
// how the target is written in the issue.
func (f *Figure) atMost(limit float64, text string) *Figure {
	f.Target = text
	switch {
	case f.N == 0:
		f.Verdict = "not measured"
	case f.P50 <= limit:
		f.Verdict = "met"
	case limit == 0:
		f.Verdict = fmt.Sprintf("missed by %s %s", fmtNum(f.P50), f.Unit)
	default:
		f.Verdict = fmt.Sprintf("missed by %s %s (%.2f× the limit)", fmtNum(f.P50-limit), f.Unit, f.P50/limit)
	}
	return f
}

func fmtNum(x float64) string {
	switch {
	case x == float64(int64(x)):
		return fmt.Sprintf("%d", int64(x))
	case x >= 100 || x <= -100:
		return fmt.Sprintf("%.0f", x)
	case x >= 10 || x <= -10:
		return fmt.Sprintf("%.1f", x)
	default:
		return fmt.Sprintf("%.2f", x)
	}
}

// Markdown writes the report as a table per run: scenario, figure, median, p90, the
// ratio to the floor, and the target with its verdict.
func (r *Report) Markdown(w io.Writer) {
	m := r.Machine
	fmt.Fprintf(w, "Run %s (%s%s) on %d × %s, %d MiB, Linux %s, %s, kube %s; load average at start %s.\n\n",
		r.Started.Format("2006-01-02 15:04 MST"), r.Duration, map[bool]string{true: ", QUICK", false: ""}[r.Quick],
		m.CPUs, m.CPUModel, m.MemoryMiB, m.Kernel, m.Go, m.Kube, m.LoadAvg)
	fmt.Fprintln(w, "| scenario | figure | n | p50 | p90 | p50 / p90 ÷ one write | target | verdict |")
	fmt.Fprintln(w, "|---|---|---|---|---|---|---|---|")
	for _, s := range r.Scenarios {
		if s.Error != "" {
			fmt.Fprintf(w, "| %s %s | **failed**: %s | | | | | | |\n", s.ID, s.Title, oneLine(s.Error))
		}
		for _, f := range s.Figures {
			ratio := ""
			if f.FloorRatio != nil {
				ratio = fmt.Sprintf("%.1f× / %.1f×", f.FloorRatio[0], f.FloorRatio[1])
			}
			fmt.Fprintf(w, "| %s | %s | %d | %s %s | %s %s | %s | %s | %s |\n",
				s.ID, f.Name, f.N, fmtNum(f.P50), f.Unit, fmtNum(f.P90), f.Unit, ratio, f.Target, f.Verdict)
		}
	}
	fmt.Fprintln(w)
	for _, s := range r.Scenarios {
		fmt.Fprintf(w, "- **%s %s**: %s\n", s.ID, s.Title, s.Setup)
	}
	for _, s := range r.Scenarios {
		if len(s.Heap) > 0 {
			fmt.Fprintf(w, "\n%s controller heap (in use, top entries of `go tool pprof -top`):\n\n```text\n%s\n```\n",
				s.ID, strings.Join(s.Heap, "\n"))
		}
	}
}

func oneLine(s string) string {
	s = strings.ReplaceAll(s, "\n", " ")
	s = strings.ReplaceAll(s, "|", "/")
	if len(s) > 200 {
		s = s[:200] + "…"
	}
	return s
}

// Expected lists, per scenario, the figures a complete report has.
var Expected = map[string][]string{
	"S0": {"s0.write", "s0.watch"},
	"S1": {"s1.patch_to_weight", "s1.ready_to_weight", "s1.available_to_weight"},
	"S2": {"s2.abort_to_weight0", "s2.abort_to_stable_selector"},
	"S3": {"s3.setup", "s3.rss", "s3.heap_inuse", "s3.cpu", "s3.requests_per_min", "s3.writes_per_min",
		"s3.metrics_bytes", "s3.metrics_series_per_rollout"},
	"S4": {"s4.step1_object_writes", "s4.step1_status_writes", "s4.abort_object_writes", "s4.abort_status_writes"},
	"S5": {"s5.pipeline_makespan", "s5.makespan", "s5.makespan_ratio", "s5.weight_minus_available"},
	"S6": {"s6.setup", "s6.cold_start", "s6.peak_rss"},
}

// Validate checks that a report is complete and well-formed: every scenario ran without
// error and has each expected figure, measured at least once, with ordered percentiles.
// It never judges a time.
func (r *Report) Validate() error {
	var errs []error
	byID := map[string]*Scenario{}
	for _, s := range r.Scenarios {
		byID[s.ID] = s
	}
	for id, keys := range Expected {
		s := byID[id]
		if s == nil {
			errs = append(errs, fmt.Errorf("scenario %s missing", id))
			continue
		}
		if s.Error != "" {
			errs = append(errs, fmt.Errorf("scenario %s failed: %s", id, s.Error))
		}
		have := map[string]*Figure{}
		for _, f := range s.Figures {
			have[f.Key] = f
		}
		for _, k := range keys {
			f := have[k]
			switch {
			case f == nil:
				errs = append(errs, fmt.Errorf("%s: figure %s missing", id, k))
			case f.N == 0:
				errs = append(errs, fmt.Errorf("%s: figure %s has no measurement", id, k))
			case !(f.Min <= f.P50 && f.P50 <= f.P90 && f.P90 <= f.Max):
				errs = append(errs, fmt.Errorf("%s: figure %s: percentiles out of order: %+v", id, k, f.Summary))
			case f.Target != "" && f.Verdict == "":
				errs = append(errs, fmt.Errorf("%s: figure %s has a target but no verdict", id, k))
			}
		}
	}
	if id := "S3"; byID[id] != nil && byID[id].Error == "" && len(byID[id].Heap) == 0 {
		errs = append(errs, errors.New("S3: no heap profile"))
	}
	return errors.Join(errs...)
}
