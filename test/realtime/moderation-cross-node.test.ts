// Moderation across nodes: two hubs, each with its own RedisBroker on one real redis-server. Bans keep a user out of
// every node until they end, kicks and deletions reach the other node, and a delete racing a recovery never
// resurrects the deleted data.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { RedisBroker } from '../../src/broker/index.ts';
import { startRedis } from '../helpers/redis-server.ts';
import { openClient, openRaw, startHub, type Hub } from '../helpers/realtime.ts';

async function twoNodes(t: TestContext): Promise<{ one: Hub; two: Hub; kill: () => Promise<void> }> {
  const redis = await startRedis(t);
  const brokers = await Promise.all([RedisBroker.connect({ url: redis.url }), RedisBroker.connect({ url: redis.url })]);
  t.after(() => Promise.all(brokers.map((b) => b.close())));
  const one = await startHub(t, { broker: brokers[0] });
  const two = await startHub(t, { broker: brokers[1] });
  await Promise.all([one.hub.whenControlReady(), two.hub.whenControlReady()]);
  return { one, two, kill: () => redis.kill() };
}

test('a ban on one node closes the user on the other, refuses their reconnect there, and ends with its duration', async (t) => {
  const { one, two } = await twoNodes(t);
  const there = await openClient(t, two, 'mallory');
  const ban = await one.hub.moderation.ban('mallory', 1500, 'spam');
  assert.equal(ban.disconnected, 0, 'no session on the node that banned');
  assert.equal((await there.waitClose()).code, 4504);
  const retry = await openRaw(t, two.url);
  const refused = await retry.request({ type: 'connect', token: await two.token('mallory') });
  assert.deepEqual([refused.type, refused['code']], ['error', 'forbidden']);
  assert.equal((await retry.waitClose()).code, 4504);
  assert.deepEqual(
    (await two.hub.moderation.bans()).map((b) => b.user),
    ['mallory'],
    'the list is shared',
  );
  await new Promise((resolve) => setTimeout(resolve, Math.max(0, ban.until - Date.now()) + 100));
  const back = await openClient(t, two, 'mallory');
  assert.equal((await back.request({ type: 'subscribe', channel: 'chat:x' })).type, 'subscribed');
});

test('an unban on one node lets the user back on the other at once', async (t) => {
  const { one, two } = await twoNodes(t);
  await one.hub.moderation.ban('eve', 60_000, '');
  assert.equal(await two.hub.moderation.unban('eve'), true);
  await openClient(t, one, 'eve');
});

test('with Redis down, a ban check fails open except for bans this node heard of', async (t) => {
  const { one, two, kill } = await twoNodes(t);
  await one.hub.moderation.ban('mallory', 60_000, '');
  // The signal reaches the other node: it remembers the ban.
  const deadline = Date.now() + 3000;
  for (;;) {
    const probe = await openRaw(t, two.url);
    const answer = await probe.request({ type: 'connect', token: await two.token('mallory') });
    if (answer.type === 'error') break;
    assert.ok(Date.now() < deadline, 'the ban reached the other node');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  await kill();
  const remembered = await openRaw(t, two.url);
  assert.equal(
    (await remembered.request({ type: 'connect', token: await two.token('mallory') }))['code'],
    'forbidden',
    'a known ban still refuses',
  );
  await openClient(t, two, 'alice');
});

test('a kick on one node unsubscribes the user on the other; a delete reaches subscribers on both', async (t) => {
  const { one, two } = await twoNodes(t);
  const alice = await openClient(t, two, 'alice');
  const bob = await openClient(t, one, 'bob');
  await alice.request({ type: 'subscribe', channel: 'chat:k' });
  await bob.request({ type: 'subscribe', channel: 'chat:k' });
  const published = (await alice.request({ type: 'publish', channel: 'chat:k', data: 'spam', id: 's1' }))['data'] as {
    epoch: string;
    offset: number;
  };
  await bob.next((m) => m.type === 'publication');
  const removed = await one.hub.moderation.deletePublication('chat:k', published.offset);
  assert.equal(removed.result, 'deleted');
  for (const c of [alice, bob]) {
    assert.deepEqual(await c.next((m) => m.type === 'deleted'), {
      type: 'deleted',
      channel: 'chat:k',
      epoch: published.epoch,
      offset: published.offset,
    });
  }
  assert.equal(await one.hub.moderation.kick('alice', 'chat:k', 'spam'), 0);
  const gone = await alice.next((m) => m.type === 'unsubscribed');
  assert.deepEqual([gone['channel'], gone['code'], gone['reason']], ['chat:k', 'forbidden', 'spam']);
});

test('a delete racing a recovery never resurrects the data: the client ends with the tombstone', async (t) => {
  const { one, two } = await twoNodes(t);
  const RUNS = 25;
  for (let run = 0; run < RUNS; run++) {
    const channel = `chat:race-${run}`;
    let epoch = '';
    for (let i = 1; i <= 20; i++) {
      epoch = (await one.hub.publish(channel, `m${i}`)).epoch;
    }
    const target = 5 + (run % 10);
    const reader = await openClient(t, two, `reader-${run}`);
    const rid = reader.rid();
    // The recovery and the delete leave together; the delete waits 0-2 ms so it lands before, during or after the read.
    reader.send({ type: 'subscribe', rid, channel, since: { epoch, offset: 2 } });
    await new Promise((resolve) => setTimeout(resolve, run % 3));
    const deleted = await one.hub.moderation.deletePublication(channel, target);
    assert.equal(deleted.result, 'deleted');
    const subscribed = await reader.answer(rid);
    assert.equal(subscribed['recovered'], true);
    // Apply what the client saw, in order: the recovery, then the live messages. When the recovery still held the
    // data, the `deleted` event must follow (it crosses Redis pub/sub to this node: waited for, not assumed).
    const view = new Map<number, string | null>();
    const recovered = subscribed['publications'] as { offset: number; data?: string; deleted?: true }[];
    for (const p of recovered) view.set(p.offset, p.deleted === true ? null : p.data!);
    if (view.get(target) !== null)
      await reader
        .next((m) => m.type === 'deleted' && m['offset'] === target, 10_000)
        .then((m) => reader.received.unshift(m));
    await reader.request({ type: 'ping' });
    for (const m of reader.received) {
      if (m.type === 'deleted' && m['channel'] === channel) view.set(m['offset'] as number, null);
      if (m.type === 'publication' && m['channel'] === channel) view.set(m['offset'] as number, m['data'] as string);
    }
    assert.equal(view.get(target), null, `run ${run}: offset ${target} shows as deleted`);
    assert.equal(view.size, 18, `run ${run}: offsets 3-20, gapless`);
    reader.close();
  }
});
