// Package nginx splits traffic between a Rollout's stable and canary Services with
// ingress-nginx canary Ingresses.
//
// For each stable Ingress (trafficRouting.nginx.stableIngress, or each of stableIngresses)
// Serin keeps one canary Ingress beside it, rendered by DesiredCanaryIngress:
//
//   - Name "<rollout>-<stableIngress>-canary" in the Rollout's namespace. When that is not
//     a valid object name (longer than 253 characters), the "<rollout>-<stableIngress>"
//     part is cut to fit and followed by 8 hex digits of a hash of the full name, then
//     "-canary" (see CanaryIngressName).
//   - Only the rules and paths of the stable Ingress whose backend is the stable Service,
//     their backends switched to the canary Service on the same port. Paths to other
//     Services, rules left without paths and the default backend are not copied. A stable
//     Ingress with no path to the stable Service is an error: there is nothing to split.
//   - spec.ingressClassName and spec.tls copied, and the legacy kubernetes.io/ingress.class
//     annotation when the stable Ingress carries it.
//   - A controller owner reference to the Rollout (garbage-collected with it) and the
//     label serin.dev/rollout=<rollout>.
//   - Annotations, with <prefix> the annotationPrefix (default nginx.ingress.kubernetes.io):
//     each additionalIngressAnnotations entry under <prefix>/<key>; canaryIngressAnnotations
//     as they are; then Serin's own, which win: <prefix>/canary "true",
//     <prefix>/canary-weight the weight, and <prefix>/canary-weight-total when
//     trafficRouting.maxTrafficWeight is set.
//   - Header routes (Argo Rollouts ignores setHeaderRoute with nginx; Serin renders it):
//     a header match sets <prefix>/canary-by-header to the header name and, for an exact
//     value, <prefix>/canary-by-header-value; for a regex, <prefix>/canary-by-header-pattern;
//     for a prefix, a pattern "^<prefix, regexp-quoted>.*". A cookie match sets
//     <prefix>/canary-by-cookie: a request whose cookie is "always" goes to the canary, one
//     where it is "never" does not. ingress-nginx reads one header and one cookie per
//     canary Ingress and evaluates the header, then the cookie, then the weight, so each
//     match routes on its own (a route with a header and a cookie match sends requests
//     that carry either). More than one header or one cookie across the active routes, or
//     a header (cookie) match while the Rollout's annotations already route by header
//     (cookie), is an error naming the routes.
//   - serin.dev/header-routes holds the JSON of the routes (nginx annotations do not carry
//     route names) and serin.dev/managed-annotations the sorted keys Serin wrote.
//
// SetTraffic writes the rendered form over the existing canary Ingress only where they
// differ, keeping the labels and annotations others added and removing only the keys it
// wrote earlier and no longer wants; it never writes an Ingress the Rollout does not
// control. Observe reads the split back from the lister; see Router.Observe for how it
// reports missing, disagreeing or drifted canary Ingresses (TrafficState.OutOfSync).
package nginx
