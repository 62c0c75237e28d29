// List filtering and the namespace switcher's choices. Pure.
import type { RolloutView } from './types';

export interface Filter {
  namespace: string; // '' for all
  text: string; // part of the name, case-insensitive
  phase: string; // '' for any
}

export const PHASES = ['Progressing', 'Paused', 'Healthy', 'Degraded'] as const;

export function applyFilter(rollouts: Iterable<RolloutView>, f: Filter): RolloutView[] {
  const text = f.text.trim().toLowerCase();
  const out: RolloutView[] = [];
  for (const r of rollouts) {
    if (f.namespace && r.namespace !== f.namespace) continue;
    if (f.phase && r.phase !== f.phase) continue;
    if (text && !r.name.toLowerCase().includes(text)) continue;
    out.push(r);
  }
  return out.sort((a, b) => a.namespace.localeCompare(b.namespace) || a.name.localeCompare(b.name));
}

export function namespaces(rollouts: Iterable<RolloutView>): string[] {
  const set = new Set<string>();
  for (const r of rollouts) set.add(r.namespace);
  return [...set].sort();
}
