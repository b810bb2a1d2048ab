// Moderation in both brokers: tombstones and bans, against MemoryBroker and a real redis-server.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { MemoryBroker, RedisBroker } from '../../src/broker/index.ts';
import { startRedis, type RedisServer } from '../helpers/redis-server.ts';
import { runModerationContract } from './moderation-contract.ts';

let redis: RedisServer;
before(async () => {
  redis = await startRedis(null);
});
after(() => redis.stop());

runModerationContract('MemoryBroker', async () => new MemoryBroker({ sweepIntervalMs: 0 }));
runModerationContract('RedisBroker', async () => RedisBroker.connect({ url: redis.url }));
runModerationContract('RedisBroker (sharded pub/sub)', async () =>
  RedisBroker.connect({ url: redis.url, sharded: true, keyPrefix: 'sharded:' }),
);

test('MemoryBroker keeps at most maxBans bans, forgetting the one ending soonest', async () => {
  const broker = new MemoryBroker({ maxBans: 2, sweepIntervalMs: 0 });
  await broker.ban('a', 10_000, '');
  await broker.ban('b', 60_000, '');
  await broker.ban('c', 30_000, '');
  assert.deepEqual(
    (await broker.bans()).map((b) => b.user),
    ['c', 'b'],
  );
  await broker.close();
});

test('RedisBroker fails a ban check with BROKER_UNAVAILABLE while Redis is down', async () => {
  const own = await startRedis(null);
  const broker = await RedisBroker.connect({ url: own.url, maxReconnectDelayMs: 100 });
  try {
    await broker.ban('x', 60_000, '');
    await own.kill();
    await assert.rejects(() => broker.isBanned('x'), { name: 'BrokerError' });
  } finally {
    await broker.close();
    await own.stop();
  }
});
