import { describe, expect, it } from 'vitest';
import { actionsFor, progressText, stageText, statusLine, trafficText } from './format';
import { rollout } from './testdata';
import type { BlueGreenView, RolloutView } from './types';

const stages = (current: number): BlueGreenView['stages'] =>
  ['new revision up on preview web-preview', 'paused until promoted', 'active web-active switched', 'stable'].map((text, i) => ({
    name: text,
    text,
    state: i < current ? 'done' : i === current ? 'current' : 'pending',
  }));

function bg(over: Partial<BlueGreenView> = {}, ro: Partial<RolloutView> = {}): RolloutView {
  return rollout({
    strategy: { kind: 'blueGreen', activeService: 'web-active', previewService: 'web-preview' },
    step: null,
    steps: [],
    setWeight: null,
    actualWeight: null,
    blueGreen: {
      activeService: 'web-active',
      previewService: 'web-preview',
      activeRevision: '1',
      previewRevision: '2',
      stage: 'paused',
      stages: stages(1),
      ...over,
    },
    ...ro,
  });
}

describe('blue-green texts', () => {
  it('shows the stage instead of a step, and which revision each Service selects', () => {
    const r = bg();
    expect(progressText(r)).toBe('paused until promoted');
    expect(trafficText(r)).toBe('active rev 1 · preview rev 2');
    expect(stageText(bg({ stage: 'stable', stages: stages(4) }))).toBe('stable');
    expect(trafficText(bg({ previewService: undefined }))).toBe('active rev 1');
    expect(trafficText(bg({ activeRevision: '' }))).toBe('active no revision · preview rev 2');
  });
  it('keeps the canary texts for canary', () => {
    const r = rollout({ step: 1, setWeight: 20, actualWeight: 20 });
    expect(progressText(r)).toBe('1/4');
    expect(trafficText(r)).toBe('20% / 20%');
  });
  it('explains BlueGreenPause', () => {
    expect(statusLine(bg({}, { pauseReasons: ['BlueGreenPause'] }))).toBe(
      'paused: BlueGreenPause — revision 2 is up on preview web-preview; active web-active stays on revision 1 until promoted',
    );
  });
});

describe('blue-green actions', () => {
  const sorted = (r: RolloutView) => [...actionsFor(r)].sort();
  it('offers promote while paused before promotion', () => {
    expect(sorted(bg({}, { phase: 'Paused', pauseReasons: ['BlueGreenPause'] }))).toEqual([
      'abort', 'pause', 'promote', 'promote-full', 'restart',
    ]);
  });
  it('offers promote full and abort, not promote, while the preview comes up', () => {
    expect(sorted(bg({ stage: 'preview', stages: stages(0) }, { phase: 'Progressing' }))).toEqual([
      'abort', 'pause', 'promote-full', 'restart',
    ]);
  });
  it('offers retry once aborted and nothing to promote when stable', () => {
    expect(sorted(bg({ stage: 'aborted' }, { phase: 'Degraded', aborted: true }))).toEqual(['pause', 'restart', 'retry']);
    expect(sorted(bg({ stage: 'stable', stages: stages(4) }, { phase: 'Healthy' }))).toEqual(['pause', 'restart']);
  });
});
