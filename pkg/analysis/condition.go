package analysis

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/expr-lang/expr"

	"github.com/serin-dev/serin/pkg/apis/rollouts/v1alpha1"
)

// Evaluate decides a measurement from its result with the metric's conditions, evaluated
// as expr expressions over `result` (Argo Rollouts' semantics):
//   - neither condition set: Successful;
//   - only successCondition: Successful when it holds, else Failed;
//   - only failureCondition: Failed when it holds, else Successful;
//   - both: Failed when failureCondition holds (even if successCondition does too),
//     Successful when only successCondition holds, Inconclusive when neither holds.
//
// It also returns what was evaluated and what each condition gave, as recorded in the
// measurement. An expression that does not compile, does not give a bool, or fails at run
// time (e.g. result[0] on an empty vector) is an error naming the condition; the
// measurement is then Error, never a pass.
//
// Besides expr's built-ins (len, all, any, none, filter, map, sum, max, min, abs, ...),
// expressions may call isNaN(x), isInf(x), isNil(x), asInt(x), asFloat(x) and
// default(x, fallback).
func Evaluate(result any, successCondition, failureCondition string) (v1alpha1.AnalysisPhase, string, error) {
	var success, failure bool
	var texts []string
	for _, c := range []struct {
		kind, expr string
		out        *bool
	}{{"successCondition", successCondition, &success}, {"failureCondition", failureCondition, &failure}} {
		if c.expr == "" {
			continue
		}
		ok, err := evalCondition(c.expr, result)
		if err != nil {
			return v1alpha1.AnalysisPhaseError, "", fmt.Errorf("%s %q: %w", c.kind, c.expr, err)
		}
		*c.out = ok
		texts = append(texts, fmt.Sprintf("%s %q is %t", c.kind, c.expr, ok))
	}
	text := joinTexts(texts)
	switch {
	case successCondition == "" && failureCondition == "":
		return v1alpha1.AnalysisPhaseSuccessful, "no condition", nil
	case failure:
		return v1alpha1.AnalysisPhaseFailed, text, nil
	case successCondition == "":
		return v1alpha1.AnalysisPhaseSuccessful, text, nil
	case success:
		return v1alpha1.AnalysisPhaseSuccessful, text, nil
	case failureCondition == "":
		return v1alpha1.AnalysisPhaseFailed, text, nil
	}
	return v1alpha1.AnalysisPhaseInconclusive, text, nil
}

func joinTexts(texts []string) string {
	out := ""
	for i, t := range texts {
		if i > 0 {
			out += "; "
		}
		out += t
	}
	return out
}

func evalCondition(condition string, result any) (bool, error) {
	env := conditionEnv(result)
	program, err := expr.Compile(condition, expr.Env(env), expr.AsBool())
	if err != nil {
		return false, firstLine(err)
	}
	out, err := expr.Run(program, env)
	if err != nil {
		return false, firstLine(err)
	}
	b, ok := out.(bool)
	if !ok {
		return false, fmt.Errorf("gave %T, not a bool", out)
	}
	return b, nil
}

// conditionEnv is what a condition can refer to: result and the helper functions.
func conditionEnv(result any) map[string]any {
	return map[string]any{
		"result":  result,
		"isNaN":   func(v any) (bool, error) { f, err := asFloat(v); return err == nil && math.IsNaN(f), err },
		"isInf":   func(v any) (bool, error) { f, err := asFloat(v); return err == nil && math.IsInf(f, 0), err },
		"isNil":   func(v any) bool { return v == nil },
		"asInt":   asInt,
		"asFloat": asFloat,
		"default": func(v, fallback any) any {
			if v == nil {
				return fallback
			}
			return v
		},
	}
}

// firstLine keeps expr's message and drops the source excerpt it prints below it, so that
// a status message stays on one line.
func firstLine(err error) error {
	msg := err.Error()
	if i := strings.IndexByte(msg, '\n'); i >= 0 {
		return errors.New(strings.TrimSpace(msg[:i]))
	}
	return err
}

var errNotNumber = errors.New("not a number")

func asFloat(v any) (float64, error) {
	switch n := v.(type) {
	case float64:
		return n, nil
	case float32:
		return float64(n), nil
	case int:
		return float64(n), nil
	case int64:
		return float64(n), nil
	case int32:
		return float64(n), nil
	case string:
		f, err := strconv.ParseFloat(n, 64)
		if err != nil {
			return 0, fmt.Errorf("asFloat(%q): %w", n, errNotNumber)
		}
		return f, nil
	}
	return 0, fmt.Errorf("asFloat(%v): %T is %w", v, v, errNotNumber)
}

func asInt(v any) (int, error) {
	switch n := v.(type) {
	case int:
		return n, nil
	case int64:
		return int(n), nil
	case int32:
		return int(n), nil
	case float64:
		if n != math.Trunc(n) {
			return 0, fmt.Errorf("asInt(%v): not a whole number", n)
		}
		return int(n), nil
	case string:
		i, err := strconv.Atoi(n)
		if err != nil {
			return 0, fmt.Errorf("asInt(%q): %w", n, errNotNumber)
		}
		return i, nil
	}
	return 0, fmt.Errorf("asInt(%v): %T is %w", v, v, errNotNumber)
}

// CheckCondition reports whether a successCondition or failureCondition compiles, before
// any result exists: its {{args.NAME}} references are replaced by a number and `result`
// may be of any type. It catches syntax errors and unknown functions or variables, not
// type errors that depend on the result.
func CheckCondition(condition string) error {
	src := argPattern.ReplaceAllString(condition, "0")
	if _, err := expr.Compile(src, expr.Env(checkEnv{}), expr.AsBool()); err != nil {
		return firstLine(err)
	}
	return nil
}

// checkEnv is conditionEnv with result of unknown type, for CheckCondition.
type checkEnv struct {
	Result  any                        `expr:"result"`
	IsNaN   func(any) (bool, error)    `expr:"isNaN"`
	IsInf   func(any) (bool, error)    `expr:"isInf"`
	IsNil   func(any) bool             `expr:"isNil"`
	AsInt   func(any) (int, error)     `expr:"asInt"`
	AsFloat func(any) (float64, error) `expr:"asFloat"`
	Default func(v, fallback any) any  `expr:"default"`
}
