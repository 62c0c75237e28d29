package main

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/serin-dev/serin/pkg/apis/rollouts/v1alpha1"
)

// failFastFields are the keys of --fail-fast, spec.failFast's field names, with their
// least value (the CRD's minimum).
var failFastFields = map[string]struct {
	min   int32
	field func(*v1alpha1.FailFast) **int32
}{
	"imagePullSeconds":     {0, func(f *v1alpha1.FailFast) **int32 { return &f.ImagePullSeconds }},
	"configErrorSeconds":   {0, func(f *v1alpha1.FailFast) **int32 { return &f.ConfigErrorSeconds }},
	"restarts":             {1, func(f *v1alpha1.FailFast) **int32 { return &f.Restarts }},
	"unschedulableSeconds": {0, func(f *v1alpha1.FailFast) **int32 { return &f.UnschedulableSeconds }},
}

// parseFailFast reads --fail-fast, "key=value,..." with the keys of spec.failFast
// (e.g. "imagePullSeconds=60,restarts=3"); "" is no default.
func parseFailFast(s string) (*v1alpha1.FailFast, error) {
	if strings.TrimSpace(s) == "" {
		return nil, nil
	}
	ff := &v1alpha1.FailFast{}
	for _, kv := range strings.Split(s, ",") {
		key, value, ok := strings.Cut(strings.TrimSpace(kv), "=")
		f, known := failFastFields[key]
		if !ok || !known {
			return nil, fmt.Errorf("--fail-fast: %q is not key=value with a key of imagePullSeconds, configErrorSeconds, restarts, unschedulableSeconds", kv)
		}
		n, err := strconv.ParseInt(value, 10, 32)
		if err != nil || int32(n) < f.min {
			return nil, fmt.Errorf("--fail-fast: %s must be an integer of at least %d, not %q", key, f.min, value)
		}
		v := int32(n)
		*f.field(ff) = &v
	}
	return ff, nil
}
