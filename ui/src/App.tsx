import { useEffect, useState } from 'react';
import { fetchSession, pageReadOnly } from './api';
import { RolloutDetail } from './components/RolloutDetail';
import { RolloutList } from './components/RolloutList';
import { parseRoute, type Route } from './route';
import type { Session } from './types';
import { useStream } from './useStream';

export function App() {
  const { rollouts, connection, loaded } = useStream();
  const [route, setRoute] = useState<Route>(() => parseRoute(window.location.hash));
  const [session, setSession] = useState<Session>({
    readOnly: pageReadOnly(),
    namespace: '',
    actions: [],
  });

  useEffect(() => {
    const onHash = () => setRoute(parseRoute(window.location.hash));
    window.addEventListener('hashchange', onHash);
    return () => window.removeEventListener('hashchange', onHash);
  }, []);
  useEffect(() => {
    fetchSession().then(setSession, () => undefined);
  }, []);

  const selected = route.page === 'rollout' ? rollouts.get(`${route.namespace}/${route.name}`) : undefined;
  return (
    <>
      <header className="top">
        <a href="#/" className="brand">
          Serin
        </a>
        <span className="scope">
          {session.context ? `${session.context} · ` : ''}
          {session.namespace ? `namespace ${session.namespace}` : 'all namespaces'}
        </span>
        {session.readOnly && <span className="badge readonly">read-only</span>}
        <span className={`live ${connection}`} role="status" aria-live="polite" data-testid="connection">
          {connection === 'live' ? 'live' : connection === 'connecting' ? 'connecting…' : 'reconnecting…'}
        </span>
      </header>
      <main>
        {route.page === 'list' && <RolloutList rollouts={rollouts} loaded={loaded} />}
        {route.page === 'rollout' &&
          (selected ? (
            <RolloutDetail rollout={selected} session={session} />
          ) : (
            <p role="status">{loaded ? `Rollout ${route.namespace}/${route.name} not found.` : 'Loading…'}</p>
          ))}
      </main>
    </>
  );
}
