// Package logging carries the logger of one reconcile in its context, so that code deep
// in the call chain (a traffic router, a metric provider) logs with the keys of the
// object being reconciled (rollout, namespace, generation; or analysisrun, namespace)
// without a logger parameter.
//
// The controller runner puts an entry keyed by the object into the context of each sync;
// a sync may add fields (e.g. the generation) and put the richer entry back with Into.
package logging

import (
	"context"

	"github.com/sirupsen/logrus"
)

type entryKey struct{}

// Into returns a copy of ctx that carries entry.
func Into(ctx context.Context, entry *logrus.Entry) context.Context {
	return context.WithValue(ctx, entryKey{}, entry)
}

// From returns the entry ctx carries, or an entry of logrus' standard logger when it
// carries none (a test, or a call from outside a reconcile).
func From(ctx context.Context) *logrus.Entry {
	if e, ok := ctx.Value(entryKey{}).(*logrus.Entry); ok && e != nil {
		return e
	}
	return logrus.NewEntry(logrus.StandardLogger())
}
