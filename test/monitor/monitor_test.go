package monitor

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/watch"
)

// Builders of recorded changes in namespace "ns"; rv is the change's resourceVersion.

func obj(kind, apiVersion, name string, rv int, fields map[string]any) Event {
	o := map[string]any{"apiVersion": apiVersion, "kind": kind, "metadata": map[string]any{
		"name": name, "namespace": "ns", "resourceVersion": strconv.Itoa(rv)}}
	for k, v := range fields {
		if k == "metadata" {
			for mk, mv := range v.(map[string]any) {
				o["metadata"].(map[string]any)[mk] = mv
			}
			continue
		}
		o[k] = v
	}
	return Event{Type: watch.Modified, Object: &unstructured.Unstructured{Object: o}}
}

func gone(ev Event) Event { ev.Type = watch.Deleted; return ev }

func rollout(rv int, aborted bool) Event {
	return obj("Rollout", "serin.dev/v1alpha1", "web", rv, map[string]any{
		"spec": map[string]any{"replicas": int64(2), "strategy": map[string]any{"canary": map[string]any{
			"stableService": "web-stable", "canaryService": "web-canary"}}},
		"status": map[string]any{"abort": aborted},
	})
}

func replicaSet(name, hash, image string, rv, replicas, available int) Event {
	return obj("ReplicaSet", "apps/v1", name, rv, map[string]any{
		"metadata": map[string]any{
			"labels":          map[string]any{HashLabel: hash},
			"ownerReferences": []any{map[string]any{"apiVersion": "serin.dev/v1alpha1", "kind": "Rollout", "name": "web", "uid": "u"}},
		},
		"spec": map[string]any{"replicas": int64(replicas), "template": map[string]any{
			"metadata": map[string]any{"labels": map[string]any{"app": "web", HashLabel: hash}},
			"spec":     map[string]any{"containers": []any{map[string]any{"name": "web", "image": image}}},
		}},
		"status": map[string]any{"availableReplicas": int64(available)},
	})
}

func pod(name, hash string, rv int, ready bool) Event {
	status := "False"
	if ready {
		status = "True"
	}
	return obj("Pod", "v1", name, rv, map[string]any{
		"metadata": map[string]any{"labels": map[string]any{"app": "web", HashLabel: hash}},
		"status":   map[string]any{"conditions": []any{map[string]any{"type": "Ready", "status": status}}},
	})
}

func service(name, hash string, rv int) Event {
	sel := map[string]any{"app": "web"}
	if hash != "" {
		sel[HashLabel] = hash
	}
	return obj("Service", "v1", name, rv, map[string]any{"spec": map[string]any{"selector": sel}})
}

func canaryIngress(rv, weight int) Event {
	return obj("Ingress", "networking.k8s.io/v1", "web-web-canary", rv, map[string]any{
		"metadata": map[string]any{"annotations": map[string]any{
			nginxCanary: "true", nginxWeight: strconv.Itoa(weight)}},
		"spec": map[string]any{"rules": []any{map[string]any{"http": map[string]any{"paths": []any{map[string]any{
			"path": "/", "pathType": "Prefix",
			"backend": map[string]any{"service": map[string]any{"name": "web-canary", "port": map[string]any{"number": int64(80)}}},
		}}}}}},
	})
}

// steady is a Rollout at revision "a", 2 pods Ready, both Services on it, weight 0, up
// to resourceVersion 9.
func steady(aborted bool) []Event {
	return []Event{
		rollout(1, aborted), replicaSet("web-a", "a", "web:1", 2, 2, 2), pod("web-a-1", "a", 3, true),
		pod("web-a-2", "a", 4, true), service("web-stable", "a", 5), service("web-canary", "a", 6),
		canaryIngress(7, 0),
	}
}

// canaryUp brings revision "b" up with one Ready pod (resourceVersions 10-13).
func canaryUp() []Event {
	return []Event{
		replicaSet("web-b", "b", "web:2", 10, 1, 0), pod("web-b-1", "b", 11, true),
		replicaSet("web-b", "b", "web:2", 12, 1, 1), service("web-canary", "b", 13),
	}
}

func TestCheck(t *testing.T) {
	tests := map[string]struct {
		events []Event
		want   []string // invariant names, in the order broken
	}{
		"a canary step done right": {
			events: slices.Concat(steady(false), canaryUp(), []Event{canaryIngress(14, 50)}),
		},
		"weight before the canary pod is available": {
			events: slices.Concat(steady(false), []Event{
				replicaSet("web-b", "b", "web:2", 10, 1, 0), service("web-canary", "b", 11), canaryIngress(12, 50)}),
			want: []string{"traffic-to-available-canary"},
		},
		"the ReplicaSet says available, its pod is not Ready": {
			events: slices.Concat(steady(false), []Event{
				replicaSet("web-b", "b", "web:2", 10, 1, 1), pod("web-b-1", "b", 11, false),
				service("web-canary", "b", 12), canaryIngress(13, 20)}),
			want: []string{"traffic-to-available-canary"},
		},
		"the canary scaled down under traffic, reported once": {
			events: slices.Concat(steady(false), canaryUp(), []Event{canaryIngress(14, 50),
				replicaSet("web-b", "b", "web:2", 15, 0, 1), gone(pod("web-b-1", "b", 16, true)),
				replicaSet("web-b", "b", "web:2", 17, 0, 0), canaryIngress(18, 0)}),
			want: []string{"traffic-to-available-canary"},
		},
		"promotion moves the stable Service to a full revision": {
			events: slices.Concat(steady(false), canaryUp(), []Event{
				replicaSet("web-b", "b", "web:2", 14, 2, 1), pod("web-b-2", "b", 15, true),
				replicaSet("web-b", "b", "web:2", 16, 2, 2), service("web-stable", "b", 17), canaryIngress(18, 0)}),
		},
		"the stable Service moves to a revision half available": {
			events: slices.Concat(steady(false), canaryUp(), []Event{service("web-stable", "b", 14)}),
			want:   []string{"stable-moves-to-full-revision"},
		},
		"the stable revision loses its pods": {
			events: slices.Concat(steady(false), []Event{gone(pod("web-a-1", "a", 10, true)), gone(pod("web-a-2", "a", 11, true))}),
			want:   []string{"stable-serves"},
		},
		"a first deployment selects its revision before its pods are up": {
			events: []Event{
				rollout(1, false), service("web-stable", "", 2), service("web-canary", "", 3),
				replicaSet("web-a", "a", "web:1", 4, 2, 0), service("web-stable", "a", 5), service("web-canary", "a", 6),
				pod("web-a-1", "a", 7, false), pod("web-a-1", "a", 8, true), replicaSet("web-a", "a", "web:1", 9, 2, 1),
			},
		},
		"two ReplicaSets of one template": {
			events: slices.Concat(steady(false), []Event{replicaSet("web-a2", "a2", "web:1", 10, 1, 0)}),
			want:   []string{"one-replicaset-per-template"},
		},
		"abort takes the weight away first": {
			events: slices.Concat(steady(false), canaryUp(), []Event{canaryIngress(14, 50), rollout(15, true),
				canaryIngress(16, 0), service("web-canary", "a", 17)}),
		},
		"abort moves the canary Service under weight": {
			events: slices.Concat(steady(false), canaryUp(), []Event{canaryIngress(14, 50), rollout(15, true),
				service("web-canary", "a", 16), canaryIngress(17, 0)}),
			want: []string{"abort-weight-before-selector"},
		},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			vs, err := Check(tt.events)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, v := range vs {
				got = append(got, v.Invariant)
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("violations %v, want %v:\n%v", got, tt.want, vs)
			}
		})
	}
}

// The canary's ReplicaSet reports its pod available (resourceVersion 12) before the
// weight is written (13), but the two watches deliver the weight first: in arrival order
// the weight looks premature, in resourceVersion order (the order of the writes) it is not.
func TestCheckReplaysInResourceVersionOrder(t *testing.T) {
	events := slices.Concat(steady(false), []Event{
		replicaSet("web-b", "b", "web:2", 10, 1, 0), pod("web-b-1", "b", 11, true), service("web-canary", "b", 12),
		canaryIngress(14, 20), replicaSet("web-b", "b", "web:2", 13, 1, 1), // arrival order
	})
	vs, err := Check(events)
	if err != nil {
		t.Fatal(err)
	}
	if len(vs) != 0 {
		t.Errorf("in resourceVersion order: %v", vs)
	}
	vs, err = Default.checkInOrder(events)
	if err != nil {
		t.Fatal(err)
	}
	if len(vs) != 1 || vs[0].Invariant != "traffic-to-available-canary" || vs[0].RV != 14 {
		t.Errorf("in arrival order: want the weight at 14 flagged, got %v", vs)
	}
}

func TestViolationNamesTheWriter(t *testing.T) {
	events := slices.Concat(steady(false), canaryUp(), []Event{service("web-stable", "b", 14)})
	Attribute(events, []Write{{RV: 14, UserAgent: "serin-controller/b", Code: 200}, {RV: 13, UserAgent: "serin-controller/a", Code: 200}})
	vs, err := Check(events)
	if err != nil {
		t.Fatal(err)
	}
	if len(vs) != 1 || vs[0].Writer != "serin-controller/b" {
		t.Fatalf("violations %v", vs)
	}
	if s := fmt.Sprint(vs[0]); s == "" {
		t.Error("empty description")
	}
}

func TestWriteRecord(t *testing.T) {
	events := []Event{replicaSet("web-b", "b", "web:2", 12, 1, 1), service("web-canary", "b", 13), canaryIngress(14, 20), gone(pod("web-b-1", "b", 15, true))}
	events[2].Writer = "serin-controller/a"
	var b strings.Builder
	if err := Default.WriteRecord(&b, events); err != nil {
		t.Fatal(err)
	}
	want := `12 MODIFIED ReplicaSet ns/web-b [replicas=1 availableReplicas=1] by -
13 MODIFIED Service ns/web-canary [` + HashLabel + `=b] by -
14 MODIFIED Ingress ns/web-web-canary [canary-weight=20] by serin-controller/a
15 DELETED Pod ns/web-b-1 [` + HashLabel + `=b] by -
`
	if b.String() != want {
		t.Errorf("got\n%s\nwant\n%s", b.String(), want)
	}
}
