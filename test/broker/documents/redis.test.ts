// RedisDocumentStore on its own redis-server: the shared contract, plus a Redis that dies and comes back.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { BrokerError, RedisDocumentStore } from '../../../src/broker/index.ts';
import { startRedis, type RedisServer } from '../../helpers/redis-server.ts';
import { docName, runDocumentStoreContract } from './contract.ts';

let redis: RedisServer;
before(async () => {
  redis = await startRedis(null);
});
after(() => redis.stop());

runDocumentStoreContract('RedisDocumentStore', async () =>
  RedisDocumentStore.connect({ url: redis.url, prefix: `test:${randomUUID()}:` }),
);

test('RedisDocumentStore keeps its keys under its prefix, snapshot and updates in one hash slot', async (t) => {
  const prefix = `keys-${randomUUID()}:`;
  const store = await RedisDocumentStore.connect({ url: redis.url, prefix });
  t.after(() => store.close());
  await store.append('doc:a', Uint8Array.of(1));
  await store.compact('doc:a', Uint8Array.of(2), 0);
  const keys = (await redis.command('KEYS', `${prefix}*`)) as Buffer[];
  assert.deepEqual(keys.map(String).sort(), [`${prefix}{doc:a}:q`, `${prefix}{doc:a}:s`, `${prefix}{doc:a}:u`]);
});

test('RedisDocumentStore rejects while Redis is down and works again after it restarts', async (t) => {
  const own = await startRedis(t);
  const store = await RedisDocumentStore.connect({ url: own.url, maxReconnectDelayMs: 100, commandTimeoutMs: 1000 });
  t.after(() => store.close());
  const name = docName('down');
  await store.append(name, Uint8Array.of(1));
  await own.kill();
  const unavailable = (err: unknown): boolean => err instanceof BrokerError && err.code !== 'BROKER_CLOSED';
  await assert.rejects(store.append(name, Uint8Array.of(2)), unavailable);
  await assert.rejects(store.load(name), unavailable);
  await assert.rejects(store.compact(name, Uint8Array.of(3), 0), unavailable);
  await own.restart(); // not persistent: Redis comes back empty
  const deadline = Date.now() + 15_000;
  for (;;) {
    try {
      await store.append(name, Uint8Array.of(4));
      break;
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
  assert.deepEqual(
    (await store.load(name)).updates.map((u) => [...u]),
    [[4]],
  );
});

test('RedisDocumentStore.connect rejects when nothing listens', async () => {
  const own = await startRedis(null);
  const url = own.url;
  await own.stop();
  await assert.rejects(
    RedisDocumentStore.connect({ url }, 500),
    (err: unknown) => err instanceof BrokerError && err.code === 'BROKER_UNAVAILABLE',
  );
});
