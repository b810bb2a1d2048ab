// Typing across nodes: two hubs on one real Redis (each its own RedisBroker) relay typing to each other's
// subscribers through a broker signal, without storing it; with the broker down, the local node still hears it.
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
  assert.deepEqual(await bob.next((m) => m.type === 'typing'), { type: 'typing', channel: 'chat:x', user: 'alice', on: true }, 'the other node');
  assert.deepEqual(await carol.next((m) => m.type === 'typing'), { type: 'typing', channel: 'chat:x', user: 'alice', on: true }, 'the same node');
  const off = await bob.next((m) => m.type === 'typing' && m['on'] === false, 3000);
  assert.equal(off['user'], 'alice', 'the expiry on alice\'s node reaches the other node too');
  await alice.request({ type: 'ping' });
  assert.equal(alice.received.filter((m) => m.type === 'typing').length, 0, 'the typist does not hear itself');
  const history = (await bob.request({ type: 'history', channel: 'chat:x' }))['data'] as { publications: unknown[]; offset: number };
  assert.deepEqual([history.publications.length, history.offset], [0, 0], 'typing took no offset and left no history');
});

test('with the broker unable to take a signal, typing still reaches this node\'s subscribers', async (t) => {
  const redis = await startRedis(t);
  const broker = await RedisBroker.connect({ url: redis.url });
  t.after(() => broker.close());
  const hub = await startHub(t, { broker, typing: { throttleMs: 1000, expireMs: 5000 } });
  const alice = await openClient(t, hub, 'alice');
  const bob = await openClient(t, hub, 'bob');
  for (const c of [alice, bob]) await c.request({ type: 'subscribe', channel: 'chat:y' });
  await redis.kill();
  alice.send({ type: 'typing', channel: 'chat:y', on: true });
  assert.deepEqual(await bob.next((m) => m.type === 'typing', 5000), { type: 'typing', channel: 'chat:y', user: 'alice', on: true });
});
