package validation

import (
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/serin-dev/serin/pkg/apis/rollouts/v1alpha1"
)

func TestPauseDuration(t *testing.T) {
	tests := map[string]struct {
		duration *intstr.IntOrString
		want     time.Duration
		wantErr  bool
	}{
		"no duration waits for promote": {duration: nil, want: 0},
		"int seconds":                   {duration: ptr(intstr.FromInt32(30)), want: 30 * time.Second},
		"string seconds without unit":   {duration: ptr(intstr.FromString("45")), want: 45 * time.Second},
		"seconds":                       {duration: ptr(intstr.FromString("30s")), want: 30 * time.Second},
		"minutes":                       {duration: ptr(intstr.FromString("5m")), want: 5 * time.Minute},
		"compound":                      {duration: ptr(intstr.FromString("1h30m")), want: 90 * time.Minute},
		"fraction":                      {duration: ptr(intstr.FromString("1.5h")), want: 90 * time.Minute},
		"negative int":                  {duration: ptr(intstr.FromInt32(-1)), wantErr: true},
		"negative string":               {duration: ptr(intstr.FromString("-5s")), wantErr: true},
		"unknown unit":                  {duration: ptr(intstr.FromString("5x")), wantErr: true},
		"days are not a Go unit":        {duration: ptr(intstr.FromString("1d")), wantErr: true},
		"empty string":                  {duration: ptr(intstr.FromString("")), wantErr: true},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			got, err := PauseDuration(&v1alpha1.RolloutPause{Duration: tc.duration})
			if (err != nil) != tc.wantErr {
				t.Fatalf("err = %v, wantErr %v", err, tc.wantErr)
			}
			if got != tc.want {
				t.Errorf("PauseDuration = %v, want %v", got, tc.want)
			}
		})
	}
}

func ptr[T any](v T) *T { return &v }
