// A blue-green rollout's promotion: the Services and the revisions they select, and the
// stages (preview up → analysis → paused → switched → stable) in place of canary steps.
import type { RolloutView } from '../types';
import { Phase } from './Phase';

export function PromotionFacts({ rollout: r }: { rollout: RolloutView }) {
  const bg = r.blueGreen;
  if (!bg) return null;
  return (
    <>
      <dt>Active</dt>
      <dd>
        {bg.activeService} → <span data-testid="active-revision">{bg.activeRevision ? `revision ${bg.activeRevision}` : 'no revision'}</span>
      </dd>
      {bg.previewService && (
        <>
          <dt>Preview</dt>
          <dd>
            {bg.previewService} → <span data-testid="preview-revision">{bg.previewRevision ? `revision ${bg.previewRevision}` : 'no revision'}</span>
          </dd>
        </>
      )}
    </>
  );
}

export function Promotion({ rollout: r }: { rollout: RolloutView }) {
  const bg = r.blueGreen;
  if (!bg) return null;
  const runs = [
    { label: 'Pre-promotion analysis', run: bg.prePromotion },
    { label: 'Post-promotion analysis', run: bg.postPromotion },
  ].filter((x) => x.run);
  return (
    <section aria-labelledby="promotion-title" className="card">
      <h2 id="promotion-title">Promotion</h2>
      <p>
        Stage: <strong data-testid="stage">{bg.stage}</strong>
      </p>
      <ol className="timeline" data-testid="promotion">
        {bg.stages.map((s) => (
          <li key={s.name} className={s.state} aria-current={s.state === 'current' ? 'step' : undefined}>
            <span className="marker" aria-hidden="true" />
            <span>{s.text}</span>
            {s.state === 'current' && r.pauseReasons.length > 0 && (
              <span className="pause-reason"> — paused: {r.pauseReasons.join(', ')}</span>
            )}
            <span className="visually-hidden"> ({s.state})</span>
          </li>
        ))}
      </ol>
      {runs.length > 0 && (
        <ul className="promotion-runs">
          {runs.map(({ label, run }) => (
            <li key={label}>
              {label}: {run!.name} <Phase phase={run!.phase} />
              {run!.message ? ` ${run!.message}` : ''}
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
