import { useMemo, useState } from 'react';
import { applyFilter, namespaces, PHASES, type Filter } from '../filter';
import { progressText, trafficText } from '../format';
import { rolloutHref } from '../route';
import type { Rollouts } from '../store';
import { Phase } from './Phase';

export function RolloutList({ rollouts, loaded }: { rollouts: Rollouts; loaded: boolean }) {
  const [filter, setFilter] = useState<Filter>({ namespace: '', text: '', phase: '' });
  const all = useMemo(() => [...rollouts.values()], [rollouts]);
  const shown = applyFilter(all, filter);
  const set = (patch: Partial<Filter>) => setFilter((f) => ({ ...f, ...patch }));
  return (
    <section aria-labelledby="list-title">
      <h1 id="list-title">Rollouts</h1>
      <form className="filters" role="search" onSubmit={(e) => e.preventDefault()}>
        <label>
          Namespace
          <select value={filter.namespace} onChange={(e) => set({ namespace: e.target.value })}>
            <option value="">All namespaces</option>
            {namespaces(all).map((ns) => (
              <option key={ns} value={ns}>
                {ns}
              </option>
            ))}
          </select>
        </label>
        <label>
          Name
          <input
            type="search"
            value={filter.text}
            placeholder="filter by name"
            onChange={(e) => set({ text: e.target.value })}
          />
        </label>
        <label>
          Phase
          <select value={filter.phase} onChange={(e) => set({ phase: e.target.value })}>
            <option value="">Any phase</option>
            {PHASES.map((p) => (
              <option key={p} value={p}>
                {p}
              </option>
            ))}
          </select>
        </label>
      </form>
      {!loaded && <p role="status">Loading…</p>}
      {loaded && shown.length === 0 && <p role="status">No rollouts match.</p>}
      {shown.length > 0 && (
        <div className="table-wrap">
          <table className="rollouts">
            <caption className="visually-hidden">Rollouts, {shown.length} shown</caption>
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Namespace</th>
                <th scope="col">Phase</th>
                <th scope="col">Step / stage</th>
                <th scope="col">Traffic (weight set / actual, or active · preview)</th>
                <th scope="col">Ready</th>
                <th scope="col">Images</th>
              </tr>
            </thead>
            <tbody>
              {shown.map((r) => (
                <tr key={r.key} data-testid={`row-${r.key}`}>
                  <th scope="row">
                    <a href={rolloutHref(r.namespace, r.name)}>{r.name}</a>
                  </th>
                  <td>{r.namespace}</td>
                  <td>
                    <Phase phase={r.phase} />
                  </td>
                  <td>{progressText(r)}</td>
                  <td>{trafficText(r)}</td>
                  <td>
                    {r.replicas.ready}/{r.replicas.desired}
                  </td>
                  <td className="images">{r.images.join(', ')}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
