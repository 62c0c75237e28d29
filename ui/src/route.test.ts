import { describe, expect, it } from 'vitest';
import { parseRoute, rolloutHref } from './route';

describe('routes', () => {
  it('round-trips a rollout link', () => {
    expect(parseRoute(rolloutHref('shop', 'web'))).toEqual({ page: 'rollout', namespace: 'shop', name: 'web' });
  });
  it('falls back to the list', () => {
    expect(parseRoute('')).toEqual({ page: 'list' });
    expect(parseRoute('#/')).toEqual({ page: 'list' });
    expect(parseRoute('#/rollouts/shop')).toEqual({ page: 'list' });
  });
});
