// Short texts the views show. Pure.
import type { RolloutView } from './types';

// stepText is "1/6" (the current step index over the step count, as the CLI's STEP
// column), "-" without steps.
export function stepText(r: RolloutView): string {
  if (r.steps.length === 0) return '-';
  return `${r.step ?? 0}/${r.steps.length}`;
}

export function weightText(w: number | null): string {
  return w === null ? '-' : `${w}%`;
}

// statusLine says in a few words why a rollout is where it is.
export function statusLine(r: RolloutView): string {
  if (r.aborted) return r.message || 'aborted';
  if (r.paused) return 'paused by the user (spec.paused)';
  if (r.pauseReasons.length > 0) return `paused: ${r.pauseReasons.join(', ')}`;
  return r.message || '';
}

export function ago(iso: string | undefined, now: Date): string {
  if (!iso) return '';
  const s = Math.max(0, Math.round((now.getTime() - new Date(iso).getTime()) / 1000));
  if (s < 60) return `${s}s ago`;
  if (s < 3600) return `${Math.floor(s / 60)}m ago`;
  if (s < 86400) return `${Math.floor(s / 3600)}h ago`;
  return `${Math.floor(s / 86400)}d ago`;
}

// actionsFor is which actions make sense now; the server decides in the end.
export function actionsFor(r: RolloutView): Set<string> {
  const a = new Set<string>(['restart']);
  const inFlight = r.step !== null && r.step < r.steps.length && !r.aborted;
  if (r.aborted) a.add('retry');
  if (inFlight || r.pauseReasons.length > 0) {
    a.add('promote');
    a.add('promote-full');
    a.add('abort');
  }
  if (r.phase === 'Progressing' || r.phase === 'Paused') a.add('abort');
  a.add(r.paused ? 'resume' : 'pause');
  return a;
}
