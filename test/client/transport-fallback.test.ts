// Fallback between transports through a proxy that blocks WebSocket like a corporate one: an upgrade refused with 403
// -> SSE; an upgrade accepted and then silent -> SSE after transportTimeoutMs; the event stream blocked too -> polling;
// the proxy unblocked -> back to WebSocket after a background probe, with no message lost or delivered twice.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { Client, type StateChange, type TransportKind } from '../../src/client/index.ts';
import { engineTransport, tokenFor, waitFor } from '../helpers/client-faults.ts';
import { startBlockingProxy, type HttpBlockingProxy } from '../helpers/http-proxy.ts';
import { startTransportServer } from '../helpers/transport-server.ts';

const TRANSPORT_TIMEOUT_MS = 1000;
const WEBSOCKET_RETRY_MS = 300;

/** A server, a blocking proxy in front of it, a client behind the proxy and a WebSocket client that talks directly. */
async function setup(t: TestContext, block: (proxy: HttpBlockingProxy) => void) {
  const server = await startTransportServer(t);
  const proxy = await startBlockingProxy(t, server.port);
  block(proxy);
  const client = new Client({
    url: `ws://127.0.0.1:${proxy.port}/ws`,
    transport: engineTransport,
    token: await tokenFor('behind-proxy'),
    transportTimeoutMs: TRANSPORT_TIMEOUT_MS,
    websocketRetryMs: WEBSOCKET_RETRY_MS,
    reconnect: { minDelayMs: 20, maxDelayMs: 300, factor: 2 },
  });
  const direct = new Client({ url: server.url, transport: engineTransport, token: await tokenFor('direct') });
  t.after(() => {
    client.close();
    direct.close();
  });
  const changes: StateChange[] = [];
  client.on('statechange', (c) => changes.push(c));
  const received: number[] = [];
  client.on('publication', (p) => received.push((p.data as { i: number }).i));
  await client.connect();
  await direct.connect();
  await client.subscribe('chat:fb');
  return { server, proxy, client, direct, changes, received };
}

/** The (state, transport, reason) path of the statechanges. */
const path = (changes: readonly StateChange[]): string[] => changes.map((c) => `${c.state}/${c.transport}/${c.reason}`);

/** Publishes `from..to-1` from `direct` every 10 ms; resolves when all are acknowledged. */
async function flow(direct: Client, from: number, to: number, during: () => boolean): Promise<void> {
  const acks: Promise<unknown>[] = [];
  for (let i = from; i < to; i++) {
    acks.push(direct.publish('chat:fb', { i }));
    await new Promise((r) => setTimeout(r, during() ? 10 : 0));
  }
  await Promise.all(acks);
}

/** Publishes while the client moves back to `websocket`, then checks nothing was lost or repeated. */
async function unblockAndMoveBack(
  t: { proxy: HttpBlockingProxy; client: Client; direct: Client; changes: StateChange[]; received: number[] },
  from: TransportKind,
): Promise<void> {
  const before = t.received.length;
  let moved = false;
  const flowing = flow(t.direct, before, before + 300, () => !moved);
  await new Promise((r) => setTimeout(r, 200));
  t.proxy.websocket = 'pass';
  t.proxy.blockedPaths.clear();
  await waitFor(
    () => t.client.transport === 'websocket' && t.client.state === 'connected',
    20_000,
    () => JSON.stringify(path(t.changes)),
  );
  moved = true;
  await flowing;
  await waitFor(
    () => t.received.length >= before + 300,
    10_000,
    () => `(received ${t.received.length})`,
  );
  await new Promise((r) => setTimeout(r, 100));
  assert.deepEqual(
    t.received,
    Array.from({ length: before + 300 }, (_, k) => k),
    'every message once, in order, across the move',
  );
  assert.equal(t.client.metrics.gaps, 0);
  const upgrade = t.changes.findIndex((c) => c.reason === 'transport_upgrade');
  assert.ok(upgrade > 0, JSON.stringify(path(t.changes)));
  assert.equal(t.changes[upgrade - 1]?.transport, from, 'the move starts from the fallback');
  assert.deepEqual(path(t.changes.slice(upgrade)), [
    'connecting/websocket/transport_upgrade',
    'connected/websocket/connected',
  ]);
}

test('fallback: a WebSocket upgrade refused (403) -> SSE at once; unblocked -> back to WebSocket, nothing lost', {
  timeout: 60_000,
}, async (t) => {
  const s = await setup(t, (p) => {
    p.websocket = 'refuse';
  });
  assert.equal(s.client.transport, 'sse');
  assert.deepEqual(path(s.changes), [
    'connecting/websocket/connect',
    'connecting/sse/transport_fallback',
    'connected/sse/connected',
  ]);
  assert.ok(s.proxy.seen.some((r) => r.path === '/ws' && r.action === 'refused'));
  // The chat works both ways over the fallback.
  await flow(s.direct, 0, 20, () => true);
  const ack = await s.client.publish('chat:fb', { i: 20 });
  assert.equal(ack.offset, 21);
  await waitFor(
    () => s.received.length === 21,
    5000,
    () => `(received ${s.received.length})`,
  );
  await unblockAndMoveBack(s, 'sse');
});

test('fallback: a WebSocket accepted and then silent (frames swallowed) -> SSE after transportTimeoutMs; failed probes do not disturb it', {
  timeout: 60_000,
}, async (t) => {
  const started = Date.now();
  const s = await setup(t, (p) => {
    p.websocket = 'swallow';
  });
  const tookMs = Date.now() - started;
  assert.equal(s.client.transport, 'sse');
  assert.deepEqual(path(s.changes), [
    'connecting/websocket/connect',
    'connecting/sse/transport_fallback',
    'connected/sse/connected',
  ]);
  assert.ok(tookMs >= TRANSPORT_TIMEOUT_MS, `left the silent WebSocket after the timeout (${tookMs} ms)`);
  // Probes run (and are swallowed) in the background while the session stays on SSE.
  await waitFor(() => s.proxy.seen.filter((r) => r.action === 'swallowed').length >= 3, 20_000);
  await flow(s.direct, 0, 20, () => true);
  await waitFor(
    () => s.received.length === 20,
    5000,
    () => `(received ${s.received.length})`,
  );
  assert.equal(s.client.transport, 'sse');
  assert.equal(s.client.metrics.connections, 1, 'the failed probes did not touch the SSE session');
  assert.equal(s.changes.length, 3);
});

test('fallback: WebSocket refused and the event stream blocked too -> long-polling; unblocked -> back to WebSocket', {
  timeout: 60_000,
}, async (t) => {
  const s = await setup(t, (p) => {
    p.websocket = 'refuse';
    p.blockedPaths.add('/http/stream');
  });
  assert.equal(s.client.transport, 'polling');
  assert.deepEqual(path(s.changes), [
    'connecting/websocket/connect',
    'connecting/sse/transport_fallback',
    'connecting/polling/transport_fallback',
    'connected/polling/connected',
  ]);
  await flow(s.direct, 0, 20, () => true);
  const ack = await s.client.publish('chat:fb', { i: 20 });
  assert.equal(ack.offset, 21);
  await waitFor(
    () => s.received.length === 21,
    5000,
    () => `(received ${s.received.length})`,
  );
  await unblockAndMoveBack(s, 'polling');
});

test('fallback: when every transport fails the client backs off and starts again from WebSocket', {
  timeout: 30_000,
}, async (t) => {
  const server = await startTransportServer(t);
  const proxy = await startBlockingProxy(t, server.port);
  proxy.websocket = 'refuse';
  proxy.blockedPaths.add('/http/');
  const client = new Client({
    url: `ws://127.0.0.1:${proxy.port}/ws`,
    transport: engineTransport,
    token: await tokenFor('blocked'),
    reconnect: { minDelayMs: 50, maxDelayMs: 100, factor: 1, maxAttempts: 2 },
  });
  const changes: StateChange[] = [];
  client.on('statechange', (c) => changes.push(c));
  await assert.rejects(client.connect(), /Gave up after 2 failed reconnect attempts/);
  const tried = changes.filter((c) => c.state === 'connecting').map((c) => c.transport);
  assert.deepEqual(tried, [
    'websocket',
    'sse',
    'polling',
    'websocket',
    'sse',
    'polling',
    'websocket',
    'sse',
    'polling',
  ]);
  assert.deepEqual(
    changes.filter((c) => c.state === 'disconnected').map((c) => c.transport),
    ['websocket', 'websocket'],
    'the backoff wait comes after a whole round, and the next round starts from WebSocket',
  );
});

test('fallback: a WebSocket that worked before and turns silent gets connectTimeoutMs (a loaded server), then SSE', {
  timeout: 30_000,
}, async (t) => {
  const server = await startTransportServer(t);
  const proxy = await startBlockingProxy(t, server.port);
  const client = new Client({
    url: `ws://127.0.0.1:${proxy.port}/ws`,
    transport: engineTransport,
    token: await tokenFor('moved-network'),
    transportTimeoutMs: 200,
    connectTimeoutMs: 1500,
    websocketRetryMs: 60_000,
    reconnect: { minDelayMs: 20, maxDelayMs: 50, factor: 2 },
  });
  t.after(() => client.close());
  const closes: string[] = [];
  client.on('close', (c) => closes.push(c.reason));
  await client.connect();
  assert.equal(client.transport, 'websocket');
  proxy.websocket = 'swallow';
  proxy.cut();
  await waitFor(
    () => client.transport === 'sse' && client.state === 'connected',
    15_000,
    () => JSON.stringify(closes),
  );
  assert.ok(closes.includes('connect_timeout'), JSON.stringify(closes));
  assert.ok(!closes.includes('transport_timeout'), 'the short transport timeout is for transports never seen working');
});
