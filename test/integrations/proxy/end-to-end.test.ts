// End to end: SDK clients on a real RealtimeServer whose logic is createHttpProxy, in front of the documented Python
// backend (examples/proxy-backend/backend.py, a real process). What a client sees: presence info attached by the
// backend, publications replaced, refusals with the backend's codes, RPC replies; and when the backend dies or
// hangs, `backend_unavailable` within the proxy's deadline while the session and the server stay usable.
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import { Client, ClientError } from '../../../src/client/index.ts';
import { createWebSocket } from '../../../src/engine/index.ts';
import { createHttpProxy, type HttpProxy } from '../../../src/integrations/index.ts';
import { startListening } from '../../docs/server.ts';
import { openClient, startHub, type Hub } from '../../helpers/realtime.ts';

const SECRET = 'end-to-end-proxy-secret';
const NAMESPACES = { chat: { historySize: 10, recoverOnJoin: 0, presence: true }, admin: {} };

async function sdkClient(t: Parameters<typeof startHub>[0], hub: Hub, user: string, roles = ['user']): Promise<Client> {
  const token = await hub.token(user, { roles });
  const client = new Client({
    url: hub.url,
    transport: (url, protocols) => createWebSocket(url, { protocols: [...protocols] }) as never,
    token,
    reconnect: false,
  });
  t.after(() => client.close());
  return client;
}

test('SDK clients through the proxy and the Python backend: info, replaced data, refusals, rpc', async (t) => {
  const backend = await startListening('python3', ['examples/proxy-backend/backend.py'], process.cwd(), {
    SWITCHBOARD_PROXY_SECRET: SECRET,
    PORT: '0',
  });
  t.after(() => backend.stop());
  const url = `${backend.httpUrl}/switchboard`;
  // Generous deadlines: this test is about what the client sees, on a machine that may be busy.
  const proxy = createHttpProxy({
    connect: url,
    subscribe: url,
    publish: url,
    rpc: url,
    secret: SECRET,
    timeoutMs: 15_000,
  });
  t.after(() => proxy.close());
  const hub = await startHub(t, { logic: proxy, logicTimeoutMs: 20_000, namespaces: NAMESPACES });

  const alice = await sdkClient(t, hub, 'alice');
  await alice.connect();
  const received: { data: unknown }[] = [];
  const room = alice.subscription('chat:lobby');
  room.on('publication', (p) => received.push(p));
  await room.subscribe();
  const presence = await alice.presence('chat:lobby');
  assert.deepEqual(
    presence.users.map((u) => [u.user, u.info]),
    [['alice', { name: 'Alice' }]],
    'the backend attached the presence info at connect',
  );

  await alice.publish('chat:lobby', { text: '  well darn  ' });
  for (let i = 0; i < 100 && received.length === 0; i++) await new Promise((r) => setTimeout(r, 20));
  assert.deepEqual(received[0]?.data, { text: 'well ****', by: 'alice' }, 'delivered as the backend replaced it');
  const history = await alice.history('chat:lobby', { limit: 10 });
  assert.deepEqual(
    history.publications.map((p) => ('data' in p ? p.data : null)),
    [{ text: 'well ****', by: 'alice' }],
    'stored as replaced',
  );

  await assert.rejects(alice.publish('chat:lobby', { text: '' }), (err: unknown) => {
    return err instanceof ClientError && err.code === 'invalid_message' && err.message === 'A message needs some text';
  });
  await assert.rejects(
    alice.subscribe('admin:ops'),
    (err: unknown) => err instanceof ClientError && err.code === 'forbidden',
  );
  const reply = await alice.request({ type: 'rpc', method: 'chat.shout', data: 'hello' });
  assert.deepEqual([reply.type, (reply as { data?: unknown }).data], ['reply', { text: 'HELLO' }]);
  await assert.rejects(
    alice.request({ type: 'rpc', method: 'nope', data: null }),
    (err: unknown) => err instanceof ClientError && err.code === 'not_found',
  );

  // The backend refuses a banned user at connect: error, then close 4504.
  const mallory = await sdkClient(t, hub, 'mallory');
  await assert.rejects(mallory.connect(), (err: unknown) => err instanceof ClientError);
  const raw = await openClient(t, hub, 'alice').catch(() => null);
  assert.ok(raw !== null, 'alice still connects');
  assert.equal(proxy.health().endpoints[0]!.failures, 0);
});

test('a backend that dies or hangs: backend_unavailable within the proxy deadline; the server goes on', async (t) => {
  // A backend whose behaviour the test switches: answer, hang, or be gone.
  let mode: 'ok' | 'hang' = 'ok';
  const server = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      if (mode === 'hang') return;
      res.writeHead(200, { 'Content-Type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/publish`;
  const closeServer = () =>
    new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  t.after(closeServer);
  const proxy: HttpProxy = createHttpProxy({
    publish: url,
    timeoutMs: 300,
    breaker: { failureThreshold: 2, resetAfterMs: 60_000 },
  });
  t.after(() => proxy.close());
  const hub = await startHub(t, { logic: proxy, logicTimeoutMs: 5000, namespaces: NAMESPACES });
  const alice = await openClient(t, hub, 'alice');
  const publish = (i: number) =>
    alice.request({ type: 'publish', channel: 'chat:x', data: { text: `m${i}` }, id: `m${i}` });

  assert.equal((await publish(1)).type, 'reply');
  mode = 'hang';
  const started = Date.now();
  const hung = await publish(2);
  assert.deepEqual([hung.type, hung['code']], ['error', 'backend_unavailable']);
  assert.ok(Date.now() - started < 4000, 'answered by the proxy deadline (300 ms), not the hub one (5 s)');
  await closeServer();
  const down = await publish(3);
  assert.deepEqual([down.type, down['code']], ['error', 'backend_unavailable']);
  assert.equal(proxy.health().endpoints[0]!.breaker, 'open');
  const fast = Date.now();
  assert.equal((await publish(4))['code'], 'backend_unavailable');
  assert.ok(Date.now() - fast < 1000, 'an open breaker answers at once');

  // Nothing was stored; the session and the rest of the server are fine.
  assert.equal((await hub.broker.history('chat:x', { limit: 10 })).publications.length, 1);
  assert.equal((await alice.request({ type: 'subscribe', channel: 'chat:x' })).type, 'subscribed');
  assert.equal((await alice.request({ type: 'ping' })).type, 'reply');
  assert.equal(alice.closeCode, null);
  assert.equal(hub.hub.logicInFlight, 0);
});
