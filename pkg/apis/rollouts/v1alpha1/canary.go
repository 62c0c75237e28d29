package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// CanaryStrategy ships a new version by shifting traffic and replicas to it step by step.
//
// +kubebuilder:validation:XValidation:rule="!has(self.trafficRouting) || (has(self.canaryService) && size(self.canaryService) > 0 && has(self.stableService) && size(self.stableService) > 0)",message="spec.strategy.canary.canaryService and stableService are required when trafficRouting is set"
// +kubebuilder:validation:XValidation:rule="!has(self.canaryService) || !has(self.stableService) || size(self.canaryService) == 0 || self.canaryService != self.stableService",message="spec.strategy.canary.canaryService must differ from stableService"
// +kubebuilder:validation:XValidation:rule="!has(self.steps) || has(self.trafficRouting) || self.steps.all(s, !has(s.setCanaryScale))",message="spec.strategy.canary.steps: setCanaryScale needs trafficRouting"
// +kubebuilder:validation:XValidation:rule="!has(self.steps) || has(self.trafficRouting) || self.steps.all(s, !has(s.setHeaderRoute))",message="spec.strategy.canary.steps: setHeaderRoute needs trafficRouting.nginx or trafficRouting.plugins.argoproj-labs/gatewayAPI"
// +kubebuilder:validation:XValidation:rule="!has(self.steps) || self.steps.all(s, !has(s.setWeight) || s.setWeight <= (has(self.trafficRouting) && has(self.trafficRouting.maxTrafficWeight) ? self.trafficRouting.maxTrafficWeight : 100))",message="spec.strategy.canary.steps: setWeight must not exceed trafficRouting.maxTrafficWeight (default 100)"
// +kubebuilder:validation:XValidation:rule="!(has(self.maxSurge) && has(self.maxUnavailable) && string(self.maxSurge) in ['0', '0%'] && string(self.maxUnavailable) in ['0', '0%'])",message="spec.strategy.canary.maxSurge and maxUnavailable must not both be zero"
type CanaryStrategy struct {
	// CanaryService is the Service whose selector the controller points at the canary
	// ReplicaSet. Required with trafficRouting.
	// +optional
	CanaryService string `json:"canaryService,omitempty"`
	// StableService is the Service whose selector the controller points at the stable
	// ReplicaSet. Required with trafficRouting.
	// +optional
	StableService string `json:"stableService,omitempty"`
	// Steps run in order for every new template. Without steps the new version is rolled
	// out at once, within maxSurge and maxUnavailable.
	// +optional
	// +kubebuilder:validation:MaxItems=200
	Steps []CanaryStep `json:"steps,omitempty"`
	// TrafficRouting sends a percentage of requests to the canary through a router
	// instead of by replica count.
	// +optional
	TrafficRouting *RolloutTrafficRouting `json:"trafficRouting,omitempty"`
	// MaxUnavailable is how many pods may be unavailable during the update: a number or a
	// percentage of the desired replicas (rounded down). Defaults to 25%.
	// +optional
	// +kubebuilder:validation:XIntOrString
	// +kubebuilder:validation:XValidation:rule="type(self) == int ? self >= 0 : self.matches('^[0-9]+%$')",message="spec.strategy.canary.maxUnavailable must be a non-negative number or a percentage such as 25%"
	MaxUnavailable *intstr.IntOrString `json:"maxUnavailable,omitempty"`
	// MaxSurge is how many pods may run above the desired replicas: a number or a
	// percentage (rounded up). Defaults to 25%.
	// +optional
	// +kubebuilder:validation:XIntOrString
	// +kubebuilder:validation:XValidation:rule="type(self) == int ? self >= 0 : self.matches('^[0-9]+%$')",message="spec.strategy.canary.maxSurge must be a non-negative number or a percentage such as 25%"
	MaxSurge *intstr.IntOrString `json:"maxSurge,omitempty"`
	// Analysis is a background analysis that runs across the steps, from startingStep on,
	// and aborts the rollout at any step when it fails.
	// +optional
	Analysis *RolloutAnalysisBackground `json:"analysis,omitempty"`
	// AntiAffinity schedules canary pods away from stable ones.
	// +optional
	AntiAffinity *AntiAffinity `json:"antiAffinity,omitempty"`
	// CanaryMetadata is put on canary pods while they are the canary.
	// +optional
	CanaryMetadata *PodTemplateMetadata `json:"canaryMetadata,omitempty"`
	// StableMetadata is put on stable pods while they are the stable.
	// +optional
	StableMetadata *PodTemplateMetadata `json:"stableMetadata,omitempty"`
	// ScaleDownDelaySeconds is how long the previous stable ReplicaSet stays up after the
	// stable Service moved to the new one, so routers can re-target. Only with
	// trafficRouting. Defaults to 30.
	// +optional
	// +kubebuilder:validation:Minimum=0
	ScaleDownDelaySeconds *int32 `json:"scaleDownDelaySeconds,omitempty"`
	// ScaleDownDelayRevisionLimit is how many old ReplicaSets may wait out their
	// scale-down delay at once; older ones go down at once.
	// +optional
	// +kubebuilder:validation:Minimum=0
	ScaleDownDelayRevisionLimit *int32 `json:"scaleDownDelayRevisionLimit,omitempty"`
	// AbortScaleDownDelaySeconds is how long the canary ReplicaSet stays up after an abort,
	// with trafficRouting. 0 keeps it up. Defaults to 30.
	// +optional
	// +kubebuilder:validation:Minimum=0
	AbortScaleDownDelaySeconds *int32 `json:"abortScaleDownDelaySeconds,omitempty"`
	// DynamicStableScale scales the stable ReplicaSet down as traffic moves to the canary,
	// instead of keeping it full for an instant abort. Only with trafficRouting.
	// +optional
	DynamicStableScale bool `json:"dynamicStableScale,omitempty"`
	// MinPodsPerReplicaSet is the fewest pods a canary or stable ReplicaSet that is not
	// scaled to zero may have. Only with trafficRouting.
	// +optional
	// +kubebuilder:validation:Minimum=1
	MinPodsPerReplicaSet *int32 `json:"minPodsPerReplicaSet,omitempty"`
}

// CanaryStep is one step of a canary: exactly one action.
//
// +kubebuilder:validation:XValidation:rule="(has(self.setWeight) ? 1 : 0) + (has(self.pause) ? 1 : 0) + (has(self.analysis) ? 1 : 0) + (has(self.setCanaryScale) ? 1 : 0) + (has(self.setHeaderRoute) ? 1 : 0) == 1",message="spec.strategy.canary.steps[]: a step must set exactly one of setWeight, pause, analysis, setCanaryScale, setHeaderRoute"
type CanaryStep struct {
	// SetWeight is the percentage of traffic (with trafficRouting) or of replicas
	// (without) the canary gets, 0 to 100 (or to trafficRouting.maxTrafficWeight).
	// +optional
	// +kubebuilder:validation:Minimum=0
	SetWeight *int32 `json:"setWeight,omitempty"`
	// Pause stops the rollout: for duration, or until promoted when it has none.
	// +optional
	Pause *RolloutPause `json:"pause,omitempty"`
	// Analysis runs an AnalysisRun and waits for it: Failed or Error aborts the rollout,
	// Inconclusive pauses it.
	// +optional
	Analysis *RolloutAnalysis `json:"analysis,omitempty"`
	// SetCanaryScale sizes the canary ReplicaSet apart from the traffic weight.
	// +optional
	SetCanaryScale *SetCanaryScale `json:"setCanaryScale,omitempty"`
	// SetHeaderRoute sends requests that match a header (or, in Serin, a cookie) to the
	// canary whatever the weight. With no match it removes the route.
	// +optional
	SetHeaderRoute *SetHeaderRoute `json:"setHeaderRoute,omitempty"`
}

// RolloutPause stops the rollout at a step.
type RolloutPause struct {
	// Duration is how long to pause: a number of seconds (30) or a duration string with a
	// unit ("30s", "5m", "1h"). Without it the rollout waits for a promote.
	// +optional
	// +kubebuilder:validation:XIntOrString
	// +kubebuilder:validation:MaxLength=32
	// +kubebuilder:validation:Pattern=`^([0-9]+|([0-9]+([.][0-9]+)?(h|m|s|ms))+)$`
	// +kubebuilder:validation:XValidation:rule="type(self) != int || self >= 0",message="spec.strategy.canary.steps[].pause.duration must be a number of seconds or a duration such as 30s, 5m, 1h"
	Duration *intstr.IntOrString `json:"duration,omitempty"`
}

// SetCanaryScale sizes the canary ReplicaSet: exactly one of replicas, weight or
// matchTrafficWeight.
//
// +kubebuilder:validation:XValidation:rule="(has(self.weight) ? 1 : 0) + (has(self.replicas) ? 1 : 0) + (has(self.matchTrafficWeight) && self.matchTrafficWeight ? 1 : 0) == 1",message="spec.strategy.canary.steps[].setCanaryScale must set exactly one of replicas, weight or matchTrafficWeight"
type SetCanaryScale struct {
	// Weight is the canary's size as a percentage of spec.replicas, 0 to 100.
	// +optional
	// +kubebuilder:validation:Minimum=0
	// +kubebuilder:validation:Maximum=100
	Weight *int32 `json:"weight,omitempty"`
	// Replicas is the canary's size as a number of pods.
	// +optional
	// +kubebuilder:validation:Minimum=0
	Replicas *int32 `json:"replicas,omitempty"`
	// MatchTrafficWeight sizes the canary after the current traffic weight again,
	// cancelling an earlier replicas or weight.
	// +optional
	MatchTrafficWeight bool `json:"matchTrafficWeight,omitempty"`
}

// SetHeaderRoute names a route that sends matching requests to the canary.
type SetHeaderRoute struct {
	// Name of the route; when trafficRouting.managedRoutes is set it must be listed there.
	// +kubebuilder:validation:MinLength=1
	Name string `json:"name"`
	// Match lists what a request must carry. Empty removes the route.
	// +optional
	// +kubebuilder:validation:MaxItems=16
	Match []HeaderRoutingMatch `json:"match,omitempty"`
}

// HeaderRoutingMatch is one condition of a header route: a header with a value (as in
// Argo Rollouts) or, a Serin addition, a cookie.
//
// +kubebuilder:validation:XValidation:rule="has(self.headerName) != has(self.cookieName)",message="spec.strategy.canary.steps[].setHeaderRoute.match[] must set exactly one of headerName or cookieName"
// +kubebuilder:validation:XValidation:rule="!has(self.headerName) || has(self.headerValue)",message="spec.strategy.canary.steps[].setHeaderRoute.match[].headerValue is required with headerName"
// +kubebuilder:validation:XValidation:rule="!has(self.cookieName) || !has(self.headerValue)",message="spec.strategy.canary.steps[].setHeaderRoute.match[].headerValue is not allowed with cookieName: a cookie routes to the canary when its value is \"always\""
type HeaderRoutingMatch struct {
	// HeaderName is the request header to match.
	// +optional
	// +kubebuilder:validation:MinLength=1
	HeaderName string `json:"headerName,omitempty"`
	// HeaderValue is how the header's value must match.
	// +optional
	HeaderValue *StringMatch `json:"headerValue,omitempty"`
	// CookieName (Serin) routes requests whose cookie of this name is "always" to the
	// canary and those where it is "never" away from it (nginx canary-by-cookie).
	// +optional
	// +kubebuilder:validation:MinLength=1
	CookieName string `json:"cookieName,omitempty"`
}

// StringMatch is how a value matches: exactly one of exact, prefix or regex.
//
// +kubebuilder:validation:XValidation:rule="(has(self.exact) ? 1 : 0) + (has(self.prefix) ? 1 : 0) + (has(self.regex) ? 1 : 0) == 1",message="headerValue must set exactly one of exact, prefix or regex"
type StringMatch struct {
	// +optional
	Exact string `json:"exact,omitempty"`
	// +optional
	Prefix string `json:"prefix,omitempty"`
	// +optional
	Regex string `json:"regex,omitempty"`
}

// RolloutTrafficRouting is the router that splits traffic between stable and canary.
//
// +kubebuilder:validation:XValidation:rule="(has(self.nginx) ? 1 : 0) + (has(self.plugins) && 'argoproj-labs/gatewayAPI' in self.plugins ? 1 : 0) == 1",message="spec.strategy.canary.trafficRouting must set exactly one router: nginx or plugins.argoproj-labs/gatewayAPI"
type RolloutTrafficRouting struct {
	// Nginx routes through the ingress-nginx controller with a canary Ingress.
	// +optional
	Nginx *NginxTrafficRouting `json:"nginx,omitempty"`
	// Plugins holds router plugin configurations by plugin name, as Argo Rollouts' field
	// of that name does. Serin has no plugins: it builds in the one it accepts,
	// argoproj-labs/gatewayAPI (the Gateway API router), and refuses any other key.
	// +optional
	// +kubebuilder:validation:MaxProperties=4
	// +kubebuilder:validation:XValidation:rule="self.all(k, k == 'argoproj-labs/gatewayAPI')",message="spec.strategy.canary.trafficRouting.plugins: only argoproj-labs/gatewayAPI is supported (Serin builds that router in and runs no plugin binaries)",messageExpression="'spec.strategy.canary.trafficRouting.plugins: ' + self.filter(k, k != 'argoproj-labs/gatewayAPI')[0] + ' is not supported: only argoproj-labs/gatewayAPI is (Serin builds that router in and runs no plugin binaries)'"
	Plugins map[string]GatewayAPITrafficRouting `json:"plugins,omitempty"`
	// ManagedRoutes lists the routes setHeaderRoute steps may name, in precedence order.
	// +optional
	// +listType=map
	// +listMapKey=name
	ManagedRoutes []MangedRoutes `json:"managedRoutes,omitempty"`
	// MaxTrafficWeight is the total weight setWeight is measured against. Defaults to 100.
	// +optional
	// +kubebuilder:validation:Minimum=1
	MaxTrafficWeight *int32 `json:"maxTrafficWeight,omitempty"`
}

// MangedRoutes names a route the controller manages. (The type name's spelling is
// Argo Rollouts'; the field is managedRoutes.)
type MangedRoutes struct {
	// +kubebuilder:validation:MinLength=1
	Name string `json:"name"`
}

// NginxTrafficRouting configures the ingress-nginx canary Ingress.
//
// +kubebuilder:validation:XValidation:rule="(has(self.stableIngress) && size(self.stableIngress) > 0) != (has(self.stableIngresses) && size(self.stableIngresses) > 0)",message="spec.strategy.canary.trafficRouting.nginx must set exactly one of stableIngress or stableIngresses"
type NginxTrafficRouting struct {
	// AnnotationPrefix must match the ingress-nginx controller's annotation prefix.
	// Defaults to nginx.ingress.kubernetes.io.
	// +optional
	AnnotationPrefix string `json:"annotationPrefix,omitempty"`
	// StableIngress is the Ingress, in the rollout's namespace, that routes to the stable
	// Service. The controller creates <rollout>-<stableIngress>-canary beside it.
	// +optional
	StableIngress string `json:"stableIngress,omitempty"`
	// StableIngresses is several such Ingresses; a canary Ingress is made for each.
	// +optional
	// +listType=set
	StableIngresses []string `json:"stableIngresses,omitempty"`
	// AdditionalIngressAnnotations are put on the canary Ingress with the annotation prefix
	// added to each key.
	// +optional
	AdditionalIngressAnnotations map[string]string `json:"additionalIngressAnnotations,omitempty"`
	// CanaryIngressAnnotations are put on the canary Ingress as they are.
	// +optional
	CanaryIngressAnnotations map[string]string `json:"canaryIngressAnnotations,omitempty"`
}

// GatewayAPIPlugin is the key of trafficRouting.plugins that selects the Gateway API router.
const GatewayAPIPlugin = "argoproj-labs/gatewayAPI"

// GatewayAPITrafficRouting is the configuration of the argoproj-labs/gatewayAPI plugin, as
// Argo Rollouts users write it: the HTTPRoutes whose weights Serin sets. The plugin's keys
// Serin does not support are declared only to be refused with a message naming them.
//
// +kubebuilder:validation:XValidation:rule="has(self.httpRoute) || (has(self.httpRoutes) && size(self.httpRoutes) > 0)",message="spec.strategy.canary.trafficRouting.plugins.argoproj-labs/gatewayAPI must name an HTTPRoute in httpRoute or httpRoutes"
// +kubebuilder:validation:XValidation:rule="!has(self.grpcRoute)",message="spec.strategy.canary.trafficRouting.plugins.argoproj-labs/gatewayAPI.grpcRoute is not supported: Serin splits HTTPRoutes only"
// +kubebuilder:validation:XValidation:rule="!has(self.grpcRoutes)",message="spec.strategy.canary.trafficRouting.plugins.argoproj-labs/gatewayAPI.grpcRoutes is not supported: Serin splits HTTPRoutes only"
// +kubebuilder:validation:XValidation:rule="!has(self.tcpRoute)",message="spec.strategy.canary.trafficRouting.plugins.argoproj-labs/gatewayAPI.tcpRoute is not supported: Serin splits HTTPRoutes only"
// +kubebuilder:validation:XValidation:rule="!has(self.tcpRoutes)",message="spec.strategy.canary.trafficRouting.plugins.argoproj-labs/gatewayAPI.tcpRoutes is not supported: Serin splits HTTPRoutes only"
// +kubebuilder:validation:XValidation:rule="!has(self.tlsRoute)",message="spec.strategy.canary.trafficRouting.plugins.argoproj-labs/gatewayAPI.tlsRoute is not supported: Serin splits HTTPRoutes only"
// +kubebuilder:validation:XValidation:rule="!has(self.tlsRoutes)",message="spec.strategy.canary.trafficRouting.plugins.argoproj-labs/gatewayAPI.tlsRoutes is not supported: Serin splits HTTPRoutes only"
// +kubebuilder:validation:XValidation:rule="!has(self.httpRouteSelector)",message="spec.strategy.canary.trafficRouting.plugins.argoproj-labs/gatewayAPI.httpRouteSelector is not supported: name the HTTPRoutes in httpRoute or httpRoutes"
// +kubebuilder:validation:XValidation:rule="!has(self.grpcRouteSelector)",message="spec.strategy.canary.trafficRouting.plugins.argoproj-labs/gatewayAPI.grpcRouteSelector is not supported: name the HTTPRoutes in httpRoute or httpRoutes"
// +kubebuilder:validation:XValidation:rule="!has(self.tcpRouteSelector)",message="spec.strategy.canary.trafficRouting.plugins.argoproj-labs/gatewayAPI.tcpRouteSelector is not supported: name the HTTPRoutes in httpRoute or httpRoutes"
// +kubebuilder:validation:XValidation:rule="!has(self.tlsRouteSelector)",message="spec.strategy.canary.trafficRouting.plugins.argoproj-labs/gatewayAPI.tlsRouteSelector is not supported: name the HTTPRoutes in httpRoute or httpRoutes"
// +kubebuilder:validation:XValidation:rule="!has(self.configMap)",message="spec.strategy.canary.trafficRouting.plugins.argoproj-labs/gatewayAPI.configMap is not supported: Serin records the rules it manages on the HTTPRoute itself"
// +kubebuilder:validation:XValidation:rule="!has(self.disableInProgressLabel)",message="spec.strategy.canary.trafficRouting.plugins.argoproj-labs/gatewayAPI.disableInProgressLabel is not supported: Serin does not label routes during a rollout"
// +kubebuilder:validation:XValidation:rule="!has(self.inProgressLabelKey)",message="spec.strategy.canary.trafficRouting.plugins.argoproj-labs/gatewayAPI.inProgressLabelKey is not supported: Serin does not label routes during a rollout"
// +kubebuilder:validation:XValidation:rule="!has(self.inProgressLabelValue)",message="spec.strategy.canary.trafficRouting.plugins.argoproj-labs/gatewayAPI.inProgressLabelValue is not supported: Serin does not label routes during a rollout"
type GatewayAPITrafficRouting struct {
	// HTTPRoute is an HTTPRoute whose rules to the stable Service Serin splits; it takes
	// header routes (as httpRoutes[] with useHeaderRoutes: true).
	// +optional
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	HTTPRoute string `json:"httpRoute,omitempty"`
	// HTTPRoutes are several such HTTPRoutes; useHeaderRoutes says which take the
	// setHeaderRoute steps' rules.
	// +optional
	// +listType=map
	// +listMapKey=name
	// +kubebuilder:validation:MaxItems=16
	HTTPRoutes []GatewayAPIRoute `json:"httpRoutes,omitempty"`
	// Namespace of the HTTPRoutes. Serin supports only the Rollout's own namespace, which
	// is also the default.
	// +optional
	// +kubebuilder:validation:MaxLength=253
	Namespace string `json:"namespace,omitempty"`

	// The plugin's keys Serin refuses (see the rules above and the README).

	// +optional
	// +kubebuilder:validation:MaxLength=253
	GRPCRoute string `json:"grpcRoute,omitempty"`
	// +optional
	// +kubebuilder:validation:MaxItems=16
	GRPCRoutes []GatewayAPIRoute `json:"grpcRoutes,omitempty"`
	// +optional
	// +kubebuilder:validation:MaxLength=253
	TCPRoute string `json:"tcpRoute,omitempty"`
	// +optional
	// +kubebuilder:validation:MaxItems=16
	TCPRoutes []GatewayAPIRoute `json:"tcpRoutes,omitempty"`
	// +optional
	// +kubebuilder:validation:MaxLength=253
	TLSRoute string `json:"tlsRoute,omitempty"`
	// +optional
	// +kubebuilder:validation:MaxItems=16
	TLSRoutes []GatewayAPIRoute `json:"tlsRoutes,omitempty"`
	// +optional
	HTTPRouteSelector *metav1.LabelSelector `json:"httpRouteSelector,omitempty"`
	// +optional
	GRPCRouteSelector *metav1.LabelSelector `json:"grpcRouteSelector,omitempty"`
	// +optional
	TCPRouteSelector *metav1.LabelSelector `json:"tcpRouteSelector,omitempty"`
	// +optional
	TLSRouteSelector *metav1.LabelSelector `json:"tlsRouteSelector,omitempty"`
	// +optional
	// +kubebuilder:validation:MaxLength=253
	ConfigMap string `json:"configMap,omitempty"`
	// +optional
	DisableInProgressLabel *bool `json:"disableInProgressLabel,omitempty"`
	// +optional
	// +kubebuilder:validation:MaxLength=253
	InProgressLabelKey string `json:"inProgressLabelKey,omitempty"`
	// +optional
	// +kubebuilder:validation:MaxLength=253
	InProgressLabelValue string `json:"inProgressLabelValue,omitempty"`
}

// GatewayAPIRoute names one route of the Gateway API router.
type GatewayAPIRoute struct {
	// Name of the route, in the Rollout's namespace.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	Name string `json:"name"`
	// UseHeaderRoutes puts the setHeaderRoute steps' rules on this route.
	// +optional
	UseHeaderRoutes bool `json:"useHeaderRoutes,omitempty"`
}
