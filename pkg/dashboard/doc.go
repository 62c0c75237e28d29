// Package dashboard is the server behind `kubectl serin dashboard`: a JSON API and a
// Server-Sent Events stream over informer caches of Rollouts and what belongs to them,
// the actions of the plugin (promote, abort, ...) behind a per-session token, and the
// embedded front end built from ui/.
//
// The pieces, one per file:
//
//   - view.go, view_*.go: pure functions laying out the view model of a Rollout
//     (pkg/rolloutview, shared with the plugin) as the JSON the page reads (never a
//     Secret, a header value or an argument value: nothing sensitive leaves the process).
//   - cache.go: informers → a snapshot of views, rebuilt when something changed; changes
//     that arrive while a rebuild runs coalesce into one more rebuild, no timer.
//   - stream.go: the SSE endpoint pushing snapshots to each page.
//   - security.go: Host, Origin and token checks (DNS-rebinding and CSRF safe).
//   - api.go, actions.go: routes and the mutating endpoints.
//   - assets.go: the embedded front end (or a placeholder page saying how to build it).
package dashboard
