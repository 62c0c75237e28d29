package plan

import (
	"errors"
	"slices"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	"github.com/serin-dev/serin/pkg/apis/rollouts/v1alpha1"
	"github.com/serin-dev/serin/pkg/replicaset"
)

// described is what each action does, in order.
func described(actions []Action) []string {
	out := []string{}
	for _, a := range actions {
		out = append(out, a.Describe())
	}
	return out
}

func deleted(ro *v1alpha1.Rollout) {
	t := metav1.NewTime(t0)
	ro.DeletionTimestamp = &t
}

func withoutFinalizer(ro *v1alpha1.Rollout) { ro.Finalizers = nil }

// A Rollout being deleted gets its Services' selectors back to the user's (hash label
// out), then loses the Finalizer; nothing else is planned and the status stays.
func TestDeletionPlan(t *testing.T) {
	tests := map[string]struct {
		ro *v1alpha1.Rollout
		// selects is the hash each existing Service selects ("" for none); a Service of
		// the Rollout missing here does not exist.
		selects map[string]string
		want    []string
	}{
		"both selectors restored, then the finalizer": {
			ro:      rollout("web", withNginx(), deleted),
			selects: map[string]string{"web-stable": "abc", "web-canary": "def"},
			want: []string{"remove the hash from Service web-stable", "remove the hash from Service web-canary",
				"remove finalizer " + Finalizer},
		},
		"a selector already restored is left alone": {
			ro:      rollout("web", withNginx(), deleted),
			selects: map[string]string{"web-stable": "", "web-canary": "def"},
			want:    []string{"remove the hash from Service web-canary", "remove finalizer " + Finalizer},
		},
		"a Service that is gone has nothing to restore": {
			ro:      rollout("web", withNginx(), deleted),
			selects: map[string]string{"web-canary": "def"},
			want:    []string{"remove the hash from Service web-canary", "remove finalizer " + Finalizer},
		},
		"blue-green: active and preview": {
			ro:      rollout("web", blueGreen(), deleted),
			selects: map[string]string{"web-active": "abc", "web-preview": "abc"},
			want: []string{"remove the hash from Service web-active", "remove the hash from Service web-preview",
				"remove finalizer " + Finalizer},
		},
		"one Service for both roles is restored once": {
			ro: rollout("web", deleted, withCanary(func(c *v1alpha1.CanaryStrategy) {
				c.StableService, c.CanaryService = "web", "web"
			})),
			selects: map[string]string{"web": "abc"},
			want:    []string{"remove the hash from Service web", "remove finalizer " + Finalizer},
		},
		"without the finalizer there is nothing to do": {
			ro:      rollout("web", withNginx(), deleted, withoutFinalizer),
			selects: map[string]string{"web-stable": "abc", "web-canary": "def"},
			want:    []string{},
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			tc.ro.Status = v1alpha1.RolloutStatus{StableRS: "abc", CurrentPodHash: "def", Phase: v1alpha1.RolloutPhasePaused}
			in := Input{Rollout: tc.ro, Services: map[string]*corev1.Service{}, Now: t0,
				// The ReplicaSets of an unfinished update: a live Rollout would scale them.
				ReplicaSets: []*appsv1.ReplicaSet{newReplicaSet(tc.ro, "abc", 1, 1), newReplicaSet(tc.ro, "def", 2, 4)},
				Traffic:     &TrafficState{CanaryWeight: 20}}
			for svc, hash := range tc.selects {
				sel := map[string]string{"app": "web"}
				if hash != "" {
					sel[v1alpha1.DefaultRolloutUniqueLabelKey] = hash
				}
				in.Services[svc] = &corev1.Service{ObjectMeta: metav1.ObjectMeta{Name: svc}, Spec: corev1.ServiceSpec{Selector: sel}}
			}
			p := Next(in)
			if got := described(p.Actions); !slices.Equal(got, tc.want) {
				t.Errorf("actions %q, want %q", got, tc.want)
			}
			if !equalStatus(p.Status, tc.ro.Status) || len(p.Events) != 0 || p.RequeueAfter != 0 {
				t.Errorf("status %+v, events %v, requeue %v: want the status unchanged, no event, no requeue",
					p.Status, p.Events, p.RequeueAfter)
			}
		})
	}
}

func equalStatus(a, b v1alpha1.RolloutStatus) bool {
	return a.Phase == b.Phase && a.StableRS == b.StableRS && a.CurrentPodHash == b.CurrentPodHash &&
		len(a.Conditions) == len(b.Conditions) && a.ObservedGeneration == b.ObservedGeneration
}

// The Finalizer is added, as the very first action, to a Rollout that names a Service
// (whose selector the controller changes) and does not have it — a blocked one too.
func TestFinalizerAdded(t *testing.T) {
	noServices := withCanary(func(c *v1alpha1.CanaryStrategy) { c.StableService, c.CanaryService = "", "" })
	tests := map[string]struct {
		ro      *v1alpha1.Rollout
		mutate  func(*sim)
		wantAdd bool
	}{
		"canary with Services":              {ro: rollout("web", withNginx(), withoutFinalizer), wantAdd: true},
		"canary with only a stable Service": {ro: rollout("web", withoutFinalizer, withCanary(func(c *v1alpha1.CanaryStrategy) { c.StableService = "web-stable" })), wantAdd: true},
		"blue-green":                        {ro: rollout("web", blueGreen(), withoutFinalizer), wantAdd: true},
		"already there":                     {ro: rollout("web", withNginx()), wantAdd: false},
		"no Service named":                  {ro: rollout("web", noServices, withoutFinalizer), wantAdd: false},
		"blocked by a missing Service": {ro: rollout("web", withNginx(), withoutFinalizer),
			mutate: func(s *sim) { delete(s.svcs, "web-stable") }, wantAdd: true},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			s := newSim(t, tc.ro)
			if tc.mutate != nil {
				tc.mutate(s)
			}
			p := Next(s.input())
			adds := slices.IndexFunc(p.Actions, func(a Action) bool { return a.AddFinalizer != nil })
			switch {
			case tc.wantAdd && (adds != 0 || *p.Actions[0].AddFinalizer != Finalizer):
				t.Errorf("actions %q, want add finalizer %s first", described(p.Actions), Finalizer)
			case !tc.wantAdd && adds >= 0:
				t.Errorf("actions %q, want no finalizer added", described(p.Actions))
			}
			if tc.wantAdd {
				// Once it is there the plan never asks again.
				s.sync()
				if p := Next(s.input()); slices.ContainsFunc(p.Actions, func(a Action) bool { return a.AddFinalizer != nil }) {
					t.Errorf("finalizer asked for again: %q", described(p.Actions))
				}
			}
		})
	}
}

// A ReplicaSet that holds the new ReplicaSet's name and is not the Rollout's moves the
// Rollout to the next collision count, with a Warning; nothing else is written. An orphan
// of the new hash holding the name is adopted instead.
func TestCollisionWithAForeignReplicaSet(t *testing.T) {
	tests := map[string]struct {
		count       *int32 // status.collisionCount before
		orphan      bool   // the holder has no controller and the selector selects it
		wantCount   int32  // 0: no collision
		wantActions []string
	}{
		"a stranger holds the name":            {wantCount: 1, wantActions: []string{}},
		"a second collision":                   {count: int32p(1), wantCount: 2, wantActions: []string{}},
		"an orphan of the new hash is adopted": {orphan: true, wantCount: 0},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			ro := rollout("web", withNginx())
			ro.Status.CollisionCount = tc.count
			hash := replicaset.PodTemplateHash(&ro.Spec.Template, tc.count)
			holder := newReplicaSet(ro, hash, 1, 1)
			holder.OwnerReferences = nil
			if !tc.orphan {
				holder.Labels = map[string]string{"app": "other"}
				holder.OwnerReferences = []metav1.OwnerReference{{Name: "other", UID: "uid-other", Controller: ptr.To(true)}}
			}
			if got := NewReplicaSetName(ro); got != holder.Name {
				t.Fatalf("NewReplicaSetName = %s, want %s", got, holder.Name)
			}
			s := newSim(t, ro)
			in := s.input()
			in.NameTakenBy = holder
			if tc.orphan {
				in.Orphans = []*appsv1.ReplicaSet{holder}
			}
			p := Next(in)
			if tc.wantCount == 0 {
				if p.Status.CollisionCount != nil || len(p.Actions) == 0 || p.Actions[0].AdoptReplicaSet == nil {
					t.Errorf("collisionCount %v, actions %q: want the orphan adopted", p.Status.CollisionCount, described(p.Actions))
				}
				return
			}
			if got := p.Status.CollisionCount; got == nil || *got != tc.wantCount {
				t.Errorf("collisionCount = %v, want %d", got, tc.wantCount)
			}
			if got := described(p.Actions); !slices.Equal(got, tc.wantActions) {
				t.Errorf("actions %q, want %q", got, tc.wantActions)
			}
			if len(p.Events) != 1 || p.Events[0].Type != corev1.EventTypeWarning || p.Events[0].Reason != v1alpha1.ReasonHashCollision {
				t.Errorf("events %+v, want one %s Warning", p.Events, v1alpha1.ReasonHashCollision)
			}
			if p.RequeueAfter <= 0 {
				t.Error("no requeue: the next hash waits for an event that may never come")
			}
			next := replicaset.PodTemplateHash(&ro.Spec.Template, p.Status.CollisionCount)
			if next == hash || p.Status.CurrentPodHash == hash {
				t.Errorf("status still on hash %s", hash)
			}
		})
	}
}

// A failed traffic write is a TrafficRoutingError Warning carrying the router's error;
// no other action carries a failure event.
func TestFailureEvents(t *testing.T) {
	s := newSim(t, rollout("web", withNginx(), withSteps(setWeight(20), pause())))
	s.settle()
	s.setImage("v2")
	var traffic int
	for range 5 {
		p := s.sync()
		for _, a := range p.Actions {
			switch {
			case a.SetTraffic != nil:
				traffic++
				want := Event{Type: corev1.EventTypeWarning, Reason: v1alpha1.ReasonTrafficRoutingError}
				if a.OnFailure == nil || *a.OnFailure != want {
					t.Errorf("%s: OnFailure %+v, want %+v", a.Describe(), a.OnFailure, want)
				}
			case a.OnFailure != nil:
				t.Errorf("%s: OnFailure %+v, want none", a.Describe(), a.OnFailure)
			}
		}
		s.podsUp()
	}
	if traffic == 0 {
		t.Fatal("no traffic write planned")
	}

	tests := map[string]struct {
		event Event
		want  string
	}{
		"the error is the message": {Event{Reason: "R"}, "ingress trouble"},
		"after the plan's message": {Event{Reason: "R", Message: "weight 20"}, "weight 20: ingress trouble"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			if got := tc.event.Because(errors.New("ingress trouble")); got.Message != tc.want || got.Reason != "R" {
				t.Errorf("Because = %+v, want message %q", got, tc.want)
			}
		})
	}
}
