// The NATS JetStream source through the ingest runner, against real nats-server processes this file starts, kills
// and restarts: exactly-once into history in source order, poison to the dead-letter subject, a server restart, and
// a broker (Redis) outage during which nothing is acknowledged.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { connect, type JetStreamManager, type NatsConnection, StringCodec } from 'nats';
import { RedisBroker } from '../../src/broker/index.ts';
import { compileMapping, createNatsSource, IngestRunner, type MappingOptionsInput } from '../../src/ingest/index.ts';
import { startNats } from '../helpers/nats-server.ts';
import { startRedis } from '../helpers/redis-server.ts';
import { allHistory, assertExactlyOnce, feedServer, waitUntil } from './fixtures.ts';

const SYMBOLS = ['AAPL', 'MSFT', 'GOOG', 'AMZN'];
const sc = StringCodec();
const MAPPING: MappingOptionsInput = { name: 'prices', channel: 'feed:prices.{subject.1}', key: '{payload.symbol}' };

async function producer(t: { after(fn: () => Promise<void>): void }, url: string): Promise<NatsConnection> {
  const nc = await connect({ servers: url, maxReconnectAttempts: -1, reconnectTimeWait: 200 });
  t.after(async () => {
    await nc.close();
  });
  return nc;
}

async function createStream(jsm: JetStreamManager, name: string, subjects: string[]): Promise<void> {
  await jsm.streams.add({ name, subjects });
}

/**
 * Publishes ticks `from..to-1` round-robin over SYMBOLS, 200 in flight at a time, in order per subject. A batch that
 * fails (a server restarting) is sent again; JetStream's message-id deduplication keeps each tick once.
 */
async function publishTicks(nc: NatsConnection, from: number, to: number): Promise<void> {
  const js = nc.jetstream();
  for (let start = from; start < to; start += 200) {
    const end = Math.min(to, start + 200);
    for (let attempt = 0; ; attempt++) {
      const batch: Promise<unknown>[] = [];
      for (let seq = start; seq < end; seq++) {
        const symbol = SYMBOLS[seq % SYMBOLS.length]!;
        const body = sc.encode(JSON.stringify({ symbol, seq, price: 100 + (seq % 7) }));
        batch.push(js.publish(`prices.${symbol}`, body, { msgID: `tick-${seq}` }));
      }
      try {
        await Promise.all(batch);
        break;
      } catch (err) {
        if (attempt >= 20) throw err;
        await sleep(250);
      }
    }
  }
}

function expectedSeqs(symbol: string, from: number, to: number): number[] {
  const out: number[] = [];
  for (let seq = from; seq < to; seq++) if (SYMBOLS[seq % SYMBOLS.length] === symbol) out.push(seq);
  return out;
}

async function totalStored(broker: { history: RedisBroker['history'] }): Promise<number> {
  let n = 0;
  for (const s of SYMBOLS) n += (await allHistory(broker as RedisBroker, `feed:prices.${s}`)).length;
  return n;
}

test('nats: 10,000 messages land exactly once in history, in source order per key', { timeout: 300_000 }, async (t) => {
  const nats = await startNats(t);
  const server = await feedServer(t);
  const nc = await producer(t, nats.url);
  await createStream(await nc.jetstreamManager(), 'PRICES', ['prices.>']);
  await publishTicks(nc, 0, 10_000);
  const runner = new IngestRunner({
    server,
    connectors: [
      {
        mapping: compileMapping(MAPPING, 'nats'),
        source: createNatsSource('prices', { kind: 'nats', url: nats.url, stream: 'PRICES', subjects: ['prices.>'] }),
      },
    ],
  });
  t.after(() => runner.close());
  await runner.start();
  await waitUntil(
    () => runner.status()['prices']!.published === 10_000,
    '10,000 published',
    240_000,
    () => runner.status(),
  );
  for (const symbol of SYMBOLS)
    assertExactlyOnce(await allHistory(server.broker, `feed:prices.${symbol}`), expectedSeqs(symbol, 0, 10_000), (m) =>
      assert.fail(`${symbol}: ${m}`),
    );
  const pubs = await allHistory(server.broker, 'feed:prices.AAPL');
  assert.equal(pubs[0]!.id, 'prices:1', 'the id is the connector name and the stream sequence');
  await waitUntil(
    () => runner.status()['prices']!.lag === 0,
    'lag 0',
    30_000,
    () => runner.status(),
  );
  const status = runner.status()['prices']!;
  assert.deepEqual(
    { kind: status.kind, received: status.received, duplicates: status.duplicates, dead: status.deadLettered },
    { kind: 'nats', received: 10_000, duplicates: 0, dead: 0 },
  );
});

test('nats: poison messages are dead-lettered with their reason while good ones flow', {
  timeout: 120_000,
}, async (t) => {
  const nats = await startNats(t);
  const server = await feedServer(t);
  const nc = await producer(t, nats.url);
  const jsm = await nc.jetstreamManager();
  await createStream(jsm, 'TICKS', ['ticks.>']);
  await createStream(jsm, 'DEAD', ['dead.>']);
  const js = nc.jetstream();
  const good = (seq: number) => JSON.stringify({ ns: 'feed', symbol: 'AAPL', seq });
  const sent = [
    ['ticks.AAPL', good(0)],
    ['ticks.AAPL', 'not json {'],
    ['ticks.AAPL', good(1)],
    ['ticks.AAPL', JSON.stringify({ ns: 'feed', symbol: 'AAPL', seq: -1, pad: 'x'.repeat(2000) })],
    ['ticks.AAPL', JSON.stringify({ symbol: 'AAPL', seq: -2 })], // no ns field: no channel
    ['ticks.AAPL', JSON.stringify({ ns: 'nowhere', symbol: 'AAPL', seq: -3 })], // unknown namespace
    ['ticks.AAPL', JSON.stringify({ ns: 'fe ed', symbol: 'AAPL', seq: -4 })], // invalid channel name
    ['ticks.AAPL', JSON.stringify({ ns: 'strict', symbol: 42, seq: -5 })], // refused by the payload schema
    ['ticks.AAPL', JSON.stringify({ ns: 'feed', seq: -6 })], // no key field
    ['ticks.AAPL', good(2)],
  ] as const;
  for (const [subject, body] of sent) await js.publish(subject, sc.encode(body));
  const runner = new IngestRunner({
    server,
    connectors: [
      {
        mapping: compileMapping(
          { name: 'ticks', channel: '{payload.ns}:prices.{subject.1}', key: '{payload.symbol}', maxPayloadBytes: 1024 },
          'nats',
        ),
        source: createNatsSource('ticks', {
          kind: 'nats',
          url: nats.url,
          stream: 'TICKS',
          subjects: ['ticks.>'],
          deadLetterSubject: 'dead.ticks',
        }),
      },
    ],
    observer: { deadLettered: (_c, reason) => reasons.push(reason) },
  });
  const reasons: string[] = [];
  t.after(() => runner.close());
  await runner.start();
  await waitUntil(
    () => runner.status()['ticks']!.received === sent.length,
    'all received',
    60_000,
    () => runner.status(),
  );
  await waitUntil(async () => (await jsm.streams.info('DEAD')).state.messages === 7, '7 dead letters', 30_000);
  assert.deepEqual(reasons, [
    'undecodable',
    'too_large',
    'no_channel',
    'no_channel',
    'no_channel',
    'invalid_payload',
    'no_key',
  ]);
  const history = await allHistory(server.broker, 'feed:prices.AAPL');
  assert.deepEqual(
    history.map((p) => (p.data as { seq: number }).seq),
    [0, 1, 2],
  );
  const first = await jsm.streams.getMessage('DEAD', { seq: 1 });
  assert.equal(sc.decode(first.data), 'not json {');
  assert.match(first.header.get('Switchboard-Reason'), /^undecodable: not JSON/);
  assert.equal(first.header.get('Switchboard-Position'), '2');
  const status = runner.status()['ticks']!;
  assert.equal(status.deadLettered, 7);
  assert.equal(status.published, 3);
  // Everything was acknowledged: nothing waits for redelivery.
  const consumer = await jsm.consumers.info('TICKS', 'switchboard');
  assert.equal(consumer.num_ack_pending, 0);
  assert.equal(consumer.num_pending, 0);
});

test('nats: a restarted nats-server is reconnected to and the stream resumes, nothing lost or doubled', {
  timeout: 240_000,
}, async (t) => {
  const nats = await startNats(t);
  const server = await feedServer(t);
  const nc = await producer(t, nats.url);
  await createStream(await nc.jetstreamManager(), 'PRICES', ['prices.>']);
  await publishTicks(nc, 0, 3000);
  const runner = new IngestRunner({
    server,
    connectors: [
      {
        mapping: compileMapping(MAPPING, 'nats'),
        source: createNatsSource('prices', { kind: 'nats', url: nats.url, stream: 'PRICES', subjects: ['prices.>'] }),
      },
    ],
  });
  t.after(() => runner.close());
  await runner.start();
  await waitUntil(() => runner.status()['prices']!.published >= 300, '300 published', 60_000);
  await nats.kill();
  await waitUntil(
    () => runner.status()['prices']!.state === 'down',
    'state down',
    30_000,
    () => runner.status(),
  );
  const before = runner.status()['prices']!.published;
  assert.ok(before < 3000, `the kill came mid-stream (${before} published)`);
  await nats.restart();
  // New messages after the restart flow too (the producer reconnects on its own).
  await publishTicks(nc, 3000, 3500);
  await waitUntil(
    async () => (await totalStored(server.broker)) >= 3500,
    '3,500 stored',
    180_000,
    () => runner.status(),
  );
  for (const symbol of SYMBOLS)
    assertExactlyOnce(await allHistory(server.broker, `feed:prices.${symbol}`), expectedSeqs(symbol, 0, 3500), (m) =>
      assert.fail(`${symbol}: ${m}`),
    );
  assert.equal(runner.status()['prices']!.state, 'running');
});

test('nats: while the broker (Redis) is down nothing is acknowledged; after it returns everything is stored once', {
  timeout: 240_000,
}, async (t) => {
  const nats = await startNats(t);
  const redis = await startRedis(t, { persistent: true });
  const broker = new RedisBroker({ url: redis.url, commandTimeoutMs: 500 });
  broker.on('error', () => {});
  await broker.waitUntilUp(10_000);
  const server = await feedServer(t, broker);
  const nc = await producer(t, nats.url);
  const jsm = await nc.jetstreamManager();
  await createStream(jsm, 'PRICES', ['prices.>']);
  await publishTicks(nc, 0, 2000);
  const paused: string[] = [];
  const runner = new IngestRunner({
    server,
    connectors: [
      {
        mapping: compileMapping(MAPPING, 'nats'),
        source: createNatsSource('prices', { kind: 'nats', url: nats.url, stream: 'PRICES', subjects: ['prices.>'] }),
      },
    ],
    observer: { paused: (name) => paused.push(name) },
    probeMaxMs: 500,
  });
  t.after(() => runner.close());
  await runner.start();
  await waitUntil(() => runner.status()['prices']!.published >= 200, '200 published', 60_000);
  await redis.kill();
  await waitUntil(
    () => runner.status()['prices']!.state === 'paused',
    'paused',
    60_000,
    () => runner.status(),
  );
  const floor = (await jsm.consumers.info('PRICES', 'switchboard')).ack_floor.stream_seq;
  // An absence is asserted over a window: a second and a half of outage, with probes every 500 ms.
  await sleep(1500);
  const during = await jsm.consumers.info('PRICES', 'switchboard');
  assert.equal(during.ack_floor.stream_seq, floor, 'no acknowledgement while the broker is down');
  assert.equal(runner.status()['prices']!.state, 'paused');
  assert.ok(runner.status()['prices']!.errors >= 1);
  await redis.restart();
  await waitUntil(
    async () => (await totalStored(broker).catch(() => 0)) >= 2000,
    '2,000 stored',
    180_000,
    () => runner.status(),
  );
  for (const symbol of SYMBOLS)
    assertExactlyOnce(await allHistory(broker, `feed:prices.${symbol}`), expectedSeqs(symbol, 0, 2000), (m) =>
      assert.fail(`${symbol}: ${m}`),
    );
  assert.deepEqual(paused, ['prices']);
  await waitUntil(
    async () => (await jsm.consumers.info('PRICES', 'switchboard')).ack_floor.stream_seq === 2000,
    'all acknowledged',
    30_000,
  );
});
