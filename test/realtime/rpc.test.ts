// The `rpc` message against a real hub over real sockets: in-process handlers, the logics' `rpc` fallback,
// refusals, failures, concurrency and who may call.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { LogicFailureReason, LogicHook, RpcContext } from '../../src/realtime/index.ts';
import { MemoryBroker } from '../../src/broker/index.ts';
import {
  createAuthenticator,
  createNamespaces,
  Permissions,
  RealtimeServer,
  signToken,
} from '../../src/realtime/index.ts';
import { openClient, openRaw, SECRET, startHub, TEST_NAMESPACES } from '../helpers/realtime.ts';

test('a registered method answers with a reply carrying its data; the handler sees the caller', async (t) => {
  const hub = await startHub(t);
  const seen: RpcContext[] = [];
  hub.hub.rpc('profile.get', (context) => {
    seen.push(context);
    return { data: { user: context.user, asked: context.data } };
  });
  hub.hub.rpc('noop', () => undefined);
  const alice = await openClient(t, hub, 'alice', { roles: ['editor'], info: { name: 'Alice' } });
  const reply = await alice.request({ type: 'rpc', method: 'profile.get', data: { id: 7 } });
  assert.deepEqual(reply, { type: 'reply', re: reply['re'], data: { user: 'alice', asked: { id: 7 } } });
  const [context] = seen;
  assert.equal(context!.method, 'profile.get');
  assert.equal(context!.anonymous, false);
  assert.deepEqual([...context!.roles].sort(), ['editor', 'user']);
  assert.deepEqual({ ...context!.info }, { name: 'Alice' });
  assert.equal(context!.transport, 'websocket');
  assert.match(context!.client, /^[0-9a-f]{32}$/);
  assert.equal(context!.remoteAddress, '127.0.0.1');
  const empty = await alice.request({ type: 'rpc', method: 'noop' });
  assert.deepEqual(Object.keys(empty).sort(), ['re', 'type'], 'an empty reply has no data');
  assert.equal(seen.length, 1);
});

test('a call without data gives the handler null', async (t) => {
  const hub = await startHub(t);
  hub.hub.rpc('echo', (context) => ({ data: context.data }));
  const alice = await openClient(t, hub, 'alice');
  assert.equal((await alice.request({ type: 'rpc', method: 'echo' }))['data'], null);
});

test("an unknown method is not_found with the method's name; a logic's rpc answers what no handler does", async (t) => {
  const hub = await startHub(t, {
    logic: [
      { rpc: (context) => (context.method === 'a' ? { data: 'from first' } : null) },
      { rpc: (context) => (context.method.startsWith('b') ? { data: 'from second' } : null) },
    ],
  });
  hub.hub.rpc('a.local', () => ({ data: 'local' }));
  const alice = await openClient(t, hub, 'alice');
  const unknown = await alice.request({ type: 'rpc', method: 'nothing.here' });
  assert.deepEqual(
    [unknown.type, unknown['code'], unknown['message']],
    ['error', 'not_found', "Unknown RPC method 'nothing.here'"],
  );
  assert.equal((await alice.request({ type: 'rpc', method: 'a' }))['data'], 'from first');
  assert.equal((await alice.request({ type: 'rpc', method: 'b.x' }))['data'], 'from second');
  assert.equal((await alice.request({ type: 'rpc', method: 'a.local' }))['data'], 'local');
});

test('a refusal is an error with its code and message', async (t) => {
  const hub = await startHub(t);
  hub.hub.rpc('admin.only', (context) =>
    context.roles.includes('admin') ? { data: 'ok' } : { refuse: { code: 'forbidden', message: 'Admins only' } },
  );
  const alice = await openClient(t, hub, 'alice');
  const answer = await alice.request({ type: 'rpc', method: 'admin.only' });
  assert.deepEqual([answer['code'], answer['message']], ['forbidden', 'Admins only']);
  const admin = await openClient(t, hub, 'root', { roles: ['admin'] });
  assert.equal((await admin.request({ type: 'rpc', method: 'admin.only' }))['data'], 'ok');
});

test('a handler that throws, hangs or answers garbage is internal; the session and server stay usable', async (t) => {
  const failures: [LogicHook, LogicFailureReason][] = [];
  const hub = await startHub(t, {
    logicTimeoutMs: 100,
    observer: { logicFailed: (hook, reason) => failures.push([hook, reason]) },
  });
  hub.hub.rpc('throws', () => {
    throw new Error('database password is hunter2');
  });
  hub.hub.rpc('hangs', () => new Promise(() => {}));
  hub.hub.rpc('garbage', () => ({ data: 1, extra: true }) as never);
  hub.hub.rpc('bigint', () => ({ data: 1n }) as never);
  hub.hub.rpc('ok', () => ({ data: 'fine' }));
  const alice = await openClient(t, hub, 'alice');
  for (const method of ['throws', 'hangs', 'garbage', 'bigint']) {
    const answer = await alice.request({ type: 'rpc', method });
    assert.deepEqual([answer['code'], answer['message']], ['internal', 'Internal server error'], method);
  }
  assert.deepEqual(failures, [
    ['rpc', 'threw'],
    ['rpc', 'timeout'],
    ['rpc', 'invalid'],
    ['rpc', 'invalid'],
  ]);
  assert.equal(hub.hub.logicInFlight, 0);
  assert.equal((await alice.request({ type: 'rpc', method: 'ok' }))['data'], 'fine');
  const bob = await openClient(t, hub, 'bob');
  assert.equal((await bob.request({ type: 'rpc', method: 'ok' }))['data'], 'fine');
});

test('concurrent calls are each answered to their own rid, whatever order they finish in', async (t) => {
  const hub = await startHub(t);
  hub.hub.rpc('wait', async (context) => {
    const ms = context.data as number;
    await new Promise((r) => setTimeout(r, ms));
    return { data: ms };
  });
  const alice = await openClient(t, hub, 'alice');
  const delays = [80, 10, 50, 0, 30, 60, 20, 40];
  const rids = delays.map((ms) => {
    const rid = alice.rid();
    alice.send({ type: 'rpc', method: 'wait', data: ms, rid });
    return rid;
  });
  const answers = await Promise.all(rids.map((rid) => alice.answer(rid)));
  assert.deepEqual(
    answers.map((a) => a['data']),
    delays,
  );
});

test('rpc needs a role granting it: anonymous sessions are forbidden by default', async (t) => {
  const hub = await startHub(t, { anonymous: ['anonymous'] });
  let calls = 0;
  hub.hub.rpc('x', () => {
    calls++;
    return undefined;
  });
  const guest = await openClient(t, hub, null);
  const answer = await guest.request({ type: 'rpc', method: 'x' });
  assert.equal(answer['code'], 'forbidden');
  assert.equal(calls, 0);
});

test('rpc before connect is unauthorized, like every other message', async (t) => {
  const hub = await startHub(t);
  const raw = await openRaw(t, hub.url);
  const answer = await raw.request({ type: 'rpc', method: 'x' });
  assert.equal(answer['code'], 'unauthorized');
});

test('rpc() refuses a duplicate name, an invalid name and a non-function', async (t) => {
  const hub = await startHub(t);
  hub.hub.rpc('once', () => undefined);
  assert.throws(() => hub.hub.rpc('once', () => undefined), /already registered/);
  for (const bad of ['', 'a b', 'x'.repeat(65), 'path/to', 'é']) {
    assert.throws(() => hub.hub.rpc(bad, () => undefined), TypeError, bad);
  }
  assert.throws(() => hub.hub.rpc('fine', 'no' as never), TypeError);
});

test('the rpc grant is a role operation: a role table without it forbids rpc, one with it allows it', async (t) => {
  const namespaces = createNamespaces(TEST_NAMESPACES);
  const broker = new MemoryBroker();
  const server = new RealtimeServer({
    port: 0,
    broker,
    namespaces,
    authenticator: await createAuthenticator({ keys: [{ type: 'secret', secret: SECRET }] }),
    permissions: new Permissions(namespaces, { roles: { user: ['subscribe'], caller: ['rpc'], root: ['*'] } }),
  });
  server.rpc('m', () => ({ data: 'ok' }));
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
    token: (sub: string, o: { roles?: string[] } = {}) =>
      signToken({ sub, ttlMs: 60_000, roles: o.roles ?? [] }, { type: 'secret', secret: SECRET }),
  };
  const plain = await openClient(t, hub, 'plain');
  assert.equal((await plain.request({ type: 'rpc', method: 'm' }))['code'], 'forbidden');
  const caller = await openClient(t, hub, 'caller', { roles: ['caller'] });
  assert.equal((await caller.request({ type: 'rpc', method: 'm' }))['data'], 'ok');
  const root = await openClient(t, hub, 'root', { roles: ['root'] });
  assert.equal((await root.request({ type: 'rpc', method: 'm' }))['data'], 'ok');
  assert.throws(() => new Permissions(namespaces, { roles: { x: ['rpcx' as never] } }), RangeError);
});
