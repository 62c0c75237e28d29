// Builders for unit tests.
import type { RolloutView } from './types';

export function rollout(over: Partial<RolloutView> = {}): RolloutView {
  const base: RolloutView = {
    key: 'shop/web',
    namespace: 'shop',
    name: 'web',
    phase: 'Healthy',
    strategy: { kind: 'canary' },
    images: ['web:1'],
    replicas: { desired: 4, current: 4, updated: 4, ready: 4, available: 4 },
    paused: false,
    aborted: false,
    promoteFull: false,
    pauseReasons: [],
    step: 4,
    steps: [
      { index: 0, kind: 'setWeight', text: 'setWeight 20%', state: 'done' },
      { index: 1, kind: 'pause', text: 'pause until promoted', state: 'done' },
      { index: 2, kind: 'setWeight', text: 'setWeight 50%', state: 'done' },
      { index: 3, kind: 'pause', text: 'pause 5s', state: 'done' },
    ],
    setWeight: 0,
    actualWeight: 0,
    headerRoutes: [],
    revisions: [],
    blueGreen: null,
    analysisRuns: [],
    events: [],
    conditions: [],
  };
  const r = { ...base, ...over };
  if (over.namespace || over.name) r.key = `${r.namespace}/${r.name}`;
  return r;
}
