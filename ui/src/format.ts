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

// stageText is where a blue-green promotion is: the current stage's text, "stable" or
// "aborted".
export function stageText(r: RolloutView): string {
  const bg = r.blueGreen;
  if (!bg) return '-';
  return bg.stages.find((s) => s.state === 'current')?.text ?? bg.stage;
}

// progressText is the list's progress column: the step for canary, the stage for
// blue-green.
export function progressText(r: RolloutView): string {
  return r.blueGreen ? stageText(r) : stepText(r);
}

function rev(n: string): string {
  return n ? `rev ${n}` : 'no revision';
}

// trafficText is the list's traffic column: "20% / 20%" (set / actual weight) for
// canary; "active rev 1 · preview rev 2" for blue-green.
export function trafficText(r: RolloutView): string {
  const bg = r.blueGreen;
  if (!bg) return `${weightText(r.setWeight)} / ${weightText(r.actualWeight)}`;
  const active = `active ${rev(bg.activeRevision)}`;
  return bg.previewService ? `${active} · preview ${rev(bg.previewRevision)}` : active;
}

// statusLine says in a few words why a rollout is where it is.
export function statusLine(r: RolloutView): string {
  if (r.aborted) return r.message || 'aborted';
  if (r.paused) return 'paused by the user (spec.paused)';
  const bg = r.blueGreen;
  if (bg && r.pauseReasons.includes('BlueGreenPause')) {
    const where = bg.previewService ? ` on preview ${bg.previewService}` : '';
    return `paused: BlueGreenPause — revision ${bg.previewRevision || '?'} is up${where}; active ${bg.activeService} stays on revision ${bg.activeRevision || '?'} until promoted`;
  }
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

// scaleDownText counts down to an old revision's scale-down: "scales down in 25s",
// "scaling down" once the time passed, "" without one (as `kubectl serin get` says it).
export function scaleDownText(iso: string | undefined, now: Date): string {
  if (!iso) return '';
  const s = Math.ceil((new Date(iso).getTime() - now.getTime()) / 1000);
  if (s <= 0) return 'scaling down';
  if (s < 120) return `scales down in ${s}s`;
  if (s < 3 * 3600) return `scales down in ${Math.floor(s / 60)}m`;
  return `scales down in ${Math.floor(s / 3600)}h`;
}

// problemParts splits a revision's problem ("PodImagePullError: 2 pods, e.g. pod x:
// ...") into its reason, for a badge, and the rest; a line without a reason is all detail.
export function problemParts(problem: string): { reason: string; detail: string } {
  const m = /^(Pod[A-Za-z]+): (.*)$/s.exec(problem);
  return m ? { reason: m[1], detail: m[2] } : { reason: '', detail: problem };
}

// actionsFor is which actions make sense now; the server decides in the end.
export function actionsFor(r: RolloutView): Set<string> {
  const a = new Set<string>(['restart']);
  if (r.blueGreen) return blueGreenActions(r, a);
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

// blueGreenActions: promote ends the BlueGreenPause; promote full and abort while a new
// revision is in flight; retry once aborted.
function blueGreenActions(r: RolloutView, a: Set<string>): Set<string> {
  const stage = r.blueGreen?.stage;
  if (r.aborted) a.add('retry');
  if (!r.aborted && stage !== 'stable') {
    a.add('promote-full');
    a.add('abort');
    if (r.pauseReasons.length > 0 || r.paused) a.add('promote');
  }
  a.add(r.paused ? 'resume' : 'pause');
  return a;
}
