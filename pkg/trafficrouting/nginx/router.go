package nginx

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/sirupsen/logrus"
	networkingv1 "k8s.io/api/networking/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	networkinglisters "k8s.io/client-go/listers/networking/v1"

	"github.com/serin-dev/serin/pkg/apis/rollouts/v1alpha1"
	"github.com/serin-dev/serin/pkg/logging"
	"github.com/serin-dev/serin/pkg/plan"
	"github.com/serin-dev/serin/pkg/trafficrouting/spec"
)

// Name is the router's name, as in spec.strategy.canary.trafficRouting: its spec's.
const Name = spec.NginxName

// Router splits traffic with ingress-nginx canary Ingresses, one per stable Ingress.
type Router struct {
	client    kubernetes.Interface
	ingresses networkinglisters.IngressLister
}

// New returns the nginx router: it reads Ingresses from ingresses (an informer's lister)
// and writes them with client.
func New(client kubernetes.Interface, ingresses networkinglisters.IngressLister) *Router {
	return &Router{client: client, ingresses: ingresses}
}

// Name is "nginx".
func (r *Router) Name() string { return Name }

// observed is what one canary Ingress applies.
type observed struct {
	weight int32
	routes []v1alpha1.SetHeaderRoute
	// inSync is false when SetTraffic(weight, routes) would change the Ingress.
	inSync bool
}

// Observe reads every stable Ingress of ro and its canary Ingress from the lister. It
// returns nil when no canary Ingress exists yet and nothing is wrong. Otherwise the weight
// is the highest any canary Ingress of ro applies, so that the plan takes traffic away
// before anything that needs the canary to carry less; the header routes are those the
// canary Ingresses agree on; OutOfSync is set when they do not all exist, agree and match
// their rendered form (edited by hand, the stable Ingress or the Rollout's annotations
// changed). Problem names what stops the router from acting.
func (r *Router) Observe(ro *v1alpha1.Rollout) *plan.TrafficState {
	var (
		problems []string
		found    []observed
		missing  int
	)
	for _, name := range stableIngressNames(ro) {
		obs, exists, p := r.observeOne(ro, name)
		problems = append(problems, p...)
		if !exists {
			missing++
		}
		if obs != nil {
			found = append(found, *obs)
		}
	}
	if len(found) == 0 && len(problems) == 0 {
		return nil
	}
	st := &plan.TrafficState{Problem: strings.Join(problems, "; ")}
	if len(found) == 0 {
		return st
	}
	inSync := missing == 0
	for _, o := range found {
		st.CanaryWeight = max(st.CanaryWeight, o.weight)
		inSync = inSync && o.inSync && o.weight == found[0].weight && sameRoutes(o.routes, found[0].routes)
	}
	st.HeaderRoutes = found[0].routes
	st.OutOfSync = !inSync
	return st
}

// observeOne reads the canary Ingress of stable Ingress name. obs is nil when the canary
// Ingress does not exist (exists false) or is not ro's; problems say what stops the router.
func (r *Router) observeOne(ro *v1alpha1.Rollout, name string) (obs *observed, exists bool, problems []string) {
	stable, err := r.ingresses.Ingresses(ro.Namespace).Get(name)
	switch {
	case apierrors.IsNotFound(err):
		problems = append(problems, fmt.Sprintf("stable Ingress %s not found", name))
		stable = nil
	case err != nil:
		problems = append(problems, fmt.Sprintf("stable Ingress %s: %v", name, err))
		stable = nil
	}
	canaryName := CanaryIngressName(ro.Name, name)
	canary, err := r.ingresses.Ingresses(ro.Namespace).Get(canaryName)
	switch {
	case apierrors.IsNotFound(err):
		canary = nil
	case err != nil:
		return nil, true, append(problems, fmt.Sprintf("canary Ingress %s: %v", canaryName, err))
	case !controlledBy(canary, ro):
		return nil, true, append(problems, fmt.Sprintf("Ingress %s exists and is not owned by Rollout %s: Serin never takes it over", canaryName, ro.Name))
	}
	t := plan.SetTraffic{}
	if canary != nil {
		obs = readCanary(ro, canary)
		t = plan.SetTraffic{CanaryWeight: obs.weight, HeaderRoutes: obs.routes}
	}
	if stable != nil {
		// Render even without a canary Ingress, to report a stable Ingress it cannot use.
		desired, err := DesiredCanaryIngress(ro, stable, t)
		switch {
		case err != nil:
			problems = append(problems, err.Error())
			if obs != nil {
				obs.inSync = false
			}
		case obs != nil && obs.inSync:
			obs.inSync = !changed(canary, merge(canary, desired, prefixOf(ro)))
		}
	}
	return obs, canary != nil, problems
}

// readCanary reads the split a canary Ingress of ro applies. What cannot be read is
// taken as the worst case: an Ingress ingress-nginx would not treat as a canary, or a
// weight that does not parse, counts as the whole traffic.
func readCanary(ro *v1alpha1.Rollout, ing *networkingv1.Ingress) *observed {
	tr := ro.Spec.Strategy.Canary.TrafficRouting
	key := func(name string) string { return prefixOf(ro) + "/" + name }
	total := int32(DefaultMaxWeight)
	if tr.MaxTrafficWeight != nil {
		total = *tr.MaxTrafficWeight
	}
	obs := &observed{inSync: true}
	if ing.Annotations[key(annCanary)] != "true" {
		obs.weight, obs.inSync = total, false
	} else if w, ok := ing.Annotations[key(annWeight)]; ok {
		n, err := strconv.ParseInt(w, 10, 32)
		if err != nil || n < 0 {
			obs.weight, obs.inSync = total, false
		} else {
			obs.weight = int32(n)
		}
	}
	if raw, ok := ing.Annotations[HeaderRoutesAnnotation]; ok {
		if err := json.Unmarshal([]byte(raw), &obs.routes); err != nil {
			obs.routes, obs.inSync = nil, false
		}
	}
	return obs
}

// SetTraffic makes every canary Ingress of ro apply t: it creates the missing ones and
// updates those that differ from their rendered form, keeping what other controllers
// added. It never writes an Ingress the Rollout does not control. Every stable Ingress is
// tried; the errors are joined.
func (r *Router) SetTraffic(ctx context.Context, ro *v1alpha1.Rollout, t plan.SetTraffic) error {
	names := stableIngressNames(ro)
	if len(names) == 0 {
		return fmt.Errorf("rollout %s: spec.strategy.canary.trafficRouting.nginx names no stable Ingress", ro.Name)
	}
	var errs []error
	for _, name := range names {
		if err := r.setOne(ctx, ro, name, t); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

func (r *Router) setOne(ctx context.Context, ro *v1alpha1.Rollout, stableName string, t plan.SetTraffic) error {
	stable, err := r.ingresses.Ingresses(ro.Namespace).Get(stableName)
	if err != nil {
		return fmt.Errorf("stable Ingress %s: %w", stableName, err)
	}
	desired, err := DesiredCanaryIngress(ro, stable, t)
	if err != nil {
		return err
	}
	ingresses := r.client.NetworkingV1().Ingresses(ro.Namespace)
	existing, err := r.ingresses.Ingresses(ro.Namespace).Get(desired.Name)
	if apierrors.IsNotFound(err) {
		if _, err := ingresses.Create(ctx, desired, metav1.CreateOptions{}); err != nil {
			return fmt.Errorf("create canary Ingress %s: %w", desired.Name, err)
		}
		logging.From(ctx).WithFields(logrus.Fields{"ingress": desired.Name, "weight": t.CanaryWeight}).Debug("canary Ingress created")
		return nil
	}
	if err != nil {
		return fmt.Errorf("canary Ingress %s: %w", desired.Name, err)
	}
	if !controlledBy(existing, ro) {
		return fmt.Errorf("ingress %s exists and is not owned by Rollout %s: Serin never takes it over", desired.Name, ro.Name)
	}
	updated := merge(existing, desired, prefixOf(ro))
	if !changed(existing, updated) {
		return nil
	}
	// updated carries the lister's resourceVersion: decided from a stale cache (say, by a
	// replica that slept past its Lease), the update conflicts instead of undoing what
	// the current leader wrote, and the Rollout is planned again.
	if _, err := ingresses.Update(ctx, updated, metav1.UpdateOptions{}); err != nil {
		return fmt.Errorf("update canary Ingress %s: %w", desired.Name, err)
	}
	logging.From(ctx).WithFields(logrus.Fields{"ingress": desired.Name, "weight": t.CanaryWeight}).Debug("canary Ingress updated")
	return nil
}

// merge is existing (with its resourceVersion) turned into desired: desired's spec, its
// labels and annotations set, the annotations Serin wrote before and no longer wants
// removed, and everything else kept. prefix is the Rollout's annotation prefix.
func merge(existing, desired *networkingv1.Ingress, prefix string) *networkingv1.Ingress {
	out := existing.DeepCopy()
	if out.Annotations == nil {
		out.Annotations = map[string]string{}
	}
	for _, k := range managedKeys(existing, prefix) {
		if _, keep := desired.Annotations[k]; !keep {
			delete(out.Annotations, k)
		}
	}
	maps.Copy(out.Annotations, desired.Annotations)
	if out.Labels == nil {
		out.Labels = map[string]string{}
	}
	maps.Copy(out.Labels, desired.Labels)
	out.Spec = *desired.Spec.DeepCopy()
	return out
}

// managedKeys are the annotation keys Serin wrote on existing, from
// ManagedAnnotationsAnnotation. When that record is gone, Serin's own keys and every
// canary annotation of prefix stand in for it, so that a stale route cannot stay.
func managedKeys(existing *networkingv1.Ingress, prefix string) []string {
	if rec, ok := existing.Annotations[ManagedAnnotationsAnnotation]; ok {
		if rec == "" {
			return nil
		}
		return strings.Split(rec, ",")
	}
	keys := []string{HeaderRoutesAnnotation, ManagedAnnotationsAnnotation}
	for _, name := range slices.Concat(serinKeys, headerKeys, cookieKeys) {
		keys = append(keys, prefix+"/"+name)
	}
	return keys
}

// changed reports whether writing updated over existing would change anything Serin
// manages.
func changed(existing, updated *networkingv1.Ingress) bool {
	if !maps.Equal(existing.Annotations, updated.Annotations) || !maps.Equal(existing.Labels, updated.Labels) {
		return true
	}
	a, errA := json.Marshal(existing.Spec)
	b, errB := json.Marshal(updated.Spec)
	return errA != nil || errB != nil || string(a) != string(b)
}

// controlledBy reports whether ing's controller is ro (by UID).
func controlledBy(ing *networkingv1.Ingress, ro *v1alpha1.Rollout) bool {
	ref := metav1.GetControllerOf(ing)
	return ref != nil && ref.UID == ro.UID && ref.Kind == "Rollout" && ref.APIVersion == v1alpha1.SchemeGroupVersion.String()
}

// stableIngressNames is stableIngress or stableIngresses, without repeats.
func stableIngressNames(ro *v1alpha1.Rollout) []string {
	c := ro.Spec.Strategy.Canary
	if c == nil || c.TrafficRouting == nil || c.TrafficRouting.Nginx == nil {
		return nil
	}
	n := c.TrafficRouting.Nginx
	var names []string
	for _, name := range append([]string{n.StableIngress}, n.StableIngresses...) {
		if name != "" && !slices.Contains(names, name) {
			names = append(names, name)
		}
	}
	return names
}

func sameRoutes(a, b []v1alpha1.SetHeaderRoute) bool {
	if len(a) == 0 || len(b) == 0 {
		return len(a) == len(b)
	}
	x, errA := json.Marshal(a)
	y, errB := json.Marshal(b)
	return errA == nil && errB == nil && string(x) == string(y)
}

// prefixOf is the annotation prefix of ro's nginx traffic routing.
func prefixOf(ro *v1alpha1.Rollout) string {
	return annotationPrefix(ro.Spec.Strategy.Canary.TrafficRouting.Nginx)
}
