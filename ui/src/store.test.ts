import { describe, expect, it } from 'vitest';
import { parseEvent, reduce, type Rollouts } from './store';
import { rollout } from './testdata';

describe('reduce', () => {
  const a = rollout({ name: 'a' });
  const b = rollout({ name: 'b' });
  it('reset replaces everything', () => {
    const s = reduce(new Map([['x/y', rollout({ namespace: 'x', name: 'y' })]]), { type: 'reset', rollouts: [a, b] });
    expect([...s.keys()]).toEqual(['shop/a', 'shop/b']);
  });
  it('rollout upserts one view without touching the others', () => {
    let s: Rollouts = reduce(new Map(), { type: 'reset', rollouts: [a, b] });
    const before = s;
    s = reduce(s, { type: 'rollout', rollout: { ...a, phase: 'Paused' } });
    expect(s.get('shop/a')?.phase).toBe('Paused');
    expect(s.get('shop/b')).toBe(b);
    expect(before.get('shop/a')?.phase).toBe('Healthy'); // the old state is not mutated
    s = reduce(s, { type: 'rollout', rollout: rollout({ name: 'c' }) });
    expect(s.size).toBe(3);
  });
  it('deleted removes one key and ignores unknown keys', () => {
    const s = reduce(new Map(), { type: 'reset', rollouts: [a, b] });
    expect([...reduce(s, { type: 'deleted', key: 'shop/a' }).keys()]).toEqual(['shop/b']);
    expect(reduce(s, { type: 'deleted', key: 'nope/x' })).toBe(s);
  });
});

describe('parseEvent', () => {
  it('reads the server events', () => {
    expect(parseEvent('deleted', '"shop/web"')).toEqual({ type: 'deleted', key: 'shop/web' });
    const r = rollout();
    expect(parseEvent('rollout', JSON.stringify(r))).toEqual({ type: 'rollout', rollout: r });
    expect(parseEvent('reset', '[]')).toEqual({ type: 'reset', rollouts: [] });
    expect(parseEvent('ping', '')).toBeNull();
  });
});
