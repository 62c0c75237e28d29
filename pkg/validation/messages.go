// Package validation checks Serin objects with the same rules as the CRD schemas and
// their CEL rules, plus those a schema cannot express (regexes that compile, durations
// that parse, selectors that select the template, references between fields).
//
// The controller uses it for the InvalidSpec condition and `kubectl serin lint` for
// offline checks, so a rule reads the same wherever it fires: every CEL rule's message in
// manifests/crds is one of CELMessages (a test holds them together). The rules of one
// traffic router or metric provider live with its spec (pkg/trafficrouting/spec,
// pkg/analysis/provider); this package applies the spec a Rollout or metric selects.
package validation

import routespec "github.com/serin-dev/serin/pkg/trafficrouting/spec"

// Messages shared with the CEL rules of the CRDs (pkg/apis/rollouts/v1alpha1 markers).
const (
	MsgProgressDeadline         = "spec.progressDeadlineSeconds must be greater than spec.minReadySeconds"
	MsgOneStrategy              = "spec.strategy must set exactly one of canary or blueGreen"
	MsgCanaryServicesRequired   = "spec.strategy.canary.canaryService and stableService are required when trafficRouting is set"
	MsgCanaryServicesDiffer     = "spec.strategy.canary.canaryService must differ from stableService"
	MsgCanaryScaleNeedsRouting  = "spec.strategy.canary.steps: setCanaryScale needs trafficRouting"
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
	MsgPreviewDiffersActive     = "spec.strategy.blueGreen.previewService must differ from activeService"
	MsgAnalysisTemplates        = "analysis.templates must name at least one template"
	MsgRolloutArgValueOrFrom    = "analysis.args[] must set only one of value or valueFrom"
	MsgRolloutArgValueFromOne   = "analysis.args[].valueFrom must set exactly one of podTemplateHashValue or fieldRef"
	MsgIntervalWithCount        = "metrics[].interval is required when count is greater than 1"
	MsgOneProvider              = "metrics[].provider must set exactly one of prometheus, web or job"
	MsgArgValueOrFrom           = "args[] must set only one of value or valueFrom"
	MsgArgValueFromOne          = "args[].valueFrom must set exactly one of secretKeyRef or fieldRef"
)

// Messages shared with the CEL rules that name the traffic routers, built from their specs
// (pkg/trafficrouting/spec). The CEL rules name the routers themselves: a new router
// changes them and these messages together.
var (
	// MsgRouterRequired: trafficRouting selects no router.
	MsgRouterRequired = "spec.strategy.canary.trafficRouting must set exactly one router: " + routespec.Fields(routespec.Specs(), "")
	// MsgHeaderRouteNeedsRouting: a setHeaderRoute step without a router that routes by header.
	MsgHeaderRouteNeedsRouting = "spec.strategy.canary.steps: setHeaderRoute needs " +
		routespec.Fields(routespec.HeaderRouters(), "trafficRouting.")
)

// CELMessages is every message the CRDs' CEL rules may give: those above, and those of
// the routers' own rules.
var CELMessages = append([]string{
	MsgProgressDeadline, MsgOneStrategy, MsgCanaryServicesRequired,
	MsgCanaryServicesDiffer, MsgCanaryScaleNeedsRouting, MsgHeaderRouteNeedsRouting,
	MsgSetWeightAboveMax, MsgSurgeUnavailableZero, MsgCanaryMaxUnavailable, MsgCanaryMaxSurge,
	MsgBlueGreenMaxUnavailable, MsgOneStepAction, MsgPauseDuration, MsgCanaryScaleOne,
	MsgMatchHeaderOrCookie, MsgMatchHeaderValueRequired, MsgMatchCookieNoValue,
	MsgStringMatchOne, MsgRouterRequired, MsgPreviewDiffersActive,
	MsgAnalysisTemplates, MsgRolloutArgValueOrFrom, MsgRolloutArgValueFromOne,
	MsgIntervalWithCount, MsgOneProvider, MsgArgValueOrFrom, MsgArgValueFromOne,
}, routerCELMessages()...)

// routerCELMessages are the messages of the routers' rules that CEL rules give too.
func routerCELMessages() []string {
	var out []string
	for _, s := range routespec.Specs() {
		out = append(out, s.CELMessages...)
	}
	return out
}

// Messages for rules only Go can check (no CEL counterpart).
const (
	MsgSelectorLabels     = "spec.selector.matchLabels must match spec.template.metadata.labels"
	MsgSelectorRequired   = "spec.selector is required"
	MsgSelectorEmpty      = "spec.selector must not be empty: it would select every pod in the namespace"
	MsgSelectorTemplate   = "spec.selector must select the pods of spec.template (their labels)"
	MsgContainersRequired = "spec.template.spec.containers must list at least one container"
	MsgRegexCompile       = "headerValue.regex does not compile"
	MsgRouteNotManaged    = "setHeaderRoute.name must be listed in spec.strategy.canary.trafficRouting.managedRoutes"
	MsgStartingStepRange  = "spec.strategy.canary.analysis.startingStep must be the index of a step"
	MsgDurationParse      = "must be a duration such as 30s, 5m, 1h"
	MsgUnknownMetric      = "must name a metric of this analysis, or \"*\""
	MsgCountArgument      = "must be a number or an argument such as {{args.count}}"
	MsgWeightRange        = "must be between 0 and 100"
	MsgNonNegative        = "must be greater than or equal to 0"
	MsgAtLeastOne         = "must be greater than or equal to 1"
)
