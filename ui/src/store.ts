// The page's copy of the server's views, kept up to date by the event stream
// (pkg/dashboard/stream.go): "reset" replaces everything, "rollout" upserts one view,
// "deleted" removes one key. Pure, so the reducer is unit-tested.
import type { RolloutView } from './types';

export type Rollouts = ReadonlyMap<string, RolloutView>;

export type StreamEvent =
  | { type: 'reset'; rollouts: RolloutView[] }
  | { type: 'rollout'; rollout: RolloutView }
  | { type: 'deleted'; key: string };

export function reduce(state: Rollouts, ev: StreamEvent): Rollouts {
  switch (ev.type) {
    case 'reset':
      return new Map(ev.rollouts.map((r) => [r.key, r]));
    case 'rollout': {
      const next = new Map(state);
      next.set(ev.rollout.key, ev.rollout);
      return next;
    }
    case 'deleted': {
      if (!state.has(ev.key)) return state;
      const next = new Map(state);
      next.delete(ev.key);
      return next;
    }
  }
}

// parseEvent turns an SSE message into a StreamEvent; null for what it does not know.
export function parseEvent(name: string, data: string): StreamEvent | null {
  switch (name) {
    case 'reset':
      return { type: 'reset', rollouts: JSON.parse(data) as RolloutView[] };
    case 'rollout':
      return { type: 'rollout', rollout: JSON.parse(data) as RolloutView };
    case 'deleted':
      return { type: 'deleted', key: JSON.parse(data) as string };
  }
  return null;
}
