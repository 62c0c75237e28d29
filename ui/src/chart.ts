// A metric's measurements as points of a small chart, and the threshold of its
// condition (e.g. "result[0] < 0.05" → 0.05). Pure.
import type { MeasurementView, MetricView } from './types';

export interface Point {
  x: number;
  y: number;
  value: number;
  phase: string;
  time: string;
}

export interface Chart {
  points: Point[];
  threshold: number | null; // y of the threshold line
  thresholdValue: number | null;
  min: number;
  max: number;
}

// threshold is the number a condition compares the result with, when it has exactly one.
export function threshold(condition: string | undefined): number | null {
  if (!condition) return null;
  const m = condition.match(/(?:<=|>=|<|>|==|!=)\s*(-?\d+(?:\.\d+)?(?:e-?\d+)?)/gi);
  if (!m || m.length !== 1) return null;
  const n = Number(m[0].replace(/^[<>=!]+\s*/, ''));
  return Number.isFinite(n) ? n : null;
}

// value reads a measurement's value: a number, or the first number of a list "[0.5]".
export function value(m: MeasurementView): number | null {
  const s = m.value.trim().replace(/^\[/, '').replace(/\]$/, '').split(',')[0]?.trim() ?? '';
  if (s === '') return null;
  const n = Number(s);
  return Number.isFinite(n) ? n : null;
}

export function chart(metric: MetricView, width: number, height: number, pad = 6): Chart {
  const t = threshold(metric.successCondition) ?? threshold(metric.failureCondition);
  const pts = metric.measurements
    .map((m) => ({ m, v: value(m) }))
    .filter((p): p is { m: MeasurementView; v: number } => p.v !== null);
  const vals = pts.map((p) => p.v).concat(t === null ? [] : [t]);
  let min = vals.length ? Math.min(...vals) : 0;
  let max = vals.length ? Math.max(...vals) : 1;
  if (min === max) {
    min -= 1;
    max += 1;
  }
  const y = (v: number) => height - pad - ((v - min) / (max - min)) * (height - 2 * pad);
  const step = pts.length > 1 ? (width - 2 * pad) / (pts.length - 1) : 0;
  return {
    points: pts.map((p, i) => ({ x: pad + i * step, y: y(p.v), value: p.v, phase: p.m.phase, time: p.m.time })),
    threshold: t === null ? null : y(t),
    thresholdValue: t,
    min,
    max,
  };
}
