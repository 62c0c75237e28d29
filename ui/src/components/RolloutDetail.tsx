import { ago, problemParts, scaleDownText, statusLine, stepText, weightText } from '../format';
import type { RolloutView, Session } from '../types';
import { ActionBar } from './ActionBar';
import { MetricChart } from './MetricChart';
import { Phase } from './Phase';
import { Promotion, PromotionFacts } from './Promotion';

export function RolloutDetail({ rollout: r, session }: { rollout: RolloutView; session: Session }) {
  const now = new Date();
  return (
    <article aria-labelledby="rollout-title" className="detail">
      <p>
        <a href="#/">← All rollouts</a>
      </p>
      <header className="detail-head">
        <h1 id="rollout-title">
          {r.name} <span className="ns">in {r.namespace}</span>
        </h1>
        <Phase phase={r.phase} />
        <span className="status-line" data-testid="status-line">{statusLine(r)}</span>
      </header>
      <ActionBar rollout={r} session={session} />

      <div className="grid">
        <section aria-labelledby="summary-title" className="card">
          <h2 id="summary-title">Summary</h2>
          <dl className="facts">
            <dt>Strategy</dt>
            <dd>{r.strategy.kind}{r.strategy.trafficRouting ? ` · ${r.strategy.trafficRouting}` : ''}</dd>
            {r.strategy.stableService && (<><dt>Services</dt><dd>stable {r.strategy.stableService} · canary {r.strategy.canaryService}</dd></>)}
            {r.blueGreen ? <PromotionFacts rollout={r} /> : <CanaryFacts rollout={r} />}
            <dt>Replicas</dt>
            <dd>{r.replicas.ready} ready of {r.replicas.desired} · {r.replicas.updated} updated</dd>
            <dt>Images</dt>
            <dd className="images">{r.images.join(', ')}</dd>
          </dl>
        </section>

        {r.blueGreen ? <Promotion rollout={r} /> : (
        <section aria-labelledby="steps-title" className="card">
          <h2 id="steps-title">Steps</h2>
          {r.steps.length === 0 ? <p>No steps.</p> : (
            <ol className="timeline" data-testid="timeline">
              {r.steps.map((s) => (
                <li key={s.index} className={s.state} aria-current={s.state === 'current' ? 'step' : undefined}>
                  <span className="marker" aria-hidden="true" />
                  <span>{s.text}</span>
                  {s.state === 'current' && r.pauseReasons.length > 0 && (
                    <span className="pause-reason"> — paused: {r.pauseReasons.join(', ')}</span>
                  )}
                  <span className="visually-hidden"> ({s.state})</span>
                </li>
              ))}
            </ol>
          )}
          {r.headerRoutes.length > 0 && (
            <>
              <h3>Header routes</h3>
              <ul>
                {r.headerRoutes.map((h) => (
                  <li key={h.name}>
                    <strong>{h.name}</strong> {h.active ? '(active)' : '(not active)'}: {h.matches.join('; ')}
                  </li>
                ))}
              </ul>
            </>
          )}
        </section>
        )}
      </div>

      <section aria-labelledby="revisions-title" className="card">
        <h2 id="revisions-title">Revisions</h2>
        <div className="revisions">
          {r.revisions.map((rev) => (
            <div key={rev.replicaSet} className={`revision ${rev.role}`} data-testid={`revision-${rev.role}`}>
              <h3>
                Revision {rev.revision || '?'} <span className={`badge role-${rev.role}`}>{rev.role}</span>
                {rev.services.map((svc) => (
                  <span key={svc}>
                    {' '}<span className={`badge service-${svc}`} data-testid={`${svc}-badge`}>{svc}</span>
                  </span>
                ))}
              </h3>
              <p className="rs">ReplicaSet {rev.replicaSet} · {rev.images.join(', ')}</p>
              {(rev.problems ?? []).map((problem) => {
                const { reason, detail } = problemParts(problem);
                return (
                  <p key={problem} className="problem" role="alert" data-testid="revision-problem">
                    {reason && <span className="badge problem-reason">{reason}</span>} {detail}
                  </p>
                );
              })}
              <p>
                {rev.available} available of {rev.desired}
                {rev.scaleDownAt && (
                  <>
                    {' · '}
                    <time dateTime={rev.scaleDownAt} data-testid="scale-down">{scaleDownText(rev.scaleDownAt, now)}</time>
                  </>
                )}
              </p>
              <ul className="pods" aria-label={`Pods of revision ${rev.revision}`}>
                {rev.pods.map((p) => (
                  <li key={p.name} className={p.ready ? 'ready' : 'not-ready'} title={`${p.name}: ${p.phase}`}>
                    <span className="dot" aria-hidden="true" />
                    {p.name} — {p.ready ? 'ready' : `not ready (${p.phase})`}
                  </li>
                ))}
              </ul>
            </div>
          ))}
          {r.revisions.length === 0 && <p>No ReplicaSets yet.</p>}
        </div>
      </section>

      <section aria-labelledby="analysis-title" className="card">
        <h2 id="analysis-title">Analysis runs</h2>
        {r.analysisRuns.length === 0 && <p>No analysis runs.</p>}
        {r.analysisRuns.map((run) => (
          <div key={run.name} className="run">
            <h3>
              {run.name} {run.type && <span className="run-type">{run.type}</span>} <Phase phase={run.phase} />
            </h3>
            {run.message && <p>{run.message}</p>}
            <div className="metrics">
              {run.metrics.map((m) => <MetricChart key={m.name} metric={m} />)}
            </div>
          </div>
        ))}
      </section>

      <section aria-labelledby="events-title" className="card">
        <h2 id="events-title">Recent events</h2>
        {r.events.length === 0 ? <p>No events.</p> : (
          <div className="table-wrap">
            <table className="events">
              <thead>
                <tr><th scope="col">When</th><th scope="col">Type</th><th scope="col">Reason</th><th scope="col">Message</th></tr>
              </thead>
              <tbody>
                {r.events.map((e, i) => (
                  <tr key={i} className={e.type === 'Warning' ? 'warning' : ''}>
                    <td><time dateTime={e.time}>{ago(e.time, now)}</time></td>
                    <td>{e.type}</td>
                    <td>{e.reason}{e.count > 1 ? ` ×${e.count}` : ''}</td>
                    <td>{e.message}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </section>
    </article>
  );
}

function WeightBar({ set, actual }: { set: number | null; actual: number | null }) {
  return (
    <div className="weightbar" aria-hidden="true">
      {set ? <div className="set" style={{ width: `${set}%` }} /> : null}
      {actual ? <div className="actual" style={{ width: `${actual}%` }} /> : null}
    </div>
  );
}

function CanaryFacts({ rollout: r }: { rollout: RolloutView }) {
  return (
    <>
      <dt>Step</dt>
      <dd data-testid="step">{stepText(r)}</dd>
      <dt>Weight</dt>
      <dd>
        set <span data-testid="set-weight">{weightText(r.setWeight)}</span> · actual{' '}
        <span data-testid="actual-weight">{weightText(r.actualWeight)}</span>
        <WeightBar set={r.setWeight} actual={r.actualWeight} />
      </dd>
    </>
  );
}
