// The Redis Streams source through the ingest runner, against redis-server processes this file starts and kills:
// exactly-once into history in source order, poison to the dead-letter stream, a restart of the source's Redis, a
// restart of the consumer (its pending entries first), a read whose answer is lost, and a broker outage during which
// nothing is acknowledged.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { type Broker, RedisBroker } from '../../src/broker/index.ts';
import {
  compileMapping,
  createRedisStreamSource,
  IngestRunner,
  type MappingOptionsInput,
  type RedisStreamSourceOptions,
} from '../../src/ingest/index.ts';
import { startRedis } from '../helpers/redis-server.ts';
import { startProxy } from '../helpers/tcp-proxy.ts';
import { allHistory, assertExactlyOnce, feedServer, waitUntil } from './fixtures.ts';

const SYMBOLS = ['AAPL', 'MSFT', 'GOOG', 'AMZN'];
const MAPPING: MappingOptionsInput = {
  name: 'quotes',
  channel: 'feed:prices.{payload.symbol}',
  key: '{payload.symbol}',
};

async function client(t: { after(fn: () => Promise<void>): void }, url: string): Promise<Redis> {
  const redis = new Redis(url, { maxRetriesPerRequest: null });
  redis.on('error', () => {});
  t.after(async () => {
    redis.disconnect();
  });
  return redis;
}

/** XADDs ticks `from..to-1` round-robin over SYMBOLS (pipelined per 500). */
async function addTicks(redis: Redis, stream: string, from: number, to: number): Promise<void> {
  for (let start = from; start < to; start += 500) {
    const pipe = redis.pipeline();
    for (let seq = start; seq < Math.min(to, start + 500); seq++) {
      const symbol = SYMBOLS[seq % SYMBOLS.length]!;
      pipe.xadd(stream, '*', 'data', JSON.stringify({ symbol, seq }), 'source', 'test');
    }
    await pipe.exec();
  }
}

function expectedSeqs(symbol: string, from: number, to: number): number[] {
  const out: number[] = [];
  for (let seq = from; seq < to; seq++) if (SYMBOLS[seq % SYMBOLS.length] === symbol) out.push(seq);
  return out;
}

async function totalStored(broker: Broker): Promise<number> {
  let n = 0;
  for (const s of SYMBOLS) n += (await allHistory(broker, `feed:prices.${s}`)).length;
  return n;
}

async function assertAllOnce(broker: Broker, from: number, to: number): Promise<void> {
  for (const symbol of SYMBOLS)
    assertExactlyOnce(await allHistory(broker, `feed:prices.${symbol}`), expectedSeqs(symbol, from, to), (m) =>
      assert.fail(`${symbol}: ${m}`),
    );
}

function runnerFor(
  server: Parameters<typeof feedServer>[1] extends never ? never : Awaited<ReturnType<typeof feedServer>>,
  options: RedisStreamSourceOptions,
  extra: Partial<ConstructorParameters<typeof IngestRunner>[0]> = {},
): IngestRunner {
  return new IngestRunner({
    server,
    connectors: [
      { mapping: compileMapping(MAPPING, 'redis-stream'), source: createRedisStreamSource('quotes', options) },
    ],
    ...extra,
  });
}

test('redis-stream: 10,000 entries land exactly once in history, in source order per key', {
  timeout: 300_000,
}, async (t) => {
  const source = await startRedis(t);
  const producer = await client(t, source.url);
  await addTicks(producer, 'prices', 0, 10_000);
  const server = await feedServer(t);
  const runner = runnerFor(server, { kind: 'redis-stream', url: source.url, stream: 'prices' });
  t.after(() => runner.close());
  await runner.start();
  await waitUntil(
    () => runner.status()['quotes']!.published === 10_000,
    '10,000 published',
    240_000,
    () => runner.status(),
  );
  await assertAllOnce(server.broker, 0, 10_000);
  const first = (await allHistory(server.broker, 'feed:prices.AAPL'))[0]!;
  const [firstId] = (await producer.xrange('prices', '-', '+', 'COUNT', 1))[0]!;
  assert.equal(first.id, `quotes:${firstId}`, 'the id is the connector name and the entry id');
  await waitUntil(
    () => runner.status()['quotes']!.lag === 0,
    'lag 0',
    30_000,
    () => runner.status(),
  );
  const pending = (await producer.xpending('prices', 'switchboard')) as [number, ...unknown[]];
  assert.equal(pending[0], 0, 'every entry acknowledged');
});

test('redis-stream: poison entries go to the dead-letter stream with their reason, good ones flow', {
  timeout: 120_000,
}, async (t) => {
  const source = await startRedis(t);
  const producer = await client(t, source.url);
  const entries: string[][] = [
    ['data', JSON.stringify({ symbol: 'AAPL', seq: 0 })],
    ['data', '{"symbol": "AAPL", '],
    ['data', JSON.stringify({ symbol: 'AAPL', seq: -1, pad: 'x'.repeat(600) })],
    ['data', JSON.stringify({ symbol: 'a b', seq: -2 })], // invalid channel name
    ['data', JSON.stringify({ symbol: { nested: true }, seq: -3 })], // not a string: no channel
    ['other', 'no data field'],
    ['data', JSON.stringify({ symbol: 'AAPL', seq: 1 })],
  ];
  for (const fields of entries) await producer.xadd('ticks', '*', ...fields);
  const server = await feedServer(t);
  const runner = new IngestRunner({
    server,
    connectors: [
      {
        mapping: compileMapping({ ...MAPPING, maxPayloadBytes: 512 }, 'redis-stream'),
        source: createRedisStreamSource('quotes', {
          kind: 'redis-stream',
          url: source.url,
          stream: 'ticks',
          deadLetterStream: 'ticks:dead',
        }),
      },
    ],
  });
  t.after(() => runner.close());
  await runner.start();
  await waitUntil(
    async () => (await producer.xlen('ticks:dead')) === 5,
    '5 dead letters',
    60_000,
    () => runner.status(),
  );
  const dead = await producer.xrange('ticks:dead', '-', '+');
  const reasons = dead.map(([, fields]) => fields[fields.indexOf('reason') + 1]!.split(':')[0]);
  assert.deepEqual(reasons, ['undecodable', 'too_large', 'no_channel', 'no_channel', 'undecodable']);
  assert.equal(dead[0]![1][dead[0]![1].indexOf('data') + 1], '{"symbol": "AAPL", ');
  await waitUntil(
    () => runner.status()['quotes']!.published === 2,
    '2 published',
    30_000,
    () => runner.status(),
  );
  assert.deepEqual(
    (await allHistory(server.broker, 'feed:prices.AAPL')).map((p) => (p.data as { seq: number }).seq),
    [0, 1],
  );
  const status = runner.status()['quotes']!;
  assert.equal(status.deadLettered, 5);
  assert.equal(((await producer.xpending('ticks', 'switchboard')) as [number])[0], 0);
});

test('redis-stream: the source Redis restarting is reconnected to and the stream resumes', {
  timeout: 240_000,
}, async (t) => {
  const source = await startRedis(t, { persistent: true });
  const producer = await client(t, source.url);
  await addTicks(producer, 'prices', 0, 3000);
  const server = await feedServer(t);
  const runner = runnerFor(server, { kind: 'redis-stream', url: source.url, stream: 'prices', consumer: 'node-1' });
  t.after(() => runner.close());
  await runner.start();
  await waitUntil(() => runner.status()['quotes']!.published >= 300, '300 published', 60_000);
  await source.kill();
  await waitUntil(
    () => runner.status()['quotes']!.state === 'down',
    'state down',
    30_000,
    () => runner.status(),
  );
  assert.ok(runner.status()['quotes']!.published < 3000, 'the kill came mid-stream');
  await source.restart();
  await addTicks(producer, 'prices', 3000, 3500);
  await waitUntil(
    async () => (await totalStored(server.broker)) >= 3500,
    '3,500 stored',
    180_000,
    () => runner.status(),
  );
  await assertAllOnce(server.broker, 0, 3500);
  assert.equal(runner.status()['quotes']!.state, 'running');
});

test('redis-stream: a read whose answer is lost with the connection is read again from the pending list, in order', {
  timeout: 60_000,
}, async (t) => {
  const source = await startRedis(t);
  const producer = await client(t, source.url);
  await addTicks(producer, 'prices', 0, 100);
  const proxy = await startProxy(t, source.port);
  const server = await feedServer(t);
  // claimIdleMs far past the test: only this consumer's own pending list can bring the lost batch back in time.
  const runner = runnerFor(server, {
    kind: 'redis-stream',
    url: `redis://127.0.0.1:${proxy.port}`,
    stream: 'prices',
    consumer: 'node-1',
    claimIdleMs: 3_600_000,
  });
  t.after(() => runner.close());
  await runner.start();
  await waitUntil(async () => (await totalStored(server.broker)) >= 100, '100 stored', 20_000);
  // The consumer waits on XREADGROUP '>': Redis hands it the next batch (pending now) and the answer never arrives;
  // the client library sends the read again on its new connection, which finds nothing new.
  const cut = proxy.cutOnReply((chunk) => chunk.includes('"seq":100'));
  await addTicks(producer, 'prices', 100, 200);
  await cut;
  await addTicks(producer, 'prices', 200, 300);
  await waitUntil(
    async () => (await totalStored(server.broker)) >= 300,
    '300 stored',
    30_000,
    () => runner.status(),
  );
  await assertAllOnce(server.broker, 0, 300);
});

test('redis-stream: a consumer stopped mid-batch and started again reads its pending entries first', {
  timeout: 120_000,
}, async (t) => {
  const source = await startRedis(t);
  const producer = await client(t, source.url);
  await addTicks(producer, 'prices', 0, 2000);
  const server = await feedServer(t);
  const options: RedisStreamSourceOptions = { kind: 'redis-stream', url: source.url, stream: 'prices', consumer: 'n1' };
  const first = runnerFor(server, options);
  await first.start();
  await waitUntil(() => first.status()['quotes']!.published >= 250, '250 published', 60_000);
  await first.close();
  const pending = ((await producer.xpending('prices', 'switchboard')) as [number])[0];
  assert.ok(pending > 0, `entries read but not yet handled stay pending (${pending})`);
  const second = runnerFor(server, options);
  t.after(() => second.close());
  await second.start();
  await waitUntil(
    async () => (await totalStored(server.broker)) >= 2000,
    '2,000 stored',
    120_000,
    () => second.status(),
  );
  await assertAllOnce(server.broker, 0, 2000);
});

test('redis-stream: while the broker (Redis) is down nothing is acknowledged; then everything is stored once', {
  timeout: 240_000,
}, async (t) => {
  const source = await startRedis(t);
  const brokerRedis = await startRedis(t, { persistent: true });
  const producer = await client(t, source.url);
  await addTicks(producer, 'prices', 0, 2000);
  const broker = new RedisBroker({ url: brokerRedis.url, commandTimeoutMs: 500 });
  broker.on('error', () => {});
  await broker.waitUntilUp(10_000);
  const server = await feedServer(t, broker);
  const runner = runnerFor(server, { kind: 'redis-stream', url: source.url, stream: 'prices' }, { probeMaxMs: 500 });
  t.after(() => runner.close());
  await runner.start();
  await waitUntil(() => runner.status()['quotes']!.published >= 200, '200 published', 60_000);
  await brokerRedis.kill();
  await waitUntil(
    () => runner.status()['quotes']!.state === 'paused',
    'paused',
    60_000,
    () => runner.status(),
  );
  const acked = async () => {
    const groups = (await producer.xinfo('GROUPS', 'prices')) as unknown[][];
    const g = groups[0]!;
    return { pending: g[g.indexOf('pending') + 1], lastDelivered: g[g.indexOf('last-delivered-id') + 1] };
  };
  const before = await acked();
  await sleep(1500);
  assert.deepEqual(await acked(), before, 'nothing acknowledged or read while the broker is down');
  await brokerRedis.restart();
  await waitUntil(
    async () => (await totalStored(broker).catch(() => 0)) >= 2000,
    '2,000 stored',
    180_000,
    () => runner.status(),
  );
  await assertAllOnce(broker, 0, 2000);
  await waitUntil(
    async () => ((await producer.xpending('prices', 'switchboard')) as [number])[0] === 0,
    'all acknowledged',
    30_000,
  );
});
