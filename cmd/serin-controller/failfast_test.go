package main

import (
	"strings"
	"testing"

	"k8s.io/utils/ptr"

	"github.com/serin-dev/serin/pkg/apis/rollouts/v1alpha1"
)

func TestParseFailFast(t *testing.T) {
	tests := map[string]struct {
		flag string
		want *v1alpha1.FailFast
		err  string
	}{
		"empty: no default": {flag: ""},
		"every key": {flag: "imagePullSeconds=60, configErrorSeconds=0,restarts=3,unschedulableSeconds=120",
			want: &v1alpha1.FailFast{ImagePullSeconds: ptr.To[int32](60), ConfigErrorSeconds: ptr.To[int32](0), Restarts: ptr.To[int32](3), UnschedulableSeconds: ptr.To[int32](120)}},
		"unknown key":     {flag: "pullSeconds=3", err: `"pullSeconds=3" is not key=value`},
		"no value":        {flag: "restarts", err: `"restarts" is not key=value`},
		"below the least": {flag: "restarts=0", err: "restarts must be an integer of at least 1"},
		"not a number":    {flag: "imagePullSeconds=1m", err: "imagePullSeconds must be an integer"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			got, err := parseFailFast(tc.flag)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("error %v, want %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if (got == nil) != (tc.want == nil) || got != nil && (*got.ImagePullSeconds != *tc.want.ImagePullSeconds ||
				*got.ConfigErrorSeconds != *tc.want.ConfigErrorSeconds || *got.Restarts != *tc.want.Restarts || *got.UnschedulableSeconds != *tc.want.UnschedulableSeconds) {
				t.Errorf("parseFailFast(%q) = %+v, want %+v", tc.flag, got, tc.want)
			}
		})
	}
}
