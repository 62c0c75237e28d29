import { describe, expect, it } from 'vitest';
import { chart, threshold, value } from './chart';
import type { MetricView } from './types';

describe('threshold', () => {
  it('reads the one number a condition compares with', () => {
    expect(threshold('result[0] < 0.05')).toBe(0.05);
    expect(threshold('result >= 95')).toBe(95);
    expect(threshold('result[0] <= -1.5')).toBe(-1.5);
    expect(threshold('len(result) > 0 && result[0] < 3')).toBeNull(); // two numbers: no single line
    expect(threshold('result == true')).toBeNull();
    expect(threshold(undefined)).toBeNull();
  });
});

describe('value', () => {
  it('reads numbers and one-element lists', () => {
    expect(value({ time: '', phase: 'Successful', value: '0.01' })).toBe(0.01);
    expect(value({ time: '', phase: 'Successful', value: '[0.2]' })).toBe(0.2);
    expect(value({ time: '', phase: 'Error', value: '' })).toBeNull();
    expect(value({ time: '', phase: 'Successful', value: 'NaNx' })).toBeNull();
  });
});

describe('chart', () => {
  const metric: MetricView = {
    name: 'error-rate',
    phase: 'Running',
    provider: 'prometheus',
    successCondition: 'result[0] < 0.5',
    measurements: [
      { time: 't1', value: '[0.1]', phase: 'Successful' },
      { time: 't2', value: '', phase: 'Error' },
      { time: 't3', value: '[0.9]', phase: 'Failed' },
    ],
  };
  it('places points left to right, higher values higher, and the threshold between', () => {
    const c = chart(metric, 100, 50, 0);
    expect(c.points.map((p) => p.x)).toEqual([0, 100]);
    expect(c.points[0].y).toBe(50); // 0.1 is the minimum: bottom
    expect(c.points[1].y).toBe(0); // 0.9 is the maximum: top
    expect(c.thresholdValue).toBe(0.5);
    expect(c.threshold).toBeCloseTo(25);
  });
  it('handles no measurements and a flat series', () => {
    expect(chart({ ...metric, measurements: [] }, 100, 50).points).toEqual([]);
    const flat = chart({ ...metric, successCondition: undefined, measurements: [{ time: 't', value: '3', phase: 'Successful' }] }, 100, 50, 0);
    expect(flat.points[0].y).toBe(25);
    expect(flat.threshold).toBeNull();
  });
});
