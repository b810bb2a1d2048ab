// Feed semantics in the client SDK: snapshots merged into what a subscribe delivers (first subscribe and after a
// reconnect, against a real hub), `publications` batches, no `gap` in a conflated subscription, and permessage-deflate
// negotiated by the Node client. docs/feeds.md "Feed semantics".
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Client, type GapEvent } from '../../src/client/index.ts';
import { createWebSocket } from '../../src/engine/index.ts';
import type { PublicationMessage } from '../../src/messages/index.ts';
import { startHub } from '../helpers/realtime.ts';
import { scriptedClient } from './fixtures/scripted-socket.ts';

const NAMESPACES = {
  prices: { snapshot: true, historySize: 5, recoverOnJoin: 0, presence: false, allowClientPublish: true },
  batched: { batchPublications: true, historySize: 100, recoverOnJoin: 0, presence: false },
};

function nodeTransport(sockets: unknown[], deflate = false) {
  return (url: string, protocols: string[]) => {
    const ws = createWebSocket(url, { protocols, ...(deflate ? { perMessageDeflate: true } : {}) });
    sockets.push(ws);
    return ws as never;
  };
}

async function eventually(predicate: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) assert.fail(`Timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** The newest value per key among the received publications. */
function newestByKey(received: PublicationMessage[]): Map<string, number> {
  const out = new Map<string, number>();
  for (const p of received) out.set(p.key ?? '', (p.data as { i: number }).i);
  return out;
}

test('SDK: a first subscribe delivers the snapshot (the latest per key) as publications, then live ones', async (t) => {
  const hub = await startHub(t, { namespaces: NAMESPACES });
  for (let i = 1; i <= 60; i++) await hub.hub.publish('prices:q', { i }, { key: `k${i % 20}` });
  const client = new Client({ url: hub.url, transport: nodeTransport([]), token: await hub.token('viewer') });
  t.after(() => client.close());
  await client.connect();
  const received: PublicationMessage[] = [];
  const gaps: GapEvent[] = [];
  client.on('gap', (g) => gaps.push(g));
  const sub = client.subscription('prices:q');
  sub.on('publication', (p) => received.push(p));
  await sub.subscribe();
  assert.deepEqual(
    received.map((p) => p.offset),
    Array.from({ length: 20 }, (_, i) => 41 + i),
  );
  assert.equal(received[0]!.key, 'k1');
  await hub.hub.publish('prices:q', { i: 61 }, { key: 'k1' });
  await eventually(() => received.length === 21, 'the live publication');
  assert.deepEqual(sub.position, { epoch: received[0]!.epoch, offset: 61 });
  assert.deepEqual(gaps, []);
  // The SDK publishes with a key too.
  await client.publish('prices:q', { i: 62 }, { key: 'k2' });
  await eventually(() => received.length === 22, 'the own publication');
  assert.equal(received[21]!.key, 'k2');
});

test('SDK: after a reconnect beyond the history, the snapshot brings the newest value of every key', async (t) => {
  const hub = await startHub(t, { namespaces: NAMESPACES });
  for (let i = 1; i <= 20; i++) await hub.hub.publish('prices:r', { i }, { key: `k${i % 4}` });
  const client = new Client({
    url: hub.url,
    transport: nodeTransport([]),
    token: await hub.token('viewer'),
    reconnect: { minDelayMs: 200, maxDelayMs: 400 },
  });
  t.after(() => client.close());
  await client.connect();
  const received: PublicationMessage[] = [];
  const gaps: GapEvent[] = [];
  client.on('gap', (g) => gaps.push(g));
  const sub = client.subscription('prices:r');
  sub.on('publication', (p) => received.push(p));
  await sub.subscribe();
  assert.equal(received.length, 4);
  // Recorded as it happens: under load the client can be back before a poll of its state would see it away.
  let left = false;
  client.on('statechange', (s) => {
    if (s.state !== 'connected') left = true;
  });
  for (const session of hub.hub.sessions) session.disconnect(1001, 'shutdown', true);
  await eventually(() => left, 'the client noticing the disconnect');
  // While it is away: 30 publications, far more than the history of 5.
  for (let i = 21; i <= 50; i++) await hub.hub.publish('prices:r', { i }, { key: `k${i % 4}` });
  await eventually(() => received.some((p) => p.offset === 50), 'the newest publication after the reconnect');
  const newest = newestByKey(received);
  assert.deepEqual([...newest.entries()].sort(), [
    ['k0', 48],
    ['k1', 49],
    ['k2', 50],
    ['k3', 47],
  ]);
  // The history could not cover the outage: the SDK says so (this namespace does not conflate).
  assert.equal(gaps.length, 1);
  assert.equal(gaps[0]!.reason, 'not_recovered');
});

test('SDK: publications batches are delivered as their publications, in order', async (t) => {
  const hub = await startHub(t, { namespaces: NAMESPACES });
  const client = new Client({ url: hub.url, transport: nodeTransport([]), token: await hub.token('viewer') });
  t.after(() => client.close());
  await client.connect();
  const received: number[] = [];
  const gaps: GapEvent[] = [];
  client.on('gap', (g) => gaps.push(g));
  const sub = client.subscription('batched:q');
  sub.on('publication', (p) => received.push(p.offset));
  await sub.subscribe();
  await Promise.all(Array.from({ length: 100 }, (_, i) => hub.hub.publish('batched:q', { i })));
  await eventually(() => received.length === 100, '100 publications');
  assert.deepEqual(
    received,
    Array.from({ length: 100 }, (_, i) => i + 1),
  );
  assert.deepEqual(gaps, []);
});

test('SDK: permessage-deflate is negotiated with a server that enables it, and a large publication arrives intact', async (t) => {
  const hub = await startHub(t, { namespaces: NAMESPACES, perMessageDeflate: { threshold: 256 } });
  const sockets: { extensions: string }[] = [];
  const client = new Client({
    url: hub.url,
    transport: nodeTransport(sockets, true) as never,
    token: await hub.token('viewer'),
  });
  t.after(() => client.close());
  await client.connect();
  assert.match(sockets[0]!.extensions, /^permessage-deflate/);
  const received: unknown[] = [];
  const sub = client.subscription('batched:z');
  sub.on('publication', (p) => received.push(p.data));
  await sub.subscribe();
  const big = { rows: Array.from({ length: 200 }, (_, i) => ({ symbol: `SYM${i}`, price: 100 + i })) };
  await hub.hub.publish('batched:z', big);
  await eventually(() => received.length === 1, 'the large publication');
  assert.deepEqual(received[0], big);
  // Without the option the server declines the offer.
  const plain = await startHub(t, { namespaces: NAMESPACES });
  const plainSockets: { extensions: string }[] = [];
  const other = new Client({
    url: plain.url,
    transport: nodeTransport(plainSockets, true) as never,
    token: await plain.token('viewer'),
  });
  t.after(() => other.close());
  await other.connect();
  assert.equal(plainSockets[0]!.extensions, '');
});

for (const conflated of [true, false]) {
  test(`SDK: offset jumps in a ${conflated ? 'conflated' : 'plain'} subscription ${conflated ? 'are skipped values, not gaps' : 'are filled from history'}`, async (t) => {
    // The server is scripted: offsets it chose (a conflated feed skips some).
    const { client, socket } = await scriptedClient(t);
    const gaps: GapEvent[] = [];
    client.on('gap', (g) => gaps.push(g));
    const sub = client.subscription('px:q');
    const offsets: number[] = [];
    const skipped: (number | undefined)[] = [];
    sub.on('publication', (p) => {
      offsets.push(p.offset);
      skipped.push(p.skipped);
    });
    const subscribed = sub.subscribe();
    await new Promise((r) => setTimeout(r, 0));
    socket.push({
      type: 'subscribed',
      re: socket.last('subscribe')['rid'],
      channel: 'px:q',
      epoch: 'E',
      offset: 3,
      recovered: false,
      publications: [],
      snapshot: [
        { channel: 'px:q', epoch: 'E', offset: 1, data: 1, time: 1, key: 'a' },
        { channel: 'px:q', epoch: 'E', offset: 3, data: 3, time: 1, key: 'b' },
      ],
      ...(conflated ? { conflated: true } : {}),
    });
    await subscribed;
    const pub = (offset: number, extra: Record<string, unknown> = {}) => ({
      channel: 'px:q',
      epoch: 'E',
      offset,
      data: offset,
      time: 1,
      key: 'a',
      ...extra,
    });
    socket.push({ type: 'publication', ...pub(4) });
    socket.push({ type: 'publication', ...pub(9, { skipped: 4 }) });
    socket.push({ type: 'publications', publications: [pub(10), pub(15, { skipped: 4 })] });
    await new Promise((r) => setTimeout(r, 20));
    if (conflated) {
      assert.deepEqual(offsets, [1, 3, 4, 9, 10, 15]);
      assert.deepEqual(skipped, [undefined, undefined, undefined, 4, undefined, 4]);
      assert.deepEqual(gaps, []);
      assert.deepEqual(sub.position, { epoch: 'E', offset: 15 });
      assert.equal(
        socket.sent.some((m) => m['type'] === 'history'),
        false,
      );
    } else {
      // A plain subscription asks history for 5-8 before delivering 9.
      assert.deepEqual(offsets, [1, 3, 4]);
      const history = socket.last('history');
      assert.deepEqual(history['since'], { epoch: 'E', offset: 4 });
    }
  });
}
