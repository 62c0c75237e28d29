package web

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"

	"github.com/serin-dev/serin/pkg/analysis/provider"
	"github.com/serin-dev/serin/pkg/apis/rollouts/v1alpha1"
)

func TestSelect(t *testing.T) {
	doc := `{"data":{"ok":true,"rate":0.25,"name":"canary","series":[{"v":1},{"v":2}]}}`
	tests := map[string]struct {
		path      string
		wantData  any
		wantValue string
		wantErr   string
	}{
		"number":          {path: "{$.data.rate}", wantData: 0.25, wantValue: "0.25"},
		"bool":            {path: "{$.data.ok}", wantData: true, wantValue: "true"},
		"string":          {path: "{.data.name}", wantData: "canary", wantValue: `"canary"`},
		"several matches": {path: "{$.data.series[*].v}", wantData: []any{1.0, 2.0}, wantValue: "[1,2]"},
		"whole document":  {path: "", wantValue: `{"data":{"name":"canary","ok":true,"rate":0.25,"series":[{"v":1},{"v":2}]}}`},
		"missing field":   {path: "{$.data.nope}", wantErr: "nope is not found"},
		"bad expression":  {path: "{$.data[", wantErr: `jsonPath "{$.data["`},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			data, value, err := Select([]byte(doc), tc.path)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("error %v, want one containing %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if value != tc.wantValue {
				t.Errorf("value %s, want %s", value, tc.wantValue)
			}
			if tc.wantData != nil && !reflect.DeepEqual(data, tc.wantData) {
				t.Errorf("data %#v, want %#v", data, tc.wantData)
			}
		})
	}
}

func TestSelectNotJSON(t *testing.T) {
	if _, _, err := Select([]byte("<html>"), "{$.a}"); err == nil || !strings.Contains(err.Error(), "not JSON") {
		t.Fatalf("error %v, want 'not JSON'", err)
	}
}

func TestMeasureRequest(t *testing.T) {
	var gotMethod, gotBody, gotHeader, gotType string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		gotMethod, gotBody, gotHeader, gotType = r.Method, string(b), r.Header.Get("X-Token"), r.Header.Get("Content-Type")
		if r.URL.Path == "/fail" {
			http.Error(w, "boom", http.StatusInternalServerError)
			return
		}
		fmt.Fprint(w, `{"ratio":0.97}`)
	}))
	defer srv.Close()

	m := &v1alpha1.Metric{Name: "m", Provider: v1alpha1.MetricProvider{Web: &v1alpha1.WebMetric{
		Method: "POST", URL: srv.URL + "/q", JSONBody: json.RawMessage(`{"q":"x"}`), JSONPath: "{$.ratio}",
		Headers: []v1alpha1.WebMetricHeader{{Key: "X-Token", Value: "s3cret"}},
	}}}
	res := New().Measure(context.Background(), provider.Request{Metric: m})
	if res.Err != nil {
		t.Fatal(res.Err)
	}
	if res.Data != 0.97 || res.Value != "0.97" || res.Query != "POST "+srv.URL+"/q" {
		t.Errorf("result %#v %q %q", res.Data, res.Value, res.Query)
	}
	if gotMethod != "POST" || gotBody != `{"q":"x"}` || gotHeader != "s3cret" || gotType != "application/json" {
		t.Errorf("server got %s %q X-Token=%q Content-Type=%q", gotMethod, gotBody, gotHeader, gotType)
	}

	m.Provider.Web = &v1alpha1.WebMetric{URL: srv.URL + "/fail", JSONPath: "{$.ratio}"}
	res = New().Measure(context.Background(), provider.Request{Metric: m})
	if res.Err == nil || !strings.Contains(res.Err.Error(), "HTTP 500: boom") || gotMethod != "GET" {
		t.Errorf("error %v (method %s), want HTTP 500 from a GET", res.Err, gotMethod)
	}
}
