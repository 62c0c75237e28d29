package monitor

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"
)

// Three audit lines as kube-apiserver writes them (trimmed): a controller's patch of a
// ReplicaSet with its response, a refused update by another replica, and a read.
const auditLog = `{"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"RequestResponse","stage":"ResponseComplete","verb":"patch","userAgent":"serin-controller/a","objectRef":{"resource":"replicasets","namespace":"ns","name":"web-b","apiGroup":"apps","apiVersion":"v1"},"responseStatus":{"metadata":{},"code":200},"responseObject":{"kind":"ReplicaSet","metadata":{"name":"web-b","resourceVersion":"12"}},"requestReceivedTimestamp":"2026-12-06T11:00:01.250000Z","stageTimestamp":"2026-12-06T11:00:01.260000Z"}
{"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"RequestResponse","stage":"ResponseComplete","verb":"update","userAgent":"serin-controller/b","objectRef":{"resource":"services","namespace":"ns","name":"web-stable","apiVersion":"v1"},"responseStatus":{"metadata":{},"status":"Failure","reason":"Conflict","code":409},"responseObject":{"kind":"Status","metadata":{}},"requestReceivedTimestamp":"2026-12-06T11:00:02.500000Z","stageTimestamp":"2026-12-06T11:00:02.510000Z"}
{"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"Metadata","stage":"ResponseComplete","verb":"get","userAgent":"kubectl/v1.36.3","objectRef":{"resource":"pods","namespace":"ns","name":"p"},"responseStatus":{"code":200},"requestReceivedTimestamp":"2026-12-06T11:00:03Z"}
{"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"Metadata","stage":"ResponseComplete","verb":"patch","userAgent":"serin-controller/a","objectRef":{"resource":"rollouts","namespace":"ns","name":"web","apiGroup":"serin.dev","subresource":"status"},"responseStatus":{"code":200},"requestReceivedTimestamp":"2026-12-06T11:00:04Z"}
`

func TestReadAudit(t *testing.T) {
	path := filepath.Join(t.TempDir(), "audit.log")
	if err := os.WriteFile(path, []byte(auditLog), 0o644); err != nil {
		t.Fatal(err)
	}
	writes, err := ReadAudit(path)
	if err != nil {
		t.Fatal(err)
	}
	want := []Write{
		{Received: time.Date(2026, 12, 6, 11, 0, 1, 250e6, time.UTC), UserAgent: "serin-controller/a", Verb: "patch",
			Resource: "replicasets", Namespace: "ns", Name: "web-b", Code: 200, RV: 12},
		{Received: time.Date(2026, 12, 6, 11, 0, 2, 500e6, time.UTC), UserAgent: "serin-controller/b", Verb: "update",
			Resource: "services", Namespace: "ns", Name: "web-stable", Code: 409},
		{Received: time.Date(2026, 12, 6, 11, 0, 4, 0, time.UTC), UserAgent: "serin-controller/a", Verb: "patch",
			Resource: "rollouts/status", Namespace: "ns", Name: "web", Code: 200},
	}
	if !slices.EqualFunc(writes, want, func(a, b Write) bool { return a == b && a.Received.Equal(b.Received) }) {
		t.Errorf("writes\n%v\nwant\n%v", writes, want)
	}
	if got := WritesBy(writes, "serin-controller/a"); len(got) != 2 {
		t.Errorf("WritesBy a: %v", got)
	}
	if got := WritesBy(writes, "serin-controller"); len(got) != 3 {
		t.Errorf("WritesBy serin-controller: %v", got)
	}
	if writes[1].Succeeded() || !writes[0].Succeeded() {
		t.Error("Succeeded")
	}
	events := []Event{replicaSet("web-b", "b", "web:2", 12, 1, 1), service("web-stable", "b", 13)}
	if n := Attribute(events, writes); n != 1 || events[0].Writer != "serin-controller/a" || events[1].Writer != "" {
		t.Errorf("Attribute: %d, %+v", n, events)
	}
}
