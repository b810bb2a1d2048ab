// The documented example backends (examples/proxy-backend/: Python standard library and plain Node), started as
// real processes, behind createHttpProxy: they verify the signature, attach presence info, refuse with a code,
// replace publication data and answer RPC calls; a request signed with the wrong secret, or not at all, is refused
// by the backend (HTTP 401), which the proxy reports as a broken exchange (the client gets `internal`).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { createHttpProxy, type HttpProxy, ProxyAnswerError } from '../../../src/integrations/index.ts';
import { startListening, type ServeProcess } from '../../docs/server.ts';
import { ALICE } from './node-backend.ts';

const SECRET = 'example-backend-proxy-secret';
const BACKENDS = {
  python: ['python3', ['examples/proxy-backend/backend.py']],
  node: [process.execPath, ['examples/proxy-backend/backend.mjs']],
} as const;

const CONNECT = { ...ALICE, expiresAt: null };
const SUBSCRIBE = { ...ALICE, channel: 'chat:lobby', namespace: 'chat' };

// A generous deadline: these tests are about the contract, on a machine that may be busy.
const proxyFor = (url: string, secret: string | null): HttpProxy =>
  createHttpProxy({ connect: url, refresh: url, subscribe: url, publish: url, rpc: url, secret, timeoutMs: 15_000 });

for (const [name, [command, args]] of Object.entries(BACKENDS)) {
  describe(`examples/proxy-backend in ${name}`, () => {
    let backend: ServeProcess;
    let proxy: HttpProxy;
    before(async () => {
      backend = await startListening(command, args, process.cwd(), { SWITCHBOARD_PROXY_SECRET: SECRET, PORT: '0' });
      proxy = proxyFor(`${backend.httpUrl}/switchboard`, SECRET);
    });
    after(async () => {
      await proxy?.close();
      await backend?.stop();
    });

    test('connect and refresh attach presence info; a banned user is refused with forbidden', async () => {
      assert.deepEqual(await proxy.onConnect!(CONNECT), { info: { name: 'Alice' } });
      assert.deepEqual(await proxy.onRefresh!(CONNECT), { info: { name: 'Alice' } });
      assert.deepEqual(await proxy.onConnect!({ ...CONNECT, user: 'mallory' }), {
        refuse: { code: 'forbidden', message: 'This account is suspended' },
      });
    });

    test('subscribe: the admin namespace needs the admin role', async () => {
      assert.equal(await proxy.onSubscribe!(SUBSCRIBE), undefined);
      const admin = { ...SUBSCRIBE, channel: 'admin:ops', namespace: 'admin' };
      assert.deepEqual(await proxy.onSubscribe!(admin), { refuse: { code: 'forbidden', message: 'Admins only' } });
      assert.equal(await proxy.onSubscribe!({ ...admin, roles: ['admin'] }), undefined);
    });

    test('publish: the data is replaced (trimmed, censored, signed by the user); empty text is refused', async () => {
      assert.deepEqual(await proxy.onPublish!({ ...SUBSCRIBE, data: { text: '  oh darn ' } }), {
        data: { text: 'oh ****', by: 'alice' },
      });
      assert.deepEqual(await proxy.onPublish!({ ...SUBSCRIBE, data: { text: ' ' } }), {
        refuse: { code: 'invalid_message', message: 'A message needs some text' },
      });
    });

    test('rpc: methods answer data; an unknown one is refused with not_found', async () => {
      assert.deepEqual(await proxy.rpc!({ ...ALICE, method: 'chat.shout', data: 'hello' }), {
        data: { text: 'HELLO' },
      });
      const now = (await proxy.rpc!({ ...ALICE, method: 'time', data: null })) as { data: { now: number } };
      assert.ok(Math.abs(now.data.now - Date.now()) < 5000);
      assert.deepEqual(await proxy.rpc!({ ...ALICE, method: 'nope', data: null }), {
        refuse: { code: 'not_found', message: 'Unknown method nope' },
      });
    });

    test('a forged signature (wrong secret) and a missing one are refused by the backend', async () => {
      for (const secret of ['not-the-secret', null]) {
        const forger = proxyFor(`${backend.httpUrl}/switchboard`, secret);
        try {
          await assert.rejects(
            Promise.resolve(forger.onPublish!({ ...SUBSCRIBE, data: { text: 'hi' } })),
            (err: unknown) =>
              err instanceof ProxyAnswerError && err.outcome === 'bad_status' && /HTTP 401/.test(err.message),
          );
        } finally {
          await forger.close();
        }
      }
    });

    test('many calls at once are all answered, over a few reused connections', async () => {
      const answers = await Promise.all(
        Array.from({ length: 200 }, (_, i) => proxy.onPublish!({ ...SUBSCRIBE, data: { text: `m${i}` } })),
      );
      for (const [i, answer] of answers.entries()) assert.deepEqual(answer, { data: { text: `m${i}`, by: 'alice' } });
      const health = proxy.health();
      assert.equal(health.endpoints[0]!.failures, 0);
      assert.equal(health.endpoints[0]!.breaker, 'closed');
    });
  });
}

test('docs/backend-proxy.md lists examples/proxy-backend/backend.py byte for byte', () => {
  const doc = readFileSync('docs/backend-proxy.md', 'utf8');
  const listing = /```python norun\n([\s\S]*?)```/.exec(doc)?.[1];
  assert.equal(listing, readFileSync('examples/proxy-backend/backend.py', 'utf8'));
});
