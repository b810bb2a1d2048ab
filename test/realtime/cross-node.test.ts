// Across nodes: two hubs on one real Redis (each its own RedisBroker). Typing reaches the other node as a broker
// signal (never stored; the local node still hears it when the broker is down), and revocation closes a user everywhere.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RedisBroker } from '../../src/broker/index.ts';
import { startRedis } from '../helpers/redis-server.ts';
import { openClient, startHub } from '../helpers/realtime.ts';

test('typing on one node reaches subscribers on another node, and is not stored', async (t) => {
  const redis = await startRedis(t);
  const brokers = await Promise.all([RedisBroker.connect({ url: redis.url }), RedisBroker.connect({ url: redis.url })]);
  t.after(() => Promise.all(brokers.map((b) => b.close())));
  const one = await startHub(t, { broker: brokers[0], typing: { throttleMs: 1000, expireMs: 400 } });
  const two = await startHub(t, { broker: brokers[1], typing: { throttleMs: 1000, expireMs: 400 } });
  const alice = await openClient(t, one, 'alice');
  const bob = await openClient(t, two, 'bob');
  const carol = await openClient(t, one, 'carol');
  for (const c of [alice, bob, carol]) await c.request({ type: 'subscribe', channel: 'chat:x' });

  alice.send({ type: 'typing', channel: 'chat:x', on: true });
  assert.deepEqual(
    await bob.next((m) => m.type === 'typing'),
    { type: 'typing', channel: 'chat:x', user: 'alice', on: true },
    'the other node',
  );
  assert.deepEqual(
    await carol.next((m) => m.type === 'typing'),
    { type: 'typing', channel: 'chat:x', user: 'alice', on: true },
    'the same node',
  );
  const off = await bob.next((m) => m.type === 'typing' && m['on'] === false, 3000);
  assert.equal(off['user'], 'alice', "the expiry on alice's node reaches the other node too");
  await alice.request({ type: 'ping' });
  assert.equal(alice.received.filter((m) => m.type === 'typing').length, 0, 'the typist does not hear itself');
  const history = (await bob.request({ type: 'history', channel: 'chat:x' }))['data'] as {
    publications: unknown[];
    offset: number;
  };
  assert.deepEqual([history.publications.length, history.offset], [0, 0], 'typing took no offset and left no history');
});

test("with the broker unable to take a signal, typing still reaches this node's subscribers", async (t) => {
  const redis = await startRedis(t);
  const broker = await RedisBroker.connect({ url: redis.url });
  t.after(() => broker.close());
  const hub = await startHub(t, { broker, typing: { throttleMs: 1000, expireMs: 5000 } });
  const alice = await openClient(t, hub, 'alice');
  const bob = await openClient(t, hub, 'bob');
  for (const c of [alice, bob]) await c.request({ type: 'subscribe', channel: 'chat:y' });
  await redis.kill();
  alice.send({ type: 'typing', channel: 'chat:y', on: true });
  assert.deepEqual(await bob.next((m) => m.type === 'typing', 5000), {
    type: 'typing',
    channel: 'chat:y',
    user: 'alice',
    on: true,
  });
});

test("revokeUser closes the user's connections on every node sharing the broker (docs/security-cases.md AU-09)", async (t) => {
  const redis = await startRedis(t);
  const brokers = await Promise.all([RedisBroker.connect({ url: redis.url }), RedisBroker.connect({ url: redis.url })]);
  t.after(() => Promise.all(brokers.map((b) => b.close())));
  const one = await startHub(t, { broker: brokers[0] });
  const two = await startHub(t, { broker: brokers[1] });
  await Promise.all([one.hub.whenControlReady(), two.hub.whenControlReady()]);
  const here = await openClient(t, one, 'mallory');
  const there = [await openClient(t, two, 'mallory'), await openClient(t, two, 'mallory')];
  const bystander = await openClient(t, two, 'bob');
  assert.equal(await one.hub.revokeUser('mallory'), 1, 'this node closed its one session at once');
  for (const c of [here, ...there]) {
    const disconnect = await c.next((m) => m.type === 'disconnect', 3000);
    assert.deepEqual([disconnect['code'], disconnect['reconnect']], [4504, false]);
  }
  assert.equal((await bystander.request({ type: 'ping' })).type, 'reply');
  assert.equal([...two.hub.sessions].filter((s) => s.user === 'mallory' && !s.isClosed).length, 0);
});
