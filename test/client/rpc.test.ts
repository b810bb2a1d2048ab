// client.rpc() against a real hub over real sockets: data, server codes, client timeouts, offline refusal, concurrency.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { WebSocket as UndiciWebSocket } from 'undici';
import { Client, ClientError, type TransportFactory } from '../../src/client/index.ts';
import { createCodec, Subprotocol } from '../../src/messages/index.ts';
import { startHub } from '../helpers/realtime.ts';

const transport: TransportFactory = (url, protocols) => new UndiciWebSocket(url, protocols) as never;

async function connected(t: Parameters<typeof startHub>[0], hub: Awaited<ReturnType<typeof startHub>>, user: string) {
  const client = new Client({ url: hub.url, transport, token: await hub.token(user), reconnect: false });
  t.after(() => client.close());
  await client.connect();
  return client;
}

async function rejection(promise: Promise<unknown>): Promise<ClientError> {
  try {
    await promise;
  } catch (err) {
    assert.ok(err instanceof ClientError, String(err));
    return err;
  }
  assert.fail('expected a rejection');
}

test('rpc resolves with the reply data, and with undefined for an empty reply', async (t) => {
  const hub = await startHub(t);
  hub.hub.rpc('sum', (context) => ({ data: (context.data as number[]).reduce((a, b) => a + b, 0) }));
  hub.hub.rpc('whoami', (context) => ({ data: context.user }));
  hub.hub.rpc('nothing', () => undefined);
  const client = await connected(t, hub, 'alice');
  assert.equal(await client.rpc('sum', [1, 2, 3]), 6);
  assert.equal(await client.rpc('whoami'), 'alice');
  assert.equal(await client.rpc('nothing'), undefined);
});

test("rpc rejects with the server's code: not_found, a refusal's code, internal", async (t) => {
  const hub = await startHub(t, { logicTimeoutMs: 100 });
  hub.hub.rpc('refuse', () => ({ refuse: { code: 'rate_limited', message: 'One per minute' } }));
  hub.hub.rpc('throws', () => {
    throw new Error('boom');
  });
  const client = await connected(t, hub, 'alice');
  const missing = await rejection(client.rpc('missing'));
  assert.deepEqual([missing.code, missing.message], ['not_found', "Unknown RPC method 'missing'"]);
  const refused = await rejection(client.rpc('refuse'));
  assert.deepEqual([refused.code, refused.message], ['rate_limited', 'One per minute']);
  assert.equal((await rejection(client.rpc('throws'))).code, 'internal');
});

test('rpc times out on the client when the answer is late, and a late answer is then ignored', async (t) => {
  const hub = await startHub(t, { logicTimeoutMs: 2000 });
  hub.hub.rpc('slow', async () => {
    await new Promise((r) => setTimeout(r, 300));
    return { data: 'late' };
  });
  hub.hub.rpc('fast', () => ({ data: 'fast' }));
  const client = await connected(t, hub, 'alice');
  const err = await rejection(client.rpc('slow', null, { timeoutMs: 50 }));
  assert.equal(err.code, 'timeout');
  await new Promise((r) => setTimeout(r, 400));
  assert.equal(await client.rpc('fast'), 'fast', 'the late answer did not settle anything else');
  assert.equal(client.state, 'connected');
});

test('rpc rejects at once with closed when not connected, and nothing goes to the outbox', async (t) => {
  const hub = await startHub(t);
  const client = new Client({ url: hub.url, transport, token: await hub.token('alice'), reconnect: false });
  t.after(() => client.close());
  const err = await rejection(client.rpc('anything'));
  assert.equal(err.code, 'closed');
  assert.equal(client.outbox.length, 0);
});

test('rpc refuses a bad method name without sending it', async (t) => {
  const hub = await startHub(t);
  const client = await connected(t, hub, 'alice');
  const err = await rejection(client.rpc('no spaces allowed'));
  assert.equal(err.code, 'invalid_message');
  assert.equal(client.state, 'connected');
});

test('concurrent rpc calls each get their own answer', async (t) => {
  const hub = await startHub(t);
  hub.hub.rpc('delay', async (context) => {
    await new Promise((r) => setTimeout(r, context.data as number));
    return { data: context.data };
  });
  const client = await connected(t, hub, 'alice');
  const delays = [60, 0, 30, 10, 45, 5];
  assert.deepEqual(await Promise.all(delays.map((ms) => client.rpc('delay', ms))), delays);
});

test('rpc over MessagePack carries the same data', async (t) => {
  const hub = await startHub(t);
  hub.hub.rpc('echo', (context) => ({ data: context.data }));
  const client = new Client({
    url: hub.url,
    transport,
    token: await hub.token('alice'),
    reconnect: false,
    codec: createCodec(Subprotocol.MSGPACK),
  });
  t.after(() => client.close());
  await client.connect();
  const data = { text: 'héllo', n: [1, 2.5, -3], nested: { ok: true, none: null } };
  assert.deepEqual(await client.rpc('echo', data), data);
});
