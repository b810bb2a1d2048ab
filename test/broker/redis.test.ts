// Tests of RedisBroker against a real redis-server: the shared Broker contract, plus what only Redis promises.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { RedisBroker } from '../../src/broker/index.ts';
import { startRedis, type RedisServer } from '../helpers/redis-server.ts';
import { runBrokerContract } from './contract.ts';
import { runLatestContract } from './latest-contract.ts';

let redis: RedisServer;
before(async () => {
  redis = await startRedis(null);
});
after(() => redis.stop());

runBrokerContract('RedisBroker', async () => RedisBroker.connect({ url: redis.url, presenceHeartbeatMs: 200 }));
runBrokerContract('RedisBroker (sharded pub/sub)', async () =>
  RedisBroker.connect({ url: redis.url, sharded: true, keyPrefix: 'sharded:' }),
);

async function eventually(predicate: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 5000;
  while (!predicate()) {
    if (Date.now() > deadline) assert.fail(`Timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

test('RedisBroker.othersListen is always true: the handlers of other nodes are not known here', async (t) => {
  const node = await RedisBroker.connect({ url: redis.url });
  t.after(() => node.close());
  const mine = () => {};
  assert.equal(node.othersListen('nobody:here', mine), true);
  await node.subscribe('alone:here', mine);
  assert.equal(node.othersListen('alone:here', mine), true);
});

test('RedisBroker fills an offset jump from history before delivering the later publication, without any reconnect', async (t) => {
  const node = await RedisBroker.connect({ url: redis.url });
  // Same keys, other pub/sub namespace: its publications are stored but never reach `node`'s subscription.
  const silent = await RedisBroker.connect({ url: redis.url, sharded: true });
  t.after(() => Promise.all([node.close(), silent.close()]));
  const ch = `chat:jump-${randomUUID()}`;
  const seen: number[] = [];
  await node.subscribe(ch, (e) => {
    if (e.type === 'publication') seen.push(e.publication.offset);
  });
  await node.publish(ch, 1, { historySize: 100, historyTtlMs: 60_000 });
  await silent.publish(ch, 2, { historySize: 100, historyTtlMs: 60_000 });
  await silent.publish(ch, 3, { historySize: 100, historyTtlMs: 60_000 });
  await node.publish(ch, 4, { historySize: 100, historyTtlMs: 60_000 });
  await eventually(() => seen.length === 4, 'four deliveries');
  assert.deepEqual(seen, [1, 2, 3, 4]);
  assert.ok(node.stats().recovered >= 2, 'the missing ones came from history (the read may include the later one too)');

  // Without history the gap cannot be filled: the later publication is still delivered, and the gap counted.
  const bare = `chat:jump-bare-${randomUUID()}`;
  const bareSeen: number[] = [];
  await node.subscribe(bare, (e) => {
    if (e.type === 'publication') bareSeen.push(e.publication.offset);
  });
  await node.publish(bare, 1, { historySize: 0, historyTtlMs: 0 });
  await silent.publish(bare, 2, { historySize: 0, historyTtlMs: 0 });
  await node.publish(bare, 3, { historySize: 0, historyTtlMs: 0 });
  await eventually(() => bareSeen.length === 2, 'two deliveries');
  assert.deepEqual(bareSeen, [1, 3]);
  assert.equal(node.stats().unrecoverableGaps, 1);
});

test('RedisBroker numbers a channel in a Redis restarted empty from a new epoch, and reads never mix epochs (docs/security-cases.md RD-05)', async (t) => {
  const own = await startRedis(t);
  const node = await RedisBroker.connect({ url: own.url, maxReconnectDelayMs: 100 });
  node.on('error', () => {});
  t.after(() => node.close());
  const first = await node.publish('chat:e', 'a', { historySize: 10, historyTtlMs: 60_000 });
  await own.restart();
  await node.waitUntilUp(5000).catch(() => {});
  for (let i = 0; !node.isUp && i < 200; i++) await new Promise((resolve) => setTimeout(resolve, 25));
  const second = await node.publish('chat:e', 'b', { historySize: 10, historyTtlMs: 60_000 });
  assert.notEqual(second.epoch, first.epoch);
  assert.equal(second.offset, 1);
  const h = await node.history('chat:e', { since: { epoch: first.epoch, offset: 0 } });
  assert.deepEqual([h.recovered, h.publications, h.epoch], [false, [], second.epoch]);
});

test('RedisBroker keeps the exact history window though MAXLEN ~ trims lazily, and refuses bad constructor options', async (t) => {
  const node = await RedisBroker.connect({ url: redis.url });
  t.after(() => node.close());
  const ch = `chat:window-${randomUUID()}`;
  for (let i = 1; i <= 250; i++) await node.publish(ch, i, { historySize: 7, historyTtlMs: 60_000 });
  const h = await node.history(ch);
  assert.deepEqual(
    h.publications.map((p) => p.offset),
    [244, 245, 246, 247, 248, 249, 250],
  );
  assert.equal(Number(await redis.command('XLEN', `sb:{${ch}}:s`)) <= 250, true);
  assert.throws(() => new RedisBroker({ url: redis.url, commandTimeoutMs: 0 }), RangeError);
  assert.throws(() => new RedisBroker({ url: redis.url, presenceHeartbeatMs: -5 }), RangeError);
});

test('RedisBroker.connect fails with BROKER_UNAVAILABLE when nothing listens, and leaves nothing running', async () => {
  await assert.rejects(RedisBroker.connect({ url: 'redis://127.0.0.1:1' }, { timeoutMs: 300 }), {
    name: 'BrokerError',
    code: 'BROKER_UNAVAILABLE',
  });
});

test('RedisBroker skips and trims an expired prefix of the stream when later entries live longer', async (t) => {
  const node = await RedisBroker.connect({ url: redis.url });
  t.after(() => node.close());
  const ch = `chat:prefix-${randomUUID()}`;
  for (let i = 1; i <= 3; i++) await node.publish(ch, i, { historySize: 100, historyTtlMs: 100 });
  const long = await node.publish(ch, 4, { historySize: 100, historyTtlMs: 60_000 });
  await new Promise((resolve) => setTimeout(resolve, 150));
  const h = await node.history(ch);
  assert.deepEqual(
    h.publications.map((p) => p.data),
    [4],
  );
  assert.equal(Number(await redis.command('XLEN', `sb:{${ch}}:s`)), 1, 'the expired entries were trimmed');
  const gap = await node.history(ch, { since: { epoch: long.epoch, offset: 1 } });
  assert.deepEqual(
    [gap.recovered, gap.publications],
    [false, []],
    'an expired entry makes older positions unrecoverable',
  );
  const edge = await node.history(ch, { since: { epoch: long.epoch, offset: 3 } });
  assert.deepEqual([edge.recovered, edge.publications.map((p) => p.offset)], [true, [4]]);
});

runLatestContract('RedisBroker', async () => RedisBroker.connect({ url: redis.url }));
