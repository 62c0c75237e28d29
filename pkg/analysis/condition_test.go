package analysis

import (
	"math"
	"strings"
	"testing"

	"github.com/serin-dev/serin/pkg/apis/rollouts/v1alpha1"
)

func TestEvaluate(t *testing.T) {
	const (
		ok      = v1alpha1.AnalysisPhaseSuccessful
		failed  = v1alpha1.AnalysisPhaseFailed
		unknown = v1alpha1.AnalysisPhaseInconclusive
		errored = v1alpha1.AnalysisPhaseError
	)
	tests := map[string]struct {
		result           any
		success, failure string
		want             v1alpha1.AnalysisPhase
		wantErr          string
	}{
		"vector passes":                {result: []float64{0.99}, success: "result[0] >= 0.95", want: ok},
		"vector fails, no failure set": {result: []float64{0.5}, success: "result[0] >= 0.95", want: failed},
		"only failure, not holding":    {result: []float64{0.01}, failure: "result[0] > 0.05", want: ok},
		"only failure, holding":        {result: []float64{0.2}, failure: "result[0] > 0.05", want: failed},
		"neither holds: inconclusive":  {result: []float64{0.9}, success: "result[0] >= 0.95", failure: "result[0] < 0.8", want: unknown},
		"both hold: failure wins":      {result: 1.0, success: "result > 0", failure: "result > 0.5", want: failed},
		"no condition":                 {result: 3.0, want: ok},
		"scalar":                       {result: 0.97, success: "result >= 0.95", want: ok},
		"multiple series, all":         {result: []float64{0.99, 0.96}, success: "all(result, {# >= 0.95})", want: ok},
		"multiple series, one bad":     {result: []float64{0.99, 0.5}, success: "all(result, {# >= 0.95})", want: failed},
		"multiple series, any":         {result: []float64{0.1, 0.99}, success: "any(result, {# >= 0.95})", want: ok},
		"len":                          {result: []float64{1, 2}, success: "len(result) == 2", want: ok},
		"NaN compares false":           {result: []float64{math.NaN()}, success: "result[0] >= 0.95", failure: "result[0] < 0.95", want: unknown},
		"isNaN":                        {result: []float64{math.NaN()}, failure: "isNaN(result[0])", want: failed},
		"isNaN on a number":            {result: []float64{0.5}, success: "!isNaN(result[0])", want: ok},
		"isInf":                        {result: math.Inf(1), failure: "isInf(result)", want: failed},
		"asInt of a string":            {result: "42", success: "asInt(result) == 42", want: ok},
		"asFloat of a string":          {result: "0.5", success: "asFloat(result) < 1", want: ok},
		"default of nil":               {result: nil, success: "default(result, 1) == 1", want: ok},
		"web bool":                     {result: true, success: "result == true", want: ok},
		"empty vector, len test":       {result: []float64{}, success: "len(result) > 0 && result[0] > 0", want: failed},
		"empty vector, index: error": {result: []float64{}, success: "result[0] >= 0.95", want: errored,
			wantErr: `successCondition "result[0] >= 0.95": index out of range: 0 (array length is 0) (1:7)`},
		"type error: list vs number": {result: []float64{0.5}, success: "result >= 0.95", want: errored,
			wantErr: `successCondition "result >= 0.95": invalid operation: >= (mismatched types []float64 and float64)`},
		"not a bool": {result: 1.0, failure: "result + 1", want: errored,
			wantErr: `failureCondition "result + 1": expected bool, but got float64`},
		"syntax error": {result: 1.0, success: "result >=", want: errored,
			wantErr: `successCondition "result >="`},
		"asInt of a word": {result: "abc", success: "asInt(result) > 1", want: errored,
			wantErr: `asInt("abc"): not a number`},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			got, text, err := Evaluate(tc.result, tc.success, tc.failure)
			if got != tc.want {
				t.Errorf("phase %s, want %s (text %q, err %v)", got, tc.want, text, err)
			}
			if tc.wantErr == "" && err != nil {
				t.Errorf("unexpected error %v", err)
			}
			if tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)) {
				t.Errorf("error %v, want one containing %q", err, tc.wantErr)
			}
		})
	}
}

func TestEvaluateRecordsWhatEachConditionGave(t *testing.T) {
	_, text, err := Evaluate([]float64{0.9}, "result[0] >= 0.95", "result[0] < 0.8")
	if err != nil {
		t.Fatal(err)
	}
	want := `successCondition "result[0] >= 0.95" is false; failureCondition "result[0] < 0.8" is false`
	if text != want {
		t.Errorf("text %q, want %q", text, want)
	}
}

func TestCheckCondition(t *testing.T) {
	for cond, want := range map[string]string{
		"result[0] >= 0.95":                       "",
		"result[0] >= {{args.threshold}}":         "",
		"all(result, {# < 1}) && len(result) > 0": "",
		"isNaN(result[0]) || result == nil":       "",
		"result[0] >=":                            "unexpected token EOF",
		"resutl[0] > 1":                           "unknown name resutl",
		"nosuch(result)":                          "unknown name nosuch",
	} {
		err := CheckCondition(cond)
		if (want == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), want)) {
			t.Errorf("CheckCondition(%q) = %v, want %q", cond, err, want)
		}
	}
}
