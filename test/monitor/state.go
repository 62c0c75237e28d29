package monitor

// Key names an object in its namespace.
type Key struct{ Namespace, Name string }

// State is what the invariants read: the watched objects as they stood after the
// changes replayed so far, reduced to what the invariants need.
type State struct {
	Rollouts    map[Key]*Rollout
	ReplicaSets map[Key]*ReplicaSet
	Pods        map[Key]*Pod
	Services    map[Key]*Service
	Routes      map[Key]*Route // canary routes (nginx canary Ingresses; later HTTPRoutes)
	// Served are the stable Services that have selected a Ready pod: from then on they
	// must always (before, at a first deployment, there was nothing to serve).
	Served map[Key]bool
}

// Rollout is what the invariants need of a Rollout.
type Rollout struct {
	Replicas      int32
	StableService string // canary: stableService; blue-green: activeService
	CanaryService string
	Aborted       bool // status.abort
}

// ReplicaSet is what the invariants need of a ReplicaSet.
type ReplicaSet struct {
	Hash      string // its HashLabel
	Owner     string // the Rollout owning it, "" if none
	Template  string // its pod template without HashLabel, as JSON
	Replicas  int32  // spec
	Available int32  // status
	Deleting  bool
}

// Pod is what the invariants need of a pod.
type Pod struct {
	Labels  map[string]string
	Serving bool // Ready and not being deleted
}

// Service is what the invariants need of a Service.
type Service struct {
	Selector map[string]string
	PrevHash string // the HashLabel it selected before its last change
}

// Route is a canary route: the weight it sends to a Service.
type Route struct {
	Service string
	Weight  int
}

// NewState is an empty State.
func NewState() *State {
	return &State{
		Rollouts: map[Key]*Rollout{}, ReplicaSets: map[Key]*ReplicaSet{}, Pods: map[Key]*Pod{},
		Services: map[Key]*Service{}, Routes: map[Key]*Route{}, Served: map[Key]bool{},
	}
}

// servingPods counts the pods of ns a selector picks that are Ready and not being
// deleted; an empty selector picks none.
func (s *State) servingPods(ns string, selector map[string]string) int {
	if len(selector) == 0 {
		return 0
	}
	n := 0
	for k, p := range s.Pods {
		if k.Namespace != ns || !p.Serving {
			continue
		}
		match := true
		for l, v := range selector {
			if p.Labels[l] != v {
				match = false
				break
			}
		}
		if match {
			n++
		}
	}
	return n
}

// replicaSetOf is the ReplicaSet of ns with this hash (owned by rollout when one is
// named), or nil.
func (s *State) replicaSetOf(ns, rollout, hash string) *ReplicaSet {
	if hash == "" {
		return nil
	}
	for k, rs := range s.ReplicaSets {
		if k.Namespace == ns && rs.Hash == hash && (rollout == "" || rs.Owner == rollout) {
			return rs
		}
	}
	return nil
}

// rolloutOfService is the Rollout of ns naming svc as its stable (stable true) or canary
// Service.
func (s *State) rolloutOfService(ns, svc string, stable bool) (string, *Rollout) {
	for k, ro := range s.Rollouts {
		if k.Namespace != ns {
			continue
		}
		if (stable && ro.StableService == svc) || (!stable && ro.CanaryService == svc) {
			return k.Name, ro
		}
	}
	return "", nil
}

// weightTo is the highest weight a canary route of ns sends to svc.
func (s *State) weightTo(ns, svc string) int {
	w := 0
	for k, r := range s.Routes {
		if k.Namespace == ns && r.Service == svc && r.Weight > w {
			w = r.Weight
		}
	}
	return w
}
