// Package web is the analysis provider that calls an HTTP endpoint and reads a value from
// its JSON response (metrics[].provider.web).
//
// The request: method GET (default), POST or PUT; the metric's headers; body (or
// jsonBody, sent with Content-Type application/json); timeoutSeconds (default 10).
// A response outside 2xx is an error. The body is decoded as JSON; jsonPath (client-go's
// JSONPath syntax, e.g. "{$.data.ok}") selects the result: one match is the value itself
// (a number is float64, also `result` in conditions), several matches are a list. Without
// jsonPath the whole document is the result.
package web

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/sirupsen/logrus"
	"k8s.io/client-go/util/jsonpath"

	"github.com/serin-dev/serin/pkg/analysis/provider"
	"github.com/serin-dev/serin/pkg/logging"
)

// DefaultTimeout is the request timeout when timeoutSeconds is unset.
const DefaultTimeout = 10 * time.Second

// maxBody bounds how much of a response is read.
const maxBody = 1 << 20

// Provider calls web endpoints; it holds no state between measurements.
type Provider struct{}

// New returns the web provider.
func New() *Provider { return &Provider{} }

// Measure makes the metric's request and selects its result.
func (p *Provider) Measure(ctx context.Context, req provider.Request) provider.Result {
	wm := req.Metric.Provider.Web
	if wm == nil {
		return provider.Result{Err: fmt.Errorf("metric %q has no web provider", req.Metric.Name)}
	}
	method := string(wm.Method)
	if method == "" {
		method = http.MethodGet
	}
	res := provider.Result{Query: method + " " + wm.URL}
	timeout := DefaultTimeout
	if wm.TimeoutSeconds > 0 {
		timeout = time.Duration(wm.TimeoutSeconds) * time.Second
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()

	var body io.Reader
	contentType := ""
	switch {
	case len(wm.JSONBody) > 0:
		body, contentType = bytes.NewReader(wm.JSONBody), "application/json"
	case wm.Body != "":
		body = bytes.NewBufferString(wm.Body)
	}
	r, err := http.NewRequestWithContext(ctx, method, wm.URL, body)
	if err != nil {
		res.Err = fmt.Errorf("web request: %w", err)
		return res
	}
	if contentType != "" {
		r.Header.Set("Content-Type", contentType)
	}
	for _, h := range wm.Headers {
		r.Header.Set(h.Key, h.Value)
	}
	client := &http.Client{}
	if wm.Insecure {
		t := http.DefaultTransport.(*http.Transport).Clone()
		t.TLSClientConfig = &tls.Config{InsecureSkipVerify: true} //nolint:gosec // the user asked for it
		client.Transport = t
		defer t.CloseIdleConnections()
	}
	resp, err := client.Do(r)
	if err != nil {
		res.Err = fmt.Errorf("web %s: %w", res.Query, err)
		return res
	}
	defer resp.Body.Close()
	logging.From(ctx).WithFields(logrus.Fields{"metric": req.Metric.Name, "status": resp.StatusCode}).Debug("web response")
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	if err != nil {
		res.Err = fmt.Errorf("web %s: reading the response: %w", res.Query, err)
		return res
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		res.Err = fmt.Errorf("web %s: HTTP %d: %s", res.Query, resp.StatusCode, truncate(string(data), 200))
		return res
	}
	res.Data, res.Value, res.Err = Select(data, wm.JSONPath)
	return res
}

// Terminate does nothing: a request is over when Measure returns.
func (p *Provider) Terminate(context.Context, provider.Request) error { return nil }

// Select decodes a JSON document and picks the result with the JSONPath expression path
// (the whole document when path is empty). It returns the result and its JSON text.
func Select(data []byte, path string) (any, string, error) {
	var doc any
	if err := json.Unmarshal(data, &doc); err != nil {
		return nil, "", fmt.Errorf("the response is not JSON: %w (body %q)", err, truncate(string(data), 100))
	}
	if path == "" {
		return doc, compact(doc), nil
	}
	jp := jsonpath.New("metric")
	if err := jp.Parse(path); err != nil {
		return nil, "", fmt.Errorf("jsonPath %q: %w", path, err)
	}
	found, err := jp.FindResults(doc)
	if err != nil {
		return nil, "", fmt.Errorf("jsonPath %q: %w", path, err)
	}
	var values []any
	for _, group := range found {
		for _, v := range group {
			values = append(values, v.Interface())
		}
	}
	switch len(values) {
	case 0:
		return nil, "", fmt.Errorf("jsonPath %q matched nothing in %s", path, truncate(string(data), 100))
	case 1:
		return values[0], compact(values[0]), nil
	}
	return values, compact(values), nil
}

func compact(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
