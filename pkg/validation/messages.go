// Package validation checks Serin objects with the same rules as the CRD schemas and
// their CEL rules, plus those a schema cannot express (regexes that compile, durations
// that parse, selectors that select the template, references between fields).
//
// The controller uses it for the InvalidSpec condition and `kubectl serin lint` for
// offline checks, so a rule reads the same wherever it fires: every CEL rule's message in
// manifests/crds is one of the constants below (a test holds them together).
package validation

// Messages shared with the CEL rules of the CRDs (pkg/apis/rollouts/v1alpha1 markers).
const (
	MsgProgressDeadline         = "spec.progressDeadlineSeconds must be greater than spec.minReadySeconds"
	MsgOneStrategy              = "spec.strategy must set exactly one of canary or blueGreen"
	MsgCanaryServicesRequired   = "spec.strategy.canary.canaryService and stableService are required when trafficRouting is set"
	MsgCanaryServicesDiffer     = "spec.strategy.canary.canaryService must differ from stableService"
	MsgCanaryScaleNeedsRouting  = "spec.strategy.canary.steps: setCanaryScale needs trafficRouting"
	MsgHeaderRouteNeedsRouting  = "spec.strategy.canary.steps: setHeaderRoute needs trafficRouting.nginx"
	MsgSetWeightAboveMax        = "spec.strategy.canary.steps: setWeight must not exceed trafficRouting.maxTrafficWeight (default 100)"
	MsgSurgeUnavailableZero     = "spec.strategy.canary.maxSurge and maxUnavailable must not both be zero"
	MsgCanaryMaxUnavailable     = "spec.strategy.canary.maxUnavailable must be a non-negative number or a percentage such as 25%"
	MsgCanaryMaxSurge           = "spec.strategy.canary.maxSurge must be a non-negative number or a percentage such as 25%"
	MsgBlueGreenMaxUnavailable  = "spec.strategy.blueGreen.maxUnavailable must be a non-negative number or a percentage such as 25%"
	MsgPauseDuration            = "spec.strategy.canary.steps[].pause.duration must be a number of seconds or a duration such as 30s, 5m, 1h"
	MsgOneStepAction            = "spec.strategy.canary.steps[]: a step must set exactly one of setWeight, pause, analysis, setCanaryScale, setHeaderRoute"
	MsgCanaryScaleOne           = "spec.strategy.canary.steps[].setCanaryScale must set exactly one of replicas, weight or matchTrafficWeight"
	MsgMatchHeaderOrCookie      = "spec.strategy.canary.steps[].setHeaderRoute.match[] must set exactly one of headerName or cookieName"
	MsgMatchHeaderValueRequired = "spec.strategy.canary.steps[].setHeaderRoute.match[].headerValue is required with headerName"
	MsgMatchCookieNoValue       = `spec.strategy.canary.steps[].setHeaderRoute.match[].headerValue is not allowed with cookieName: a cookie routes to the canary when its value is "always"`
	MsgStringMatchOne           = "headerValue must set exactly one of exact, prefix or regex"
	MsgNginxRequired            = "spec.strategy.canary.trafficRouting.nginx is required: nginx is the traffic router Serin supports"
	MsgNginxOneStableIngress    = "spec.strategy.canary.trafficRouting.nginx must set exactly one of stableIngress or stableIngresses"
	MsgPreviewDiffersActive     = "spec.strategy.blueGreen.previewService must differ from activeService"
	MsgAnalysisTemplates        = "analysis.templates must name at least one template"
	MsgRolloutArgValueOrFrom    = "analysis.args[] must set only one of value or valueFrom"
	MsgRolloutArgValueFromOne   = "analysis.args[].valueFrom must set exactly one of podTemplateHashValue or fieldRef"
	MsgIntervalWithCount        = "metrics[].interval is required when count is greater than 1"
	MsgOneProvider              = "metrics[].provider must set exactly one of prometheus, web or job"
	MsgArgValueOrFrom           = "args[] must set only one of value or valueFrom"
	MsgArgValueFromOne          = "args[].valueFrom must set exactly one of secretKeyRef or fieldRef"
)

// CELMessages is every message the CRDs' CEL rules may give.
var CELMessages = []string{
	MsgProgressDeadline, MsgOneStrategy, MsgCanaryServicesRequired,
	MsgCanaryServicesDiffer, MsgCanaryScaleNeedsRouting, MsgHeaderRouteNeedsRouting,
	MsgSetWeightAboveMax, MsgSurgeUnavailableZero, MsgCanaryMaxUnavailable, MsgCanaryMaxSurge,
	MsgBlueGreenMaxUnavailable, MsgOneStepAction, MsgPauseDuration, MsgCanaryScaleOne,
	MsgMatchHeaderOrCookie, MsgMatchHeaderValueRequired, MsgMatchCookieNoValue,
	MsgStringMatchOne, MsgNginxRequired, MsgNginxOneStableIngress, MsgPreviewDiffersActive,
	MsgAnalysisTemplates, MsgRolloutArgValueOrFrom, MsgRolloutArgValueFromOne,
	MsgIntervalWithCount, MsgOneProvider, MsgArgValueOrFrom, MsgArgValueFromOne,
}

// Messages for rules only Go can check (no CEL counterpart).
const (
	MsgSelectorLabels     = "spec.selector.matchLabels must match spec.template.metadata.labels"
	MsgSelectorRequired   = "spec.selector is required"
	MsgSelectorEmpty      = "spec.selector must not be empty: it would select every pod in the namespace"
	MsgSelectorTemplate   = "spec.selector must select the pods of spec.template (their labels)"
	MsgContainersRequired = "spec.template.spec.containers must list at least one container"
	MsgRegexCompile       = "headerValue.regex does not compile"
	MsgNginxOneHeader     = "nginx routes on one header per canary Ingress: setHeaderRoute.match may hold at most one headerName"
	MsgNginxOneCookie     = "nginx routes on one cookie per canary Ingress: setHeaderRoute.match may hold at most one cookieName"
	MsgRouteNotManaged    = "setHeaderRoute.name must be listed in spec.strategy.canary.trafficRouting.managedRoutes"
	MsgStartingStepRange  = "spec.strategy.canary.analysis.startingStep must be the index of a step"
	MsgDurationParse      = "must be a duration such as 30s, 5m, 1h"
	MsgUnknownMetric      = "must name a metric of this analysis, or \"*\""
	MsgCountArgument      = "must be a number or an argument such as {{args.count}}"
	MsgWeightRange        = "must be between 0 and 100"
	MsgNonNegative        = "must be greater than or equal to 0"
)
