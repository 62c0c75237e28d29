// Package fakeapi makes client-go's fake clientsets behave as the API server does where
// unit tests need it and the fakes do not: today, optimistic concurrency on
// resourceVersion, which the fake object tracker neither maintains nor checks.
package fakeapi

import (
	"encoding/json"
	"fmt"
	"strconv"
	"sync"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	k8stesting "k8s.io/client-go/testing"
)

// Clientset is what EnforceResourceVersions needs of a fake clientset.
type Clientset interface {
	PrependReactor(verb, resource string, reaction k8stesting.ReactionFunc)
	Tracker() k8stesting.ObjectTracker
}

// EnforceResourceVersions gives every object of resource (e.g. "services") that c
// creates, updates or patches a new resourceVersion, and refuses with a Conflict, as the
// API server does, an update whose object carries another resourceVersion than the
// stored one, and a merge or strategic merge patch whose metadata.resourceVersion
// differs from it, or a JSON patch that sets another. Objects seeded straight into the tracker keep the resourceVersion
// they were given.
func EnforceResourceVersions(c Clientset, resources ...string) {
	var (
		mu   sync.Mutex
		next = 1000
	)
	write := k8stesting.ObjectReaction(c.Tracker())
	for _, resource := range resources {
		react := func(a k8stesting.Action) (bool, runtime.Object, error) {
			if a.GetSubresource() != "" {
				return false, nil, nil
			}
			if err := checkPrecondition(c.Tracker(), a); err != nil {
				return true, nil, err
			}
			handled, out, err := write(a)
			if !handled || err != nil || out == nil {
				return handled, out, err
			}
			m, err := meta.Accessor(out)
			if err != nil {
				return true, nil, err
			}
			mu.Lock()
			next++
			m.SetResourceVersion(strconv.Itoa(next))
			mu.Unlock()
			return true, out, c.Tracker().Update(a.GetResource(), out, a.GetNamespace())
		}
		for _, verb := range []string{"create", "update", "patch"} {
			c.PrependReactor(verb, resource, react)
		}
	}
}

// checkPrecondition returns a Conflict when a carries a resourceVersion other than the
// stored object's.
func checkPrecondition(tracker k8stesting.ObjectTracker, a k8stesting.Action) error {
	var name, want string
	switch a := a.(type) {
	case k8stesting.UpdateAction:
		m, err := meta.Accessor(a.GetObject())
		if err != nil {
			return err
		}
		name, want = m.GetName(), m.GetResourceVersion()
	case k8stesting.PatchAction:
		if a.GetPatchType() == types.JSONPatchType {
			name, want = a.GetName(), jsonPatchResourceVersion(a.GetPatch())
			break
		}
		if a.GetPatchType() != types.MergePatchType && a.GetPatchType() != types.StrategicMergePatchType {
			return nil
		}
		var patch struct {
			Metadata struct {
				ResourceVersion string `json:"resourceVersion"`
			} `json:"metadata"`
		}
		if err := json.Unmarshal(a.GetPatch(), &patch); err != nil {
			return apierrors.NewBadRequest(err.Error())
		}
		name, want = a.GetName(), patch.Metadata.ResourceVersion
	default:
		return nil
	}
	if want == "" {
		return nil
	}
	cur, err := tracker.Get(a.GetResource(), a.GetNamespace(), name)
	if err != nil {
		return err
	}
	m, err := meta.Accessor(cur)
	if err != nil {
		return err
	}
	if m.GetResourceVersion() != want {
		return apierrors.NewConflict(a.GetResource().GroupResource(), name,
			fmt.Errorf("the object has been modified: resourceVersion %s, not %s", m.GetResourceVersion(), want))
	}
	return nil
}

// jsonPatchResourceVersion is the resourceVersion a JSON patch sets ("" when none): the
// API server takes it as a precondition, as a merge patch's.
func jsonPatchResourceVersion(patch []byte) string {
	var ops []struct {
		Op    string `json:"op"`
		Path  string `json:"path"`
		Value any    `json:"value"`
	}
	if json.Unmarshal(patch, &ops) != nil {
		return ""
	}
	for _, op := range ops {
		if v, ok := op.Value.(string); ok && (op.Op == "replace" || op.Op == "add") && op.Path == "/metadata/resourceVersion" {
			return v
		}
	}
	return ""
}
