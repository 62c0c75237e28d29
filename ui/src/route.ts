// Hash routes: "#/" is the list, "#/rollouts/<namespace>/<name>" a rollout. Pure.
export type Route = { page: 'list' } | { page: 'rollout'; namespace: string; name: string };

export function parseRoute(hash: string): Route {
  const parts = hash.replace(/^#\/?/, '').split('/').filter(Boolean).map(decodeURIComponent);
  if (parts.length === 3 && parts[0] === 'rollouts') {
    return { page: 'rollout', namespace: parts[1], name: parts[2] };
  }
  return { page: 'list' };
}

export function rolloutHref(namespace: string, name: string): string {
  return `#/rollouts/${encodeURIComponent(namespace)}/${encodeURIComponent(name)}`;
}
