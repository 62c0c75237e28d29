// Command bench runs Serin's performance benchmark (`make bench`, `make bench QUICK=1`):
//
//	go run ./test/bench/cmd [-quick] [-out DIR] [-idle-n 5000] [-only S3]
//	go run ./test/bench/cmd -verify DIR/report.json
//
// It needs bin/serin-controller (`make build`) and the control plane binaries
// (`make kube-bin`, or SERIN_KUBE_BIN). Progress goes to stderr; the report is written
// to DIR/report.json and DIR/report.md, and the Markdown is printed at the end.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"github.com/serin-dev/serin/test/bench"
	"github.com/serin-dev/serin/test/cluster"
)

func main() {
	quick := flag.Bool("quick", os.Getenv("QUICK") == "1", "the short run (few repetitions, small N): the smoke test")
	out := flag.String("out", "", "directory for report.json, report.md and the logs (default .cache/bench/<time>)")
	verify := flag.String("verify", "", "only check that this report.json is complete and well-formed")
	idleN := flag.Int("idle-n", 0, "S3: Rollouts (default 1,000; QUICK 50)")
	coldN := flag.Int("cold-n", 0, "S6: Rollouts (default 5,000; QUICK 200)")
	burstN := flag.Int("burst-n", 0, "S5: Rollouts (default 200; QUICK 20)")
	reps := flag.Int("reps", 0, "S1/S2/S4 repetitions (default 20; QUICK 3)")
	only := flag.String("only", "", "run only these groups: latency (S0,S1,S2,S4), idle (S3), burst (S5), cold (S6)")
	flag.Parse()
	if *verify != "" {
		if err := verifyReport(*verify); err != nil {
			fmt.Fprintf(os.Stderr, "bench: %s: %v\n", *verify, err)
			os.Exit(1)
		}
		fmt.Printf("bench: %s is complete and well-formed\n", *verify)
		return
	}
	o := bench.Defaults(*quick)
	for _, f := range []struct {
		v   int
		dst *int
	}{{*idleN, &o.IdleN}, {*coldN, &o.ColdN}, {*burstN, &o.BurstN}, {*reps, &o.Reps}} {
		if f.v > 0 {
			*f.dst = f.v
		}
	}
	o.Only = *only
	if err := run(o, *out); err != nil {
		fmt.Fprintf(os.Stderr, "bench: %v\n", err)
		os.Exit(1)
	}
}

func run(o bench.Options, out string) error {
	root, err := cluster.RepoRoot()
	if err != nil {
		return err
	}
	if out == "" {
		out = filepath.Join(root, ".cache", "bench", time.Now().Format("20060102-150405"))
	}
	if o.Artifacts, err = filepath.Abs(out); err != nil {
		return err
	}
	if err := os.MkdirAll(o.Artifacts, 0o755); err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	fmt.Fprintf(os.Stderr, "bench: report and logs in %s\n", o.Artifacts)
	r := bench.Run(ctx, root, o, os.Stderr)

	data, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(o.Artifacts, "report.json"), append(data, '\n'), 0o644); err != nil {
		return err
	}
	var md bytes.Buffer
	r.Markdown(&md)
	if err := os.WriteFile(filepath.Join(o.Artifacts, "report.md"), md.Bytes(), 0o644); err != nil {
		return err
	}
	fmt.Print(md.String())
	fmt.Fprintf(os.Stderr, "bench: wrote %s and report.md\n", filepath.Join(o.Artifacts, "report.json"))
	for _, s := range r.Scenarios {
		if s.Error != "" {
			return fmt.Errorf("scenario %s failed: %s", s.ID, s.Error)
		}
	}
	return nil
}

func verifyReport(path string) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	var r bench.Report
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&r); err != nil {
		return fmt.Errorf("not a report: %w", err)
	}
	return r.Validate()
}
