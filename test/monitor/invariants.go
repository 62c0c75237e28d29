package monitor

import (
	"fmt"
	"sort"
)

// Invariant is one safety rule checked after every replayed change. Check returns the
// objects breaking it in s, by subject (what is wrong, e.g. a Service's key) with a
// description; ch is the change just replayed, for the rules about moves.
type Invariant struct {
	Name  string
	Check func(s *State, ch Change) map[string]string
}

// Change is the change just replayed: the object's kind and key.
type Change struct {
	Kind string
	Key  Key
}

// Invariants are the safety invariants of docs/design.md the monitor checks.
var Invariants = []Invariant{
	{Name: "traffic-to-available-canary", Check: trafficToAvailable},       // invariant 1
	{Name: "stable-serves", Check: stableServes},                           // invariant 2
	{Name: "stable-moves-to-full-revision", Check: stableMovesToFull},      // invariants 2 and 4
	{Name: "one-replicaset-per-template", Check: oneReplicaSetPerTemplate}, // invariant 5
	{Name: "abort-weight-before-selector", Check: abortWeightFirst},        // invariant 3
}

// trafficToAvailable: a canary weight above 0 only while the Service it goes to selects
// a pod Ready and not being deleted, and the ReplicaSet of the revision it selects
// reports one available.
func trafficToAvailable(s *State, _ Change) map[string]string {
	bad := map[string]string{}
	for k, r := range s.Routes {
		if r.Weight == 0 {
			continue
		}
		svc := s.Services[Key{k.Namespace, r.Service}]
		if svc == nil {
			bad[k.String()] = fmt.Sprintf("weight %d to Service %s, which does not exist", r.Weight, r.Service)
			continue
		}
		hash := svc.Selector[HashLabel]
		owner, _ := s.rolloutOfService(k.Namespace, r.Service, false)
		rs := s.replicaSetOf(k.Namespace, owner, hash)
		pods := s.servingPods(k.Namespace, svc.Selector)
		switch {
		case pods == 0:
			bad[k.String()] = fmt.Sprintf("weight %d to Service %s selecting %q, which has no pod Ready", r.Weight, r.Service, hash)
		case rs == nil || rs.Available == 0:
			bad[k.String()] = fmt.Sprintf("weight %d to Service %s selecting %q, whose ReplicaSet reports no pod available", r.Weight, r.Service, hash)
		}
	}
	return bad
}

// stableServes: a stable Service that once selected a pod Ready and not being deleted
// always selects one (it records in s.Served which have).
func stableServes(s *State, _ Change) map[string]string {
	bad := map[string]string{}
	for k, ro := range s.Rollouts {
		if ro.StableService == "" {
			continue
		}
		sk := Key{k.Namespace, ro.StableService}
		svc := s.Services[sk]
		if svc == nil || svc.Selector[HashLabel] == "" {
			continue // not yet Serin's
		}
		if s.servingPods(k.Namespace, svc.Selector) > 0 {
			s.Served[sk] = true
		} else if s.Served[sk] {
			bad[sk.String()] = fmt.Sprintf("stable Service of Rollout %s selects %q, which has no pod Ready", k.Name, svc.Selector[HashLabel])
		}
	}
	return bad
}

// stableMovesToFull: the stable Service moves from one revision to another only once
// every replica of the new one is available. (Its first revision it selects at once.)
func stableMovesToFull(s *State, ch Change) map[string]string {
	if ch.Kind != "Service" {
		return nil
	}
	svc := s.Services[ch.Key]
	if svc == nil {
		return nil
	}
	hash := svc.Selector[HashLabel]
	if hash == "" || svc.PrevHash == "" || hash == svc.PrevHash {
		return nil
	}
	name, ro := s.rolloutOfService(ch.Key.Namespace, ch.Key.Name, true)
	if ro == nil {
		return nil
	}
	rs := s.replicaSetOf(ch.Key.Namespace, name, hash)
	if rs == nil || rs.Available < ro.Replicas {
		avail := int32(0)
		if rs != nil {
			avail = rs.Available
		}
		return map[string]string{ch.Key.String(): fmt.Sprintf("stable Service of Rollout %s moved from %q to %q, which has %d of %d pods available",
			name, svc.PrevHash, hash, avail, ro.Replicas)}
	}
	return nil
}

// oneReplicaSetPerTemplate: no two ReplicaSets not being deleted share one Rollout and
// one pod template.
func oneReplicaSetPerTemplate(s *State, _ Change) map[string]string {
	type template struct{ namespace, owner, spec string }
	seen := map[template][]string{}
	for k, rs := range s.ReplicaSets {
		if rs.Deleting || rs.Owner == "" {
			continue
		}
		id := template{k.Namespace, rs.Owner, rs.Template}
		seen[id] = append(seen[id], k.Name)
	}
	bad := map[string]string{}
	for id, names := range seen {
		if len(names) > 1 {
			sort.Strings(names)
			bad[id.namespace+"/"+names[0]] = fmt.Sprintf("ReplicaSets %v of Rollout %s run one template", names, id.owner)
		}
	}
	return bad
}

// abortWeightFirst: while a Rollout is aborted, its canary Service moves only once no
// weight goes to it.
func abortWeightFirst(s *State, ch Change) map[string]string {
	if ch.Kind != "Service" {
		return nil
	}
	svc := s.Services[ch.Key]
	if svc == nil || svc.PrevHash == "" || svc.Selector[HashLabel] == svc.PrevHash {
		return nil
	}
	name, ro := s.rolloutOfService(ch.Key.Namespace, ch.Key.Name, false)
	if ro == nil || !ro.Aborted {
		return nil
	}
	if w := s.weightTo(ch.Key.Namespace, ch.Key.Name); w > 0 {
		return map[string]string{ch.Key.String(): fmt.Sprintf("canary Service of aborted Rollout %s moved from %q to %q while weight %d went to it",
			name, svc.PrevHash, svc.Selector[HashLabel], w)}
	}
	return nil
}

func (k Key) String() string { return k.Namespace + "/" + k.Name }
