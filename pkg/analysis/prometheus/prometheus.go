// Package prometheus is the analysis provider that runs an instant PromQL query against a
// Prometheus server (metrics[].provider.prometheus).
//
// What the conditions see as `result`:
//   - an instant vector: a list of the sample values, one per series, in the order the
//     server returned them ([]float64), so `result[0] >= 0.95` reads the first series and
//     `all(result, {# < 0.01})` every series;
//   - an empty vector: an empty list. `result[0]` on it is an evaluation error, and the
//     measurement is Error (never a silent pass); use `len(result) == 0` to test for it;
//   - a scalar: the number itself (float64).
//
// A range vector (matrix) is refused with an error: a condition over it is ambiguous, and
// an instant query over a range function (rate, avg_over_time...) says what is meant.
package prometheus

import (
	"context"
	"crypto/tls"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/api"
	promv1 "github.com/prometheus/client_golang/api/prometheus/v1"
	"github.com/prometheus/common/model"
	"github.com/sirupsen/logrus"

	"github.com/serin-dev/serin/pkg/analysis/provider"
	"github.com/serin-dev/serin/pkg/apis/rollouts/v1alpha1"
	"github.com/serin-dev/serin/pkg/logging"
)

// DefaultTimeout is the query timeout when metrics[].provider.prometheus.timeout is unset.
const DefaultTimeout = 30 * time.Second

// Provider queries Prometheus servers; it holds no state between measurements.
type Provider struct{}

// New returns the prometheus provider.
func New() *Provider { return &Provider{} }

// Measure runs the metric's query at req.Now.
func (p *Provider) Measure(ctx context.Context, req provider.Request) provider.Result {
	pm := req.Metric.Provider.Prometheus
	if pm == nil {
		return provider.Result{Err: fmt.Errorf("metric %q has no prometheus provider", req.Metric.Name)}
	}
	res := provider.Result{Query: pm.Query}
	timeout := DefaultTimeout
	if pm.Timeout != nil {
		timeout = time.Duration(*pm.Timeout) * time.Second
	}
	rt, base := headerTransport(pm.Headers, pm.Insecure)
	// A transport per measurement (its TLS and headers are the metric's): close its
	// connections when done, or every measurement would leave one open.
	defer base.CloseIdleConnections()
	client, err := api.NewClient(api.Config{Address: pm.Address, RoundTripper: rt})
	if err != nil {
		res.Err = fmt.Errorf("prometheus address %q: %w", pm.Address, err)
		return res
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	value, warnings, err := promv1.NewAPI(client).Query(ctx, pm.Query, req.Now, promv1.WithTimeout(timeout))
	if err != nil {
		res.Err = fmt.Errorf("query %s: %w", pm.Address, err)
		return res
	}
	if len(warnings) > 0 {
		// Prometheus answered, with remarks on the query (e.g. not a counter).
		logging.From(ctx).WithFields(logrus.Fields{"metric": req.Metric.Name, "warnings": warnings}).Debug("prometheus query warnings")
	}
	res.Data, res.Value, res.Err = Convert(value)
	return res
}

// Terminate does nothing: a query is over when Measure returns.
func (p *Provider) Terminate(context.Context, provider.Request) error { return nil }

// Convert turns a query's value into what the conditions see as `result` and the text
// recorded in the measurement. See the package documentation for each type.
func Convert(v model.Value) (any, string, error) {
	switch v := v.(type) {
	case model.Vector:
		values := make([]float64, 0, len(v))
		for _, s := range v {
			values = append(values, float64(s.Value))
		}
		return values, FormatList(values), nil
	case *model.Scalar:
		f := float64(v.Value)
		return f, formatFloat(f), nil
	case model.Matrix:
		return nil, "", fmt.Errorf("the query returned a range vector (matrix) of %d series; use an instant query (e.g. rate(x[5m]) instead of x[5m])", len(v))
	case nil:
		return nil, "", fmt.Errorf("the query returned no value")
	default:
		return nil, "", fmt.Errorf("the query returned an unsupported value type %s", v.Type())
	}
}

// FormatList prints sample values as "[0.99,0.5]" ("[]" when empty).
func FormatList(values []float64) string {
	parts := make([]string, len(values))
	for i, f := range values {
		parts[i] = formatFloat(f)
	}
	return "[" + strings.Join(parts, ",") + "]"
}

func formatFloat(f float64) string { return strconv.FormatFloat(f, 'g', -1, 64) }

// headerTransport adds the metric's headers to every request; it also returns the
// underlying transport, whose idle connections the caller closes.
func headerTransport(headers []v1alpha1.WebMetricHeader, insecure bool) (http.RoundTripper, *http.Transport) {
	base := http.DefaultTransport.(*http.Transport).Clone()
	if insecure {
		base.TLSClientConfig = &tls.Config{InsecureSkipVerify: true} //nolint:gosec // the user asked for it
	}
	if len(headers) == 0 {
		return base, base
	}
	return roundTripFunc(func(r *http.Request) (*http.Response, error) {
		r = r.Clone(r.Context())
		for _, h := range headers {
			r.Header.Set(h.Key, h.Value)
		}
		return base.RoundTrip(r)
	}), base
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }
