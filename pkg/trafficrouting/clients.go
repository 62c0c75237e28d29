package trafficrouting

import (
	"fmt"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime/schema"
	kubeinformers "k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/cache"
	gatewayclient "sigs.k8s.io/gateway-api/pkg/client/clientset/versioned"
	gatewayinformers "sigs.k8s.io/gateway-api/pkg/client/informers/externalversions"
)

// Clients are the API clients the routers write and list with. The controller and the
// plugin build them once with NewClients and hand them over without knowing which
// router uses which: a router whose kinds client-go does not serve adds its client here.
type Clients struct {
	// Kube serves client-go's kinds (nginx's Ingresses).
	Kube kubernetes.Interface
	// Gateway serves the Gateway API kinds (HTTPRoutes); nil in tests that need none.
	Gateway gatewayclient.Interface
}

// NewClients builds the routers' clients for cfg's API server; kube is the caller's
// client of client-go's kinds. cfg must carry what the caller's writes carry (the
// controller's write fence): the routers write through these clients.
func NewClients(kube kubernetes.Interface, cfg *rest.Config) (Clients, error) {
	gw, err := gatewayclient.NewForConfig(cfg)
	if err != nil {
		return Clients{}, fmt.Errorf("gateway API client: %w", err)
	}
	return Clients{Kube: kube, Gateway: gw}, nil
}

// Factories are the informer factories the controller builds the routers' caches with.
type Factories struct {
	// Kube serves client-go's kinds, with the controller's namespace and transform; the
	// controller starts it.
	Kube kubeinformers.SharedInformerFactory
	// Gateway serves the Gateway API kinds; nil without a Gateway client.
	Gateway gatewayinformers.SharedInformerFactory
}

// NewFactories adds to kube the factories of the routers' other clients, for namespace
// ("" for all) and with transform applied to every object cached.
func NewFactories(kube kubeinformers.SharedInformerFactory, c Clients, namespace string, transform cache.TransformFunc) Factories {
	f := Factories{Kube: kube}
	if c.Gateway != nil {
		f.Gateway = gatewayinformers.NewSharedInformerFactoryWithOptions(c.Gateway, 0,
			gatewayinformers.WithNamespace(namespace), gatewayinformers.WithTransform(transform))
	}
	return f
}

// Start starts the factories NewFactories added (Kube is the caller's to start).
func (f Factories) Start(stop <-chan struct{}) {
	if f.Gateway != nil {
		f.Gateway.Start(stop)
	}
}

// ServedWatches are the Watches the API server of c serves now, and the kinds of the
// others (an Optional kind whose CRD is not installed, or with no client): the controller
// caches only the first, so that it starts without the CRDs of a router nobody uses, and
// a Rollout that selects such a router is told so (see For).
func ServedWatches(c Clients) (served []Watch, unserved []string, err error) {
	for _, w := range Watches() {
		ok := true
		if w.Optional != nil {
			if ok, err = w.Optional(c); err != nil {
				return nil, nil, fmt.Errorf("discover %s: %w", w.Kind, err)
			}
		}
		if ok {
			served = append(served, w)
		} else {
			unserved = append(unserved, w.Kind)
		}
	}
	return served, unserved, nil
}

// servesResource reports whether the API server serves gvr (false when its group
// version is unknown, as when a CRD is not installed).
func servesResource(kube kubernetes.Interface, gvr schema.GroupVersionResource) (bool, error) {
	list, err := kube.Discovery().ServerResourcesForGroupVersion(gvr.GroupVersion().String())
	if apierrors.IsNotFound(err) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	for _, r := range list.APIResources {
		if r.Name == gvr.Resource {
			return true, nil
		}
	}
	return false, nil
}
