package prometheus

import (
	"context"
	"fmt"
	"math"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/serin-dev/serin/pkg/analysis/provider"
	"github.com/serin-dev/serin/pkg/apis/rollouts/v1alpha1"
)

// server answers /api/v1/query with body, and records the query and the headers it got.
func server(t *testing.T, body string) (*httptest.Server, *http.Request) {
	t.Helper()
	got := &http.Request{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := r.ParseForm(); err != nil {
			t.Error(err)
		}
		*got = *r.Clone(context.Background())
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, body)
	}))
	t.Cleanup(srv.Close)
	return srv, got
}

func measure(addr, query string, headers ...v1alpha1.WebMetricHeader) provider.Result {
	m := &v1alpha1.Metric{Name: "m", Provider: v1alpha1.MetricProvider{Prometheus: &v1alpha1.PrometheusMetric{
		Address: addr, Query: query, Headers: headers}}}
	return New().Measure(context.Background(), provider.Request{Metric: m, Now: time.Unix(1700000000, 0)})
}

func TestMeasureResultTypes(t *testing.T) {
	tests := map[string]struct {
		body      string
		wantData  any
		wantValue string
		wantErr   string
	}{
		"vector of two series": {
			body:     `{"status":"success","data":{"resultType":"vector","result":[{"metric":{"v":"a"},"value":[1700000000,"0.99"]},{"metric":{"v":"b"},"value":[1700000000,"0.5"]}]}}`,
			wantData: []float64{0.99, 0.5}, wantValue: "[0.99,0.5]",
		},
		"empty vector": {
			body:     `{"status":"success","data":{"resultType":"vector","result":[]}}`,
			wantData: []float64{}, wantValue: "[]",
		},
		"scalar": {
			body:     `{"status":"success","data":{"resultType":"scalar","result":[1700000000,"42"]}}`,
			wantData: 42.0, wantValue: "42",
		},
		"matrix refused": {
			body:    `{"status":"success","data":{"resultType":"matrix","result":[{"metric":{},"values":[[1700000000,"1"]]}]}}`,
			wantErr: "range vector (matrix) of 1 series",
		},
		"server error": {
			body:    `{"status":"error","errorType":"bad_data","error":"parse error at char 3"}`,
			wantErr: "parse error at char 3",
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			srv, _ := server(t, tc.body)
			res := measure(srv.URL, "up")
			if tc.wantErr != "" {
				if res.Err == nil || !strings.Contains(res.Err.Error(), tc.wantErr) {
					t.Fatalf("error %v, want one containing %q", res.Err, tc.wantErr)
				}
				return
			}
			if res.Err != nil {
				t.Fatal(res.Err)
			}
			if !reflect.DeepEqual(res.Data, tc.wantData) || res.Value != tc.wantValue {
				t.Errorf("got %#v %q, want %#v %q", res.Data, res.Value, tc.wantData, tc.wantValue)
			}
			if res.Query != "up" {
				t.Errorf("query %q, want up", res.Query)
			}
		})
	}
}

func TestMeasureNaNSample(t *testing.T) {
	srv, _ := server(t, `{"status":"success","data":{"resultType":"vector","result":[{"metric":{},"value":[1700000000,"NaN"]}]}}`)
	res := measure(srv.URL, "x")
	values, ok := res.Data.([]float64)
	if res.Err != nil || !ok || len(values) != 1 || !math.IsNaN(values[0]) || res.Value != "[NaN]" {
		t.Fatalf("got %#v %q %v, want [NaN]", res.Data, res.Value, res.Err)
	}
}

func TestMeasureSendsQueryAndHeaders(t *testing.T) {
	srv, got := server(t, `{"status":"success","data":{"resultType":"vector","result":[]}}`)
	res := measure(srv.URL, `sum(rate(x{a="b"}[1m]))`, v1alpha1.WebMetricHeader{Key: "Authorization", Value: "Bearer t0k"})
	if res.Err != nil {
		t.Fatal(res.Err)
	}
	if q := got.Form.Get("query"); q != `sum(rate(x{a="b"}[1m]))` {
		t.Errorf("server got query %q", q)
	}
	if h := got.Header.Get("Authorization"); h != "Bearer t0k" {
		t.Errorf("server got Authorization %q", h)
	}
}

func TestMeasureUnreachable(t *testing.T) {
	srv, _ := server(t, "")
	srv.Close()
	res := measure(srv.URL, "up")
	if res.Err == nil || !strings.Contains(res.Err.Error(), "query "+srv.URL) {
		t.Fatalf("error %v, want one naming the address", res.Err)
	}
}
