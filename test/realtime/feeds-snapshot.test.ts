// Feed semantics over a real WebSocket: snapshots on subscribe (latest per key), feed keys on publications, and the
// refusal of bad keys. docs/feeds.md "Feed semantics".
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openClient, startHub } from '../helpers/realtime.ts';

const NAMESPACES = {
  prices: { snapshot: true, historySize: 5, recoverOnJoin: 0, presence: false },
  last: { snapshot: true, historySize: 100, recoverOnJoin: 2, presence: false },
  plain: { historySize: 100, recoverOnJoin: 0, presence: false },
};

type Pub = { offset: number; key?: string; data: { i: number }; epoch: string };

test('a first subscribe gets the latest publication of every key in subscribed.snapshot, oldest first', async (t) => {
  const hub = await startHub(t, { namespaces: NAMESPACES });
  for (let i = 1; i <= 60; i++) await hub.hub.publish('prices:q', { i }, { key: `k${i % 20}` });
  const client = await openClient(t, hub, 'viewer');
  const answer = await client.request({ type: 'subscribe', channel: 'prices:q' });
  assert.equal(answer.type, 'subscribed');
  assert.equal(answer['offset'], 60);
  assert.deepEqual(answer['publications'], []);
  const snapshot = answer['snapshot'] as Pub[];
  assert.equal(snapshot.length, 20);
  assert.deepEqual(
    snapshot.map((p) => p.offset),
    Array.from({ length: 20 }, (_, i) => 41 + i),
  );
  for (const p of snapshot) {
    assert.equal(p.key, `k${p.offset % 20}`);
    assert.deepEqual(p.data, { i: p.offset });
  }
  assert.equal(Object.hasOwn(answer, 'conflated'), false);
  // Live publications carry their key too.
  await hub.hub.publish('prices:q', { i: 61 }, { key: 'k1' });
  const live = await client.next((m) => m.type === 'publication');
  assert.equal(live['key'], 'k1');
  assert.equal(live['offset'], 61);
});

test('publications without keys: the snapshot is the latest publication of the channel, beside the last-N history', async (t) => {
  const hub = await startHub(t, { namespaces: NAMESPACES });
  for (let i = 1; i <= 5; i++) await hub.hub.publish('last:x', { i });
  const client = await openClient(t, hub, 'viewer');
  const answer = await client.request({ type: 'subscribe', channel: 'last:x' });
  assert.deepEqual(
    (answer['snapshot'] as Pub[]).map((p) => p.offset),
    [5],
  );
  assert.deepEqual(
    (answer['publications'] as Pub[]).map((p) => p.offset),
    [4, 5],
  );
});

test('a recovering subscribe gets the missed publications, not a snapshot; a failed recovery gets the snapshot', async (t) => {
  const hub = await startHub(t, { namespaces: NAMESPACES });
  for (let i = 1; i <= 3; i++) await hub.hub.publish('prices:r', { i }, { key: `k${i}` });
  const first = await openClient(t, hub, 'viewer');
  const answer = await first.request({ type: 'subscribe', channel: 'prices:r' });
  const epoch = answer['epoch'] as string;
  await hub.hub.publish('prices:r', { i: 4 }, { key: 'k1' });
  // Within history (size 5): recovered, and no snapshot.
  const again = await openClient(t, hub, 'viewer');
  const recovered = await again.request({ type: 'subscribe', channel: 'prices:r', since: { epoch, offset: 3 } });
  assert.equal(recovered['recovered'], true);
  assert.deepEqual(
    (recovered['publications'] as Pub[]).map((p) => p.offset),
    [4],
  );
  assert.equal(Object.hasOwn(recovered, 'snapshot'), false);
  // Far behind (history holds 5): not recovered, so the snapshot brings the state.
  for (let i = 5; i <= 20; i++) await hub.hub.publish('prices:r', { i }, { key: `k${i % 3}` });
  const late = await openClient(t, hub, 'viewer');
  const failed = await late.request({ type: 'subscribe', channel: 'prices:r', since: { epoch, offset: 3 } });
  assert.equal(failed['recovered'], false);
  assert.deepEqual(
    (failed['snapshot'] as Pub[]).map((p) => [p.key, p.offset]),
    [
      ['k3', 3],
      ['k0', 18],
      ['k1', 19],
      ['k2', 20],
    ],
  );
  // Another epoch entirely: snapshot too.
  const stranger = await openClient(t, hub, 'viewer');
  const other = await stranger.request({ type: 'subscribe', channel: 'prices:r', since: { epoch: 'nope', offset: 1 } });
  assert.equal((other['snapshot'] as Pub[]).length, 4);
});

test('a namespace without snapshot sends none and keeps nothing per key', async (t) => {
  const hub = await startHub(t, { namespaces: NAMESPACES });
  await hub.hub.publish('plain:x', { i: 1 }, { key: 'a' });
  const client = await openClient(t, hub, 'viewer');
  const answer = await client.request({ type: 'subscribe', channel: 'plain:x' });
  assert.equal(Object.hasOwn(answer, 'snapshot'), false);
  assert.deepEqual((await hub.broker.latest('plain:x', 10)).publications, []);
});

test('a client publish may carry a key; invalid keys are refused with invalid_message and nothing is stored', async (t) => {
  const hub = await startHub(t, { namespaces: NAMESPACES });
  const client = await openClient(t, hub, 'writer');
  const ok = await client.request({ type: 'publish', channel: 'prices:c', data: { i: 1 }, id: 'm1', key: 'EUR/USD' });
  assert.equal(ok.type, 'reply');
  const latest = await hub.broker.latest('prices:c', 10);
  assert.deepEqual(
    latest.publications.map((p) => [p.key, p.sender]),
    [['EUR/USD', 'writer']],
  );
  const bad: unknown[] = ['', 'with space', 'é', 'x'.repeat(1000), 42, null, ['a'], { k: 1 }, 'tab\there'];
  for (const [n, key] of bad.entries()) {
    const answer = await client.request({ type: 'publish', channel: 'prices:c', data: {}, id: `b${n}`, key });
    assert.equal(answer.type, 'error', `key ${JSON.stringify(key)}`);
    assert.equal(answer['code'], 'invalid_message', `key ${JSON.stringify(key)}`);
  }
  assert.equal((await hub.broker.history('prices:c')).offset, 1);
});
