// Package gatewayapi splits traffic between a Rollout's stable and canary Services with
// the backend weights of Gateway API HTTPRoutes (gateway.networking.k8s.io/v1).
//
// A Rollout names its routes as Argo Rollouts' argoproj-labs/gatewayAPI plugin is
// configured: trafficRouting.plugins["argoproj-labs/gatewayAPI"] with httpRoute (which
// takes header routes) and/or httpRoutes[{name, useHeaderRoutes}], in the Rollout's
// namespace. The routes are the user's: Serin never creates or deletes one, and writes
// only what it owns, rendered by Desired:
//
//   - In each rule that has a backend to the stable Service (a core Service in the
//     route's namespace), the stable backends weigh maxTrafficWeight (default 100) minus
//     the canary weight and the canary backends the canary weight. A rule with no canary
//     backend gets one: a copy of its first stable backend, renamed. Other rules, and
//     other backends of these rules, are left as they are.
//   - For each active header route (setHeaderRoute), on the routes that take header
//     routes, one rule per rule to the stable Service, placed before all others: the
//     stable rule's matches (or a match of every request) each with the route's header
//     matches added, its filters and other fields, and the canary backend alone. An exact
//     value matches Exact; a regex, and a prefix turned into "^<prefix>.*", match
//     RegularExpression. Rules are named RuleName; a rule of that name Serin did not add
//     is an error, never taken over. HTTPRoutes have no cookie match: cookieName is
//     refused by validation.
//   - ManagedRulesAnnotation records, per Rollout, the names of the rules Serin added and
//     the header routes they apply. Only rules named there are ever removed, so a
//     restarted controller clears exactly its own rules when a route is cleared, after
//     promotion and on abort.
//
// SetTraffic writes a JSON patch of those fields only (Patch), led by the cached
// resourceVersion as a precondition, as the nginx router's canary Ingress update does.
// Observe reads the split back from the lister; a route that is missing or has no rule
// to the stable Service is a Problem, which stops the rollout with the
// TrafficRoutingError condition and a Warning event.
package gatewayapi
