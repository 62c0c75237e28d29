package metrics

import (
	"context"
	"strings"
	"sync"

	clientmetrics "k8s.io/client-go/tools/metrics"
)

var registerClient sync.Once

// RegisterClientMetrics makes every client-go client in the process count its requests
// in m's serin_client_requests_total. client-go accepts one registration per process:
// only the first call has an effect.
func RegisterClientMetrics(m *Metrics) {
	registerClient.Do(func() {
		clientmetrics.Register(clientmetrics.RegisterOpts{
			RequestResult: requestResult{m},
		})
	})
}

// requestResult adapts client-go's request result hook to the counter.
type requestResult struct{ m *Metrics }

func (r requestResult) Increment(_ context.Context, code, method, host string) {
	r.m.clientRequests.WithLabelValues(code, strings.ToUpper(method), host).Inc()
}
