// useStream keeps the views live: one EventSource on /api/stream, fed into the reducer.
// The browser's EventSource reconnects by itself after a dropped connection (the server
// sets retry: 1000 and sends a fresh "reset"); when the server refused the stream outright
// the source is closed for good, so a new one is opened after a pause.
import { useEffect, useReducer, useState } from 'react';
import { streamURL } from './api';
import { parseEvent, reduce, type Rollouts } from './store';

export type Connection = 'connecting' | 'live' | 'reconnecting';

const empty: Rollouts = new Map();

export function useStream(): { rollouts: Rollouts; connection: Connection; loaded: boolean } {
  const [rollouts, dispatch] = useReducer(reduce, empty);
  const [connection, setConnection] = useState<Connection>('connecting');
  const [loaded, setLoaded] = useState(false);

  useEffect(() => {
    let source: EventSource | null = null;
    let reopen: ReturnType<typeof setTimeout> | undefined;
    let stopped = false;
    const open = () => {
      source = new EventSource(streamURL(''));
      source.onopen = () => setConnection('live');
      source.onerror = () => {
        if (stopped || !source) return;
        if (source.readyState === EventSource.CLOSED) {
          setConnection('reconnecting');
          reopen = setTimeout(open, 2000);
        } else {
          setConnection('reconnecting');
        }
      };
      for (const name of ['reset', 'rollout', 'deleted']) {
        source.addEventListener(name, (e) => {
          const ev = parseEvent(name, (e as MessageEvent<string>).data);
          if (!ev) return;
          dispatch(ev);
          if (ev.type === 'reset') {
            setLoaded(true);
            setConnection('live');
          }
        });
      }
    };
    open();
    return () => {
      stopped = true;
      clearTimeout(reopen);
      source?.close();
    };
  }, []);
  return { rollouts, connection, loaded };
}
