// Talking to the server: the session token from the served page, actions as POSTs with
// the token header (the browser adds Origin), errors as the server's message.
import type { Action, Session } from './types';

export const TOKEN_HEADER = 'X-Serin-Token';

function meta(name: string): string {
  return document.querySelector<HTMLMetaElement>(`meta[name="${name}"]`)?.content ?? '';
}

export function pageToken(): string {
  return meta('serin-token');
}

export function pageReadOnly(): boolean {
  return meta('serin-read-only') === 'true';
}

export async function fetchSession(): Promise<Session> {
  const res = await fetch('/api/session');
  if (!res.ok) throw new Error(await errorText(res));
  return (await res.json()) as Session;
}

export async function runAction(namespace: string, name: string, action: Action): Promise<string> {
  const url = `/api/rollouts/${encodeURIComponent(namespace)}/${encodeURIComponent(name)}/${action}`;
  const res = await fetch(url, { method: 'POST', headers: { [TOKEN_HEADER]: pageToken() } });
  if (!res.ok) throw new Error(await errorText(res));
  const body = (await res.json()) as { message?: string };
  return body.message ?? `${action} done`;
}

export async function errorText(res: Response): Promise<string> {
  try {
    const body = (await res.json()) as { error?: string };
    if (body.error) return body.error;
  } catch {
    // not JSON: fall through
  }
  return `${res.status} ${res.statusText}`;
}

// streamURL is the event stream, narrowed to a namespace when one is chosen.
export function streamURL(namespace: string): string {
  return namespace ? `/api/stream?namespace=${encodeURIComponent(namespace)}` : '/api/stream';
}
