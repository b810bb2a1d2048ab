// Every refused operation answers its request with an `error` carrying a code and the request's rid: no silent path.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MemoryBroker } from '../../src/broker/index.ts';
import {
  createAuthenticator,
  createNamespaces,
  Permissions,
  RealtimeServer,
  signToken,
} from '../../src/realtime/index.ts';
import { openClient, SECRET, startHub, TEST_NAMESPACES } from '../helpers/realtime.ts';

const REFUSALS: readonly { readonly message: Record<string, unknown>; readonly code: string }[] = [
  // Unknown namespace: the permission check resolves the channel once, and its refusal is the answer.
  { message: { type: 'subscribe', channel: 'nope:x' }, code: 'not_found' },
  { message: { type: 'publish', channel: 'nope:x', data: 1, id: 'm1' }, code: 'not_found' },
  { message: { type: 'history', channel: 'nope:x' }, code: 'not_found' },
  { message: { type: 'presence', channel: 'nope:x' }, code: 'not_found' },
  { message: { type: 'typing', channel: 'nope:x', on: true }, code: 'not_found' },
  // Disabled in the namespace.
  { message: { type: 'publish', channel: 'feed:prices', data: 1, id: 'm1' }, code: 'not_available' },
  { message: { type: 'history', channel: 'nohist:x' }, code: 'not_available' },
  { message: { type: 'presence', channel: 'nohist:x' }, code: 'not_available' },
  { message: { type: 'typing', channel: 'nohist:x', on: true }, code: 'not_available' },
  // Missing role, someone else's personal channel.
  { message: { type: 'subscribe', channel: 'staff:room' }, code: 'forbidden' },
  { message: { type: 'publish', channel: 'staff:room', data: 1, id: 'm1' }, code: 'forbidden' },
  { message: { type: 'subscribe', channel: 'user:bob' }, code: 'forbidden' },
  { message: { type: 'history', channel: 'user:bob' }, code: 'forbidden' },
  { message: { type: 'publish', channel: 'user:bob', data: 1, id: 'm1' }, code: 'forbidden' },
];

test('each refused subscribe, publish, history, presence and typing gets an error with its code and rid', async (t) => {
  const hub = await startHub(t);
  const alice = await openClient(t, hub, 'alice');
  for (const { message, code } of REFUSALS) {
    const answer = await alice.request(message);
    assert.deepEqual([answer.type, answer['code']], ['error', code], JSON.stringify(message));
    assert.equal(typeof answer['message'], 'string');
  }
  assert.equal(alice.closeCode, null, 'refusals are answers, not strikes');
  assert.equal(
    (await alice.request({ type: 'subscribe', channel: 'chat:ok' })).type,
    'subscribed',
    'the session still works',
  );
});

test('send is refused with a code when private messages are disabled', async (t) => {
  const hub = await startHub(t, { namespaces: { ...TEST_NAMESPACES, user: { allowClientPublish: false } } });
  const alice = await openClient(t, hub, 'alice');
  const answer = await alice.request({ type: 'send', user: 'bob', data: 'hi' });
  assert.deepEqual([answer.type, answer['code']], ['error', 'not_available']);
});

test('a hub refuses permissions that decide over other namespaces than the ones it serves', async () => {
  const namespaces = createNamespaces(TEST_NAMESPACES);
  const other = createNamespaces({ ...TEST_NAMESPACES, extra: {} });
  const authenticator = await createAuthenticator({ keys: [{ type: 'secret', secret: SECRET }] });
  const broker = new MemoryBroker();
  try {
    // Operations read the namespace configuration from the permission check: two registries would disagree.
    assert.throws(
      () => new RealtimeServer({ port: 0, broker, namespaces, authenticator, permissions: new Permissions(other) }),
      (err: unknown) => err instanceof TypeError && /permissions built over other namespaces/.test(err.message),
    );
  } finally {
    await broker.close();
  }
});

test("permissions built over the hub's own namespaces are used, role table included", async (t) => {
  const namespaces = createNamespaces(TEST_NAMESPACES);
  const broker = new MemoryBroker();
  const authenticator = await createAuthenticator({ keys: [{ type: 'secret', secret: SECRET }] });
  const server = new RealtimeServer({
    port: 0,
    broker,
    namespaces,
    authenticator,
    permissions: new Permissions(namespaces, { roles: { user: ['subscribe'] } }),
  });
  const { port } = await server.wss.listen();
  t.after(async () => {
    await server.drain({ timeoutMs: 500 });
    await broker.close();
  });
  const hub = {
    hub: server,
    broker,
    port,
    url: `ws://127.0.0.1:${port}/ws`,
    token: (sub: string) => signToken({ sub, ttlMs: 60_000 }, { type: 'secret', secret: SECRET }),
  };
  const alice = await openClient(t, hub, 'alice');
  assert.equal((await alice.request({ type: 'subscribe', channel: 'chat:a' })).type, 'subscribed');
  const refused = await alice.request({ type: 'publish', channel: 'chat:a', data: 1, id: 'm1' });
  assert.deepEqual(
    [refused.type, refused['code']],
    ['error', 'forbidden'],
    'the role table given grants subscribe only',
  );
});
