// Dashboard page: the connection: a development token when the server hands them out (anonymous otherwise), a
// client that reconnects by itself, and the subscriptions the page wants (kept across reconnects by the client).
import { Client, type ClientState } from '../../src/client/index.ts';

/** Name the page asks a development token for (any valid name; the dashboard only reads). */
const VIEWER = 'dashboard-viewer';

/**
 * A token from `POST /api/dev-token` in development, or undefined (anonymous) where the server has none (404).
 * @throws Error when the server cannot be reached: the client then retries with backoff.
 */
async function fetchToken(): Promise<string | undefined> {
  const res = await fetch('/api/dev-token', {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ user: VIEWER }),
  });
  if (res.status === 404) return undefined;
  const body = (await res.json().catch(() => null)) as { token?: unknown } | null;
  if (!res.ok || typeof body?.token !== 'string') throw new Error(`No token (HTTP ${res.status})`);
  return body.token;
}

/** A client for this page's server, not yet connected. */
export function createClient(): Client {
  return new Client({
    url: `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/ws`,
    transport: (u, p) => new WebSocket(u, p),
    getToken: fetchToken,
    name: 'switchboard-dashboard/1',
  });
}

export type { ClientState };
