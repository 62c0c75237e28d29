package logging

import (
	"context"
	"testing"

	"github.com/sirupsen/logrus"
)

func TestFrom(t *testing.T) {
	own := logrus.New().WithField("rollout", "web")
	tests := map[string]struct {
		ctx  context.Context
		want func(*logrus.Entry) bool
	}{
		"the entry put in": {
			ctx:  Into(context.Background(), own),
			want: func(e *logrus.Entry) bool { return e == own },
		},
		"inherited by a derived context": {
			ctx: func() context.Context {
				ctx, cancel := context.WithCancel(Into(context.Background(), own))
				cancel()
				return ctx
			}(),
			want: func(e *logrus.Entry) bool { return e.Data["rollout"] == "web" },
		},
		"none: the standard logger": {
			ctx:  context.Background(),
			want: func(e *logrus.Entry) bool { return e.Logger == logrus.StandardLogger() && len(e.Data) == 0 },
		},
		"a nil entry: the standard logger": {
			ctx:  Into(context.Background(), nil),
			want: func(e *logrus.Entry) bool { return e.Logger == logrus.StandardLogger() },
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			if got := From(tc.ctx); !tc.want(got) {
				t.Errorf("From gave %+v", got)
			}
		})
	}
}
