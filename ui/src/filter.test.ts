import { describe, expect, it } from 'vitest';
import { applyFilter, namespaces } from './filter';
import { rollout } from './testdata';

const all = [
  rollout({ namespace: 'shop', name: 'web', phase: 'Paused' }),
  rollout({ namespace: 'shop', name: 'api', phase: 'Healthy' }),
  rollout({ namespace: 'blog', name: 'web-admin', phase: 'Degraded' }),
];
const keys = (f: Parameters<typeof applyFilter>[1]) => applyFilter(all, f).map((r) => r.key);

describe('applyFilter', () => {
  it('keeps everything with an empty filter, sorted by namespace then name', () => {
    expect(keys({ namespace: '', text: '', phase: '' })).toEqual(['blog/web-admin', 'shop/api', 'shop/web']);
  });
  it('filters by namespace, name part (any case) and phase together', () => {
    expect(keys({ namespace: 'shop', text: '', phase: '' })).toEqual(['shop/api', 'shop/web']);
    expect(keys({ namespace: '', text: ' WEB ', phase: '' })).toEqual(['blog/web-admin', 'shop/web']);
    expect(keys({ namespace: '', text: 'web', phase: 'Paused' })).toEqual(['shop/web']);
    expect(keys({ namespace: 'blog', text: 'api', phase: '' })).toEqual([]);
  });
});

describe('namespaces', () => {
  it('lists each namespace once, sorted', () => {
    expect(namespaces(all)).toEqual(['blog', 'shop']);
  });
});
