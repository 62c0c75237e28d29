import { describe, expect, it } from 'vitest';
import { actionsFor, ago, problemParts, scaleDownText, statusLine, stepText, weightText } from './format';
import { rollout } from './testdata';

describe('stepText', () => {
  it('is index over count', () => {
    expect(stepText(rollout({ step: 1 }))).toBe('1/4');
    expect(stepText(rollout({ step: null }))).toBe('0/4');
    expect(stepText(rollout({ steps: [] }))).toBe('-');
  });
});

describe('weightText', () => {
  it('shows a percentage or a dash', () => {
    expect(weightText(20)).toBe('20%');
    expect(weightText(0)).toBe('0%');
    expect(weightText(null)).toBe('-');
  });
});

describe('statusLine', () => {
  it('says why a rollout waits', () => {
    expect(statusLine(rollout({ pauseReasons: ['CanaryPauseStep'] }))).toBe('paused: CanaryPauseStep');
    expect(statusLine(rollout({ paused: true }))).toBe('paused by the user (spec.paused)');
    expect(statusLine(rollout({ aborted: true, message: 'RolloutAborted: x' }))).toBe('RolloutAborted: x');
  });
});

describe('ago', () => {
  const now = new Date('2026-01-01T12:00:00Z');
  it('rounds to the largest unit', () => {
    expect(ago('2026-01-01T11:59:30Z', now)).toBe('30s ago');
    expect(ago('2026-01-01T11:00:00Z', now)).toBe('1h ago');
    expect(ago('2025-12-30T12:00:00Z', now)).toBe('2d ago');
    expect(ago(undefined, now)).toBe('');
  });
});

describe('scaleDownText', () => {
  const now = new Date('2026-01-01T12:00:00Z');
  it('counts down to the scale-down of an old revision', () => {
    expect(scaleDownText('2026-01-01T12:00:25Z', now)).toBe('scales down in 25s');
    expect(scaleDownText('2026-01-01T12:00:25Z', new Date('2026-01-01T11:59:59.600Z'))).toBe('scales down in 26s');
    expect(scaleDownText('2026-01-01T12:10:00Z', now)).toBe('scales down in 10m');
    expect(scaleDownText('2026-01-01T11:59:59Z', now)).toBe('scaling down');
    expect(scaleDownText(undefined, now)).toBe('');
  });
});

describe('actionsFor', () => {
  it('offers promote and abort while paused at a step', () => {
    const a = actionsFor(rollout({ phase: 'Paused', step: 1, pauseReasons: ['CanaryPauseStep'] }));
    expect([...a].sort()).toEqual(['abort', 'pause', 'promote', 'promote-full', 'restart']);
  });
  it('offers retry once aborted, not promote', () => {
    const a = actionsFor(rollout({ phase: 'Degraded', step: 0, aborted: true }));
    expect(a.has('retry')).toBe(true);
    expect(a.has('promote')).toBe(false);
  });
  it('offers resume when paused by the user', () => {
    expect(actionsFor(rollout({ paused: true })).has('resume')).toBe(true);
  });
});

describe('problemParts', () => {
  it('splits the reason off a revision problem', () => {
    expect(problemParts('PodImagePullError: 2 pods, e.g. pod web-1: container web: ImagePullBackOff: Back-off pulling image "web:nope"')).toEqual({
      reason: 'PodImagePullError',
      detail: '2 pods, e.g. pod web-1: container web: ImagePullBackOff: Back-off pulling image "web:nope"',
    });
    expect(problemParts('PodUnschedulable: 1 pod, e.g. pod web-2: 0/3 nodes are available: x')).toEqual({
      reason: 'PodUnschedulable',
      detail: '1 pod, e.g. pod web-2: 0/3 nodes are available: x',
    });
    expect(problemParts('something else')).toEqual({ reason: '', detail: 'something else' });
  });
});
