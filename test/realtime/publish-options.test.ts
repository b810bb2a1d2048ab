// Publish options over real sockets: `echo: false` skips the publishing connection on every node (one node, and two
// nodes over a real Redis), without the connection id ever reaching clients; `publishRequiresSubscription`.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RedisBroker } from '../../src/broker/index.ts';
import { startRedis } from '../helpers/redis-server.ts';
import { openClient, startHub, type TestClient } from '../helpers/realtime.ts';

/** Publishes and waits for the reply, so later assertions see every delivery the publish caused. */
async function publish(client: TestClient, channel: string, data: unknown, extra: Record<string, unknown> = {}) {
  return client.request({ type: 'publish', channel, data, id: `id-${Math.random()}`, ...extra });
}

/** Waits until `client` has seen a publication with `data`, or fails. */
function publicationWith(client: TestClient, data: unknown) {
  return client.next((m) => m.type === 'publication' && JSON.stringify(m['data']) === JSON.stringify(data));
}

test('echo: false: the publishing connection does not get its publication; its other connections and others do', async (t) => {
  const hub = await startHub(t);
  const alice = await openClient(t, hub, 'alice');
  const aliceTab = await openClient(t, hub, 'alice');
  const bob = await openClient(t, hub, 'bob');
  for (const c of [alice, aliceTab, bob]) await c.request({ type: 'subscribe', channel: 'chat:room' });

  const reply = await publish(alice, 'chat:room', { text: 'quiet' }, { echo: false });
  assert.equal(reply.type, 'reply', 'acknowledged as usual');
  const seen = await publicationWith(bob, { text: 'quiet' });
  await publicationWith(aliceTab, { text: 'quiet' });
  assert.equal(seen['sender'], 'alice');
  for (const key of Object.keys(seen))
    assert.ok(
      ['type', 'channel', 'epoch', 'offset', 'data', 'time', 'sender', 'id'].includes(key),
      `wire field ${key}`,
    );
  const echoed = await publish(alice, 'chat:room', { text: 'loud' });
  await publicationWith(alice, { text: 'loud' });
  assert.equal(
    alice.received.filter((m) => m.type === 'publication' && JSON.stringify(m['data']).includes('quiet')).length,
    0,
    'the quiet one never reached the publisher',
  );
  assert.equal(echoed.type, 'reply');
  const session = [...hub.hub.sessions].find((s) => s.user === 'alice');
  const history = (await bob.request({ type: 'history', channel: 'chat:room' }))['data'] as {
    publications: Record<string, unknown>[];
  };
  assert.equal(history.publications.length, 2, 'both are stored');
  const raw = JSON.stringify(history) + JSON.stringify(bob.received);
  assert.ok(session !== undefined && !raw.includes(session.id), 'the connection id is not on the wire');
});

test('echo: false is refused when not a boolean', async (t) => {
  const hub = await startHub(t);
  const alice = await openClient(t, hub, 'alice');
  const answer = await publish(alice, 'chat:room', 1, { echo: 'no' });
  assert.deepEqual([answer.type, answer['code']], ['error', 'invalid_message']);
});

test('echo: false over Redis: the publisher on node one is skipped; subscribers on both nodes get it', async (t) => {
  const redis = await startRedis(t);
  const brokers = await Promise.all([RedisBroker.connect({ url: redis.url }), RedisBroker.connect({ url: redis.url })]);
  t.after(() => Promise.all(brokers.map((b) => b.close())));
  const one = await startHub(t, { broker: brokers[0] });
  const two = await startHub(t, { broker: brokers[1] });
  const alice = await openClient(t, one, 'alice');
  const carol = await openClient(t, one, 'carol');
  const bob = await openClient(t, two, 'bob');
  const aliceThere = await openClient(t, two, 'alice');
  for (const c of [alice, carol, bob, aliceThere]) await c.request({ type: 'subscribe', channel: 'chat:x' });

  await publish(alice, 'chat:x', { n: 1 }, { echo: false });
  await publicationWith(bob, { n: 1 });
  await publicationWith(carol, { n: 1 });
  await publicationWith(aliceThere, { n: 1 });
  await publish(alice, 'chat:x', { n: 2 });
  await publicationWith(alice, { n: 2 });
  assert.deepEqual(
    alice.received.filter((m) => m.type === 'publication').map((m) => m['data']),
    [],
    'publication 1 was skipped for the publisher; 2 was consumed above',
  );
  // A publisher on node two: skipped there, delivered on node one.
  await publish(bob, 'chat:x', { n: 3 }, { echo: false });
  await publicationWith(alice, { n: 3 });
  await publish(bob, 'chat:x', { n: 4 });
  await publicationWith(bob, { n: 4 });
  assert.equal(bob.received.filter((m) => m.type === 'publication' && (m['data'] as { n: number }).n === 3).length, 0);
});

test('publishRequiresSubscription: publishing without a subscription is not_subscribed; after subscribing it works', async (t) => {
  const hub = await startHub(t, {
    namespaces: { strict: { publishRequiresSubscription: true }, open: {} },
  });
  const alice = await openClient(t, hub, 'alice');
  const refused = await publish(alice, 'strict:room', { text: 'hi' });
  assert.deepEqual([refused.type, refused['code']], ['error', 'not_subscribed']);
  assert.equal((await hub.hub.broker.history('strict:room')).offset, 0, 'nothing stored');
  assert.equal((await publish(alice, 'open:room', 1)).type, 'reply', 'other namespaces keep the default');
  await alice.request({ type: 'subscribe', channel: 'strict:room' });
  assert.equal((await publish(alice, 'strict:room', { text: 'hi' })).type, 'reply');
  await alice.request({ type: 'unsubscribe', channel: 'strict:room' });
  assert.equal((await publish(alice, 'strict:room', { text: 'again' }))['code'], 'not_subscribed');
  assert.equal(
    (await hub.hub.publish('strict:room', 'server')).offset,
    2,
    'server-side publishes need no subscription',
  );
});
