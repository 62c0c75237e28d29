import { chart } from '../chart';
import type { MetricView } from '../types';

const W = 280;
const H = 90;

// MetricChart draws a metric's measurements over time with its threshold as a dashed
// line; the numbers are in a list beside it for screen readers.
export function MetricChart({ metric }: { metric: MetricView }) {
  const c = chart(metric, W, H);
  const line = c.points.map((p) => `${p.x},${p.y}`).join(' ');
  return (
    <figure className="metric">
      <figcaption>
        <strong>{metric.name}</strong> ({metric.provider}) — {metric.phase}
        {metric.successCondition && <span> · success: <code>{metric.successCondition}</code></span>}
        {metric.failureCondition && <span> · failure: <code>{metric.failureCondition}</code></span>}
      </figcaption>
      {c.points.length === 0 ? (
        <p>No measurements yet.</p>
      ) : (
        <svg width={W} height={H} viewBox={`0 0 ${W} ${H}`} role="img"
          aria-label={`${metric.name}: ${c.points.length} measurements` +
            (c.thresholdValue !== null ? `, threshold ${c.thresholdValue}` : '')}>
          <rect x="0" y="0" width={W} height={H} className="chart-bg" />
          {c.threshold !== null && (
            <line x1="0" x2={W} y1={c.threshold} y2={c.threshold} className="threshold" data-testid="threshold" />
          )}
          {c.points.length > 1 && <polyline points={line} className="series" />}
          {c.points.map((p, i) => (
            <circle key={i} cx={p.x} cy={p.y} r="3.5" className={`pt ${p.phase.toLowerCase()}`}>
              <title>{`${p.time}: ${p.value} (${p.phase})`}</title>
            </circle>
          ))}
        </svg>
      )}
      {c.points.length > 0 && (
        <ol className="visually-hidden">
          {c.points.map((p, i) => (
            <li key={i}>{`${p.time}: ${p.value}, ${p.phase}`}</li>
          ))}
        </ol>
      )}
    </figure>
  );
}
