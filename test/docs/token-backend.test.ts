// examples/token-backend: the Node and the Python token services sign tokens that a server started from
// examples/production.json (same HS256 secret) accepts; a client that fetches its token from them connects as that
// user, subscribes, publishes, receives and refreshes; bad credentials get 401 and a client without a token is refused.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Client, ClientError } from '../../src/client/index.ts';
import { createWebSocket } from '../../src/engine/index.ts';
import { startListening, startServe, type ServeProcess } from './server.ts';

const ROOT = process.cwd();
const SECRET = 'token-backend-test-secret-0123456789abcdefgh';
const BACKENDS = {
  node: [process.execPath, ['examples/token-backend/server.mjs']],
  python: ['python3', ['examples/token-backend/token_backend.py']],
} as const;

async function fetchToken(backend: ServeProcess, user: string, password: string): Promise<Response> {
  return fetch(`${backend.httpUrl}/token`, {
    method: 'POST',
    headers: { Authorization: `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}` },
  });
}

describe('examples/token-backend with examples/production.json', () => {
  let server: ServeProcess;
  before(async () => {
    server = await startServe(ROOT, ['--config', 'examples/production.json', '--port', '0', '--log-level', 'warn'], {
      SWITCHBOARD_AUTH__HS256_SECRET: SECRET,
      SWITCHBOARD_API_KEYS: 'token-backend-test-api-key',
    });
  });
  after(() => server?.stop());

  for (const [name, [command, args]] of Object.entries(BACKENDS)) {
    test(`${name}: its tokens sign a client in, and bad credentials get 401`, { timeout: 60_000 }, async (t) => {
      const backend = await startListening(command, args, ROOT, { SWITCHBOARD_SECRET: SECRET, PORT: '0' });
      t.after(() => backend.stop());

      assert.equal((await fetchToken(backend, 'alice', 'wrong')).status, 401);
      assert.equal((await fetchToken(backend, 'mallory', 'alice-password')).status, 401);
      const issued = (await (await fetchToken(backend, 'alice', 'alice-password')).json()) as {
        token: string;
        expires: number;
      };
      assert.match(issued.token, /^[\w-]+\.[\w-]+\.[\w-]+$/);
      assert.ok(
        issued.expires > Date.now() + 14 * 60_000 && issued.expires <= Date.now() + 15 * 60_000 + 1000,
        `expires ${issued.expires}`,
      );

      // The documented client pattern: getToken asks the backend before every connection and before expiry.
      let asked = 0;
      const client = new Client({
        url: server.wsUrl,
        transport: (url, protocols) => createWebSocket(url, { protocols: [...protocols] }) as never,
        getToken: async () => {
          asked++;
          const res = await fetchToken(backend, 'alice', 'alice-password');
          if (!res.ok) throw new ClientError('unauthorized', `token backend answered ${res.status}`);
          return ((await res.json()) as { token: string }).token;
        },
        reconnect: false,
      });
      t.after(() => client.close());
      const connected = await client.connect();
      assert.equal(asked, 1);
      assert.equal((connected as { user?: string }).user, 'alice');
      assert.ok(
        typeof connected.expires === 'number' && Math.abs(connected.expires - issued.expires) < 5000,
        `expires ${String(connected.expires)}`,
      );

      const received: unknown[] = [];
      const room = client.subscription('chat:general');
      room.on('publication', (p) => received.push(p.data));
      await room.subscribe();
      await client.publish('chat:general', { text: `signed in by the ${name} backend` });
      for (let i = 0; i < 100 && received.length === 0; i++) await new Promise((r) => setTimeout(r, 50));
      assert.deepEqual(received.at(-1), { text: `signed in by the ${name} backend` });

      // A refresh on the same connection with a fresh token of the same user.
      const again = (await (await fetchToken(backend, 'alice', 'alice-password')).json()) as { token: string };
      const refreshed = await client.refresh(again.token);
      assert.equal(typeof (refreshed as { expires?: unknown }).expires, 'number');

      // Production config: no anonymous access.
      const nobody = new Client({
        url: server.wsUrl,
        transport: (url, protocols) => createWebSocket(url, { protocols: [...protocols] }) as never,
        reconnect: false,
      });
      t.after(() => nobody.close());
      await assert.rejects(nobody.connect(), (err: unknown) => err instanceof ClientError);
    });
  }
});
