// The RabbitMQ source against the real RabbitMQ on 127.0.0.1:5672: order and completeness, redelivery when the
// store refuses, a consumer killed with SIGKILL, a connection closed by the server, dead-lettering, exchanges and
// pause, and its option schema.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createAmqpSource } from '../../src/ingest/amqp.ts';
import { amqpSourceOptionsSchema } from '../../src/ingest/amqp-options.ts';
import type { SourceMessage } from '../../src/ingest/source.ts';
import { readDeliveries, startSourceChild } from './helpers/child.ts';
import { closeConnectionsNamed, RABBITMQ_URL, rabbitAdmin } from './helpers/rabbitmq.ts';
import { assertOrderPerKey, channelOf, createSink, eventually, priceMessage } from './helpers/sink.ts';

const TIMEOUT = { timeout: 240_000 };

/** The child's output so far ('' before its first write). */
function readText(file: string): string {
  return existsSync(file) ? readFileSync(file, 'utf8') : '';
}

function prices(from: number, to: number, withId = true): { body: string; messageId?: string }[] {
  const out: { body: string; messageId?: string }[] = [];
  for (let i = from; i < to; i++) {
    out.push({ body: JSON.stringify(priceMessage(i)), ...(withId ? { messageId: `m-${i}` } : {}) });
  }
  return out;
}

test(
  '10,000 messages from a queue are stored once each, in queue order, and acked: the queue ends empty',
  TIMEOUT,
  async (t) => {
    const admin = await rabbitAdmin(t);
    const queue = admin.name('q');
    const source = createAmqpSource('prices', { kind: 'amqp', url: RABBITMQ_URL, queue, prefetch: 200 });
    t.after(() => source.close());
    const sink = createSink();
    await source.start(sink.deliver);
    assert.equal(source.status().state, 'running');
    // Half without a message id (position = content hash), half with one.
    await admin.publish({ queue }, [...prices(0, 5000, false), ...prices(5000, 10_000)]);
    await sink.waitFor(() => sink.stored.length >= 10_000, '10,000 stored');

    assert.equal(sink.stored.length, 10_000);
    assert.equal(sink.duplicates, 0);
    assert.deepEqual(
      sink.stored.map((p) => p['seq']),
      Array.from({ length: 10_000 }, (_, i) => i),
    );
    const counts = assertOrderPerKey(sink.stored);
    assert.equal(counts.size, 20);
    const history = await sink.broker.history(channelOf(priceMessage(0)), { limit: 1000 });
    assert.equal(history.publications.length, 500);
    await eventually(async () => (await admin.check(queue)).messageCount === 0, 'queue empty');
    await eventually(() => source.status().lag === 0, 'lag read as 0', 30_000);
    await source.close();
    assert.equal(source.status().state, 'closed');
    // Nothing left unacked: after the consumer is gone the queue is still empty.
    assert.deepEqual(await admin.check(queue), { messageCount: 0, consumerCount: 0 });
  },
);

test('a store that fails (broker refusal) gets the message again and the queue order holds', TIMEOUT, async (t) => {
  const admin = await rabbitAdmin(t);
  const queue = admin.name('q');
  const source = createAmqpSource('prices', { kind: 'amqp', url: RABBITMQ_URL, queue, prefetch: 50 });
  t.after(() => source.close());
  const failedOnce = new Set<number>();
  let refusals = 0;
  const sink = createSink((message, payload) => {
    const seq = Number(payload['seq']);
    if (seq % 10 === 3 && !failedOnce.has(seq)) {
      failedOnce.add(seq);
      refusals++;
      // Half the refusals give the message back explicitly (the runner's retry()), half just fail.
      if (seq % 20 === 3) void message.retry();
      throw new Error('broker refused');
    }
    return 'store';
  });
  await source.start(sink.deliver);
  await admin.publish({ queue }, prices(0, 2000));
  await sink.waitFor(() => sink.stored.length >= 2000, '2,000 stored');
  assert.equal(refusals, 200);
  assert.deepEqual(
    sink.stored.map((p) => p['seq']),
    Array.from({ length: 2000 }, (_, i) => i),
  );
  await eventually(async () => (await admin.check(queue)).messageCount === 0, 'queue empty');
});

test('a consumer killed with SIGKILL mid-stream and started again loses nothing', TIMEOUT, async (t) => {
  const admin = await rabbitAdmin(t);
  const queue = admin.name('q');
  const dir = mkdtempSync(join(tmpdir(), 'sb-amqp-child-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'out.tsv');
  const total = 3000;
  const prefetch = 20;
  // Published before any consumer ran: the queue must exist (the source would declare it the same way).
  await admin.channel.assertQueue(queue, { durable: true });
  await admin.publish({ queue }, prices(0, total));
  const options = { kind: 'amqp', url: RABBITMQ_URL, queue, prefetch };
  const first = await startSourceChild(t, 'amqp', options, file, 1);
  await eventually(() => readDeliveries(readText(file)).length >= 500, '500 delivered before the kill');
  await first.kill9();
  const beforeRestart = readDeliveries(readText(file));
  assert.ok(beforeRestart.length < total, 'killed mid-stream');
  // The unacked window went back to the queue with the dead connection.
  await eventually(async () => (await admin.check(queue)).consumerCount === 0, 'dead consumer gone');

  const second = await startSourceChild(t, 'amqp', options, file, 0);
  await eventually(
    () => new Set(readDeliveries(readText(file)).map((d) => d.position)).size >= total,
    'every message delivered after the restart',
  );
  await second.stop();
  const all = readDeliveries(readText(file));
  const positions = new Set(all.map((d) => d.position));
  assert.equal(positions.size, total);
  for (let i = 0; i < total; i++) assert.ok(positions.has(`m-${i}`), `m-${i} delivered`);
  // At most the one being stored plus the prefetch window is delivered twice; the idempotency key dedupes them.
  assert.ok(all.length - total <= prefetch + 1, `${all.length - total} redeliveries`);
  assert.deepEqual(await admin.check(queue), { messageCount: 0, consumerCount: 0 });
});

test('a connection closed by the server: the source reconnects, declares again and resumes', TIMEOUT, async (t) => {
  const admin = await rabbitAdmin(t);
  const queue = admin.name('q');
  const connector = admin.name('conn');
  const source = createAmqpSource(connector, {
    kind: 'amqp',
    url: RABBITMQ_URL,
    queue,
    prefetch: 20,
    reconnectInitialDelayMs: 100,
    reconnectMaxDelayMs: 1000,
  });
  t.after(() => source.close());
  const sink = createSink();
  let slow = true;
  const deliver = async (m: SourceMessage): Promise<void> => {
    if (slow) await new Promise((resolve) => setTimeout(resolve, 2));
    await sink.deliver(m);
  };
  await source.start(deliver);
  await admin.publish({ queue }, prices(0, 2000));
  await sink.waitFor(() => sink.stored.length >= 300, '300 stored');
  assert.equal(closeConnectionsNamed(`switchboard-ingest:${connector}`), 1);
  await eventually(() => source.status().state !== 'running', 'the source notices');
  assert.match(source.status().lastError ?? '', /close|CONNECTION_FORCED/i);
  slow = false;
  await eventually(() => source.status().state === 'running', 'reconnected', 60_000);
  await admin.publish({ queue }, prices(2000, 2500));
  await sink.waitFor(() => sink.stored.length >= 2500, 'all 2,500 stored');
  assert.equal(sink.stored.length, 2500);
  assertOrderPerKey(sink.stored);
  assert.ok(sink.duplicates <= 21, `${sink.duplicates} redeliveries`);
  await eventually(async () => (await admin.check(queue)).messageCount === 0, 'queue empty');
});

test('poison messages go to the dead-letter exchange with the reason, the rest is stored', TIMEOUT, async (t) => {
  const admin = await rabbitAdmin(t);
  const queue = admin.name('q');
  const dlx = admin.name('dlx');
  const deadQueue = admin.name('dead');
  const source = createAmqpSource('prices', {
    kind: 'amqp',
    url: RABBITMQ_URL,
    queue,
    deadLetterExchange: dlx,
  });
  t.after(() => source.close());
  const sink = createSink((_m, payload) => (Number(payload['seq']) % 100 === 7 ? 'dead' : 'store'));
  await source.start(sink.deliver);
  // The source declared the dead-letter exchange; an operator binds a queue to keep what lands there.
  await admin.channel.assertQueue(deadQueue, { durable: false });
  await admin.channel.bindQueue(deadQueue, dlx, '');
  await admin.publish({ queue }, prices(0, 1000));
  await sink.waitFor(() => sink.stored.length >= 990, '990 stored');
  await eventually(async () => (await admin.check(deadQueue)).messageCount === 10, '10 dead-lettered');
  const dead = await admin.channel.get(deadQueue, { noAck: true });
  assert.ok(dead !== false);
  assert.equal((JSON.parse(dead.content.toString()) as { seq: number }).seq, 7);
  assert.equal(dead.properties.headers?.['x-switchboard-reason'], 'poison');
  assert.equal(dead.properties.headers?.['x-switchboard-connector'], 'prices');
  assert.equal(dead.properties.messageId, 'm-7');
  await eventually(async () => (await admin.check(queue)).messageCount === 0, 'queue empty');
});

test(
  'a topic exchange binding: the queue is named after the connector; pause stops consuming, resume goes on',
  TIMEOUT,
  async (t) => {
    const admin = await rabbitAdmin(t);
    const exchange = admin.name('x');
    const connector = admin.name('conn');
    const source = createAmqpSource(connector, {
      kind: 'amqp',
      url: RABBITMQ_URL,
      exchange: { name: exchange, type: 'topic', bindingKeys: ['prices.#'] },
    });
    t.after(() => source.close());
    const subjects: string[] = [];
    const sink = createSink((m) => {
      subjects.push(m.subject);
      return 'store';
    });
    await source.start(sink.deliver);
    const body = (i: number) => [{ body: JSON.stringify(priceMessage(i)), messageId: `m-${i}` }];
    await admin.publish({ exchange, routingKey: 'prices.AAA' }, body(0));
    await admin.publish({ exchange, routingKey: 'weather.paris' }, body(1));
    await admin.publish({ exchange, routingKey: 'prices.BBB.x' }, body(2));
    await sink.waitFor(() => sink.stored.length >= 2, '2 stored');
    assert.deepEqual(subjects, ['prices.AAA', 'prices.BBB.x']);
    assert.equal((await admin.check(connector)).consumerCount, 1);

    source.pause();
    assert.equal(source.status().state, 'paused');
    await eventually(async () => (await admin.check(connector)).consumerCount === 0, 'consumer cancelled');
    for (let i = 3; i < 53; i++) await admin.publish({ exchange, routingKey: 'prices.CCC' }, body(i));
    // All 50 wait in the queue: nothing was handed over while paused.
    await eventually(async () => (await admin.check(connector)).messageCount === 50, '50 waiting');
    assert.equal(sink.received, 2);

    source.resume();
    await sink.waitFor(() => sink.stored.length >= 52, '52 stored');
    assert.equal(source.status().state, 'running');
    assertOrderPerKey(sink.stored);
    await eventually(async () => (await admin.check(connector)).messageCount === 0, 'queue empty');
  },
);

test(
  'a source whose broker is unreachable reports down with a credential-free error and stops on close',
  TIMEOUT,
  async () => {
    const source = createAmqpSource('nowhere', {
      kind: 'amqp',
      url: 'amqp://user:s3cret@127.0.0.1:1/',
      queue: 'never',
      reconnectInitialDelayMs: 50,
      reconnectMaxDelayMs: 200,
    });
    await source.start(async () => {});
    assert.equal(source.status().state, 'down');
    assert.ok((source.status().lastError ?? '').length > 0);
    assert.doesNotMatch(source.status().lastError ?? '', /s3cret/);
    await source.close();
    assert.equal(source.status().state, 'closed');
  },
);

test('amqp options: bad configs are refused with the field named', () => {
  const ok = { kind: 'amqp', url: RABBITMQ_URL, queue: 'prices' };
  const parsed = amqpSourceOptionsSchema.parse(ok);
  assert.equal(parsed.prefetch, 100);
  assert.deepEqual(
    amqpSourceOptionsSchema.parse({ kind: 'amqp', url: RABBITMQ_URL, exchange: { name: 'x', type: 'fanout' } }).exchange
      ?.bindingKeys,
    ['#'],
  );
  const bad: [Record<string, unknown>, string][] = [
    [{ ...ok, url: 'http://127.0.0.1:5672' }, 'url'],
    [{ ...ok, url: 'not a url' }, 'url'],
    [{ kind: 'amqp', url: RABBITMQ_URL }, 'queue'],
    [{ ...ok, prefetch: 0 }, 'prefetch'],
    [{ ...ok, prefetch: 1.5 }, 'prefetch'],
    [{ ...ok, queue: '' }, 'queue'],
    [{ ...ok, queue: 'x'.repeat(256) }, 'queue'],
    [{ ...ok, exchange: { name: 'x', type: 'headers', bindingKeys: ['a'] } }, 'exchange.type'],
    [{ ...ok, exchange: { name: 'x', type: 'topic', bindingKeys: [] } }, 'exchange.bindingKeys'],
    [{ ...ok, exchange: { name: 'x', type: 'topic', routingKey: 'a' } }, 'exchange'],
    [{ ...ok, deadLetterExchange: '' }, 'deadLetterExchange'],
    [{ ...ok, reconnectInitialDelayMs: 5000, reconnectMaxDelayMs: 1000 }, 'reconnectMaxDelayMs'],
    [{ ...ok, prefecth: 10 }, ''],
    [{ ...ok, kind: 'mqtt' }, 'kind'],
  ];
  for (const [input, path] of bad) {
    const r = amqpSourceOptionsSchema.safeParse(input);
    assert.equal(r.success, false, JSON.stringify(input));
    assert.ok(
      r.error!.issues.some((i) => i.path.join('.') === path),
      `${JSON.stringify(input)}: ${JSON.stringify(r.error!.issues)}`,
    );
  }
  assert.throws(() => createAmqpSource('x', { kind: 'amqp', url: RABBITMQ_URL } as never), /queue/);
});
