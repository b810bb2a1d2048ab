// The MQTT source against real mosquitto brokers started by the tests (persistence on, so they can be restarted):
// order and completeness, redelivery when the store refuses, a consumer killed with SIGKILL, a broker restart,
// dead-lettering, pause, and its option schema.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connectAsync, type MqttClient } from 'mqtt';
import { createMqttSource, mqttSourceOptionsSchema } from '../../src/ingest/mqtt.ts';
import type { SourceMessage } from '../../src/ingest/source.ts';
import { readDeliveries, startSourceChild } from './helpers/child.ts';
import { startMosquitto } from './helpers/mosquitto.ts';
import { assertOrderPerKey, createSink, eventually, priceMessage } from './helpers/sink.ts';

const TIMEOUT = { timeout: 240_000 };

/** A plain MQTT 5 client for publishing and observing, ended in `t.after`. */
async function client(t: Pick<TestContext, 'after'>, url: string): Promise<MqttClient> {
  const c = await connectAsync(url, { protocolVersion: 5, reconnectPeriod: 200 });
  t.after(() => c.endAsync(true));
  return c;
}

/** Publishes price messages `from`..`to` at QoS 1 to `prices/<symbol>`, 200 in flight at a time. */
async function publishPrices(c: MqttClient, from: number, to: number): Promise<void> {
  for (let i = from; i < to; i += 200) {
    const batch: Promise<unknown>[] = [];
    for (let j = i; j < Math.min(to, i + 200); j++) {
      const p = priceMessage(j);
      batch.push(c.publishAsync(`prices/${String(p['symbol'])}`, JSON.stringify(p), { qos: 1 }));
    }
    await Promise.all(batch);
  }
}

function readText(file: string): string {
  return existsSync(file) ? readFileSync(file, 'utf8') : '';
}

test(
  '10,000 messages are stored once each, in order per topic, and acknowledged: a new session start finds none left',
  TIMEOUT,
  async (t) => {
    const broker = await startMosquitto(t);
    const options = { kind: 'mqtt' as const, url: broker.url, topics: ['prices/#'], clientId: 'sb-ingest-a' };
    const source = createMqttSource('prices', options);
    t.after(() => source.close());
    const sink = createSink();
    await source.start(sink.deliver);
    await eventually(() => source.status().state === 'running', 'subscribed');
    const pub = await client(t, broker.url);
    await publishPrices(pub, 0, 10_000);
    await sink.waitFor(() => sink.stored.length >= 10_000, '10,000 stored');
    assert.equal(sink.stored.length, 10_000);
    assert.equal(sink.duplicates, 0);
    const counts = assertOrderPerKey(sink.stored);
    assert.equal(counts.size, 20);
    for (const n of counts.values()) assert.equal(n, 500);
    await source.close();
    assert.equal(source.status().state, 'closed');

    // Every message was PUBACKed: the session resumed by the same client id gets only what was published after.
    await pub.publishAsync('prices/MARK', JSON.stringify({ symbol: 'MARK', seq: 1 }), { qos: 1 });
    const again = createMqttSource('prices', options);
    t.after(() => again.close());
    const after = createSink();
    await again.start(after.deliver);
    await after.waitFor(() => after.stored.length >= 1, 'the marker');
    assert.deepEqual(after.stored[0], { symbol: 'MARK', seq: 1 });
  },
);

test('a store that fails (broker refusal) gets the message again and the order per topic holds', TIMEOUT, async (t) => {
  const broker = await startMosquitto(t);
  const source = createMqttSource('prices', {
    kind: 'mqtt',
    url: broker.url,
    topics: ['prices/#'],
    clientId: 'sb-ingest-b',
    retryDelayMs: 5,
  });
  t.after(() => source.close());
  const failedOnce = new Set<number>();
  const sink = createSink((message, payload) => {
    const seq = Number(payload['seq']);
    if (seq % 10 === 3 && !failedOnce.has(seq)) {
      failedOnce.add(seq);
      if (seq % 20 === 3) void message.retry();
      throw new Error('broker refused');
    }
    return 'store';
  });
  await source.start(sink.deliver);
  await eventually(() => source.status().state === 'running', 'subscribed');
  const pub = await client(t, broker.url);
  await publishPrices(pub, 0, 2000);
  await sink.waitFor(() => sink.stored.length >= 2000, '2,000 stored');
  assert.equal(failedOnce.size, 200);
  assert.equal(sink.stored.length, 2000);
  // MQTT orders per topic; with one message handed over at a time, the whole sequence is in publish order here.
  assert.deepEqual(
    sink.stored.map((p) => p['seq']),
    Array.from({ length: 2000 }, (_, i) => i),
  );
});

test(
  'a consumer killed with SIGKILL mid-stream and started again loses nothing (persistent session)',
  TIMEOUT,
  async (t) => {
    const broker = await startMosquitto(t);
    const dir = mkdtempSync(join(tmpdir(), 'sb-mqtt-child-'));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    const file = join(dir, 'out.tsv');
    const total = 3000;
    const options = {
      kind: 'mqtt',
      url: broker.url,
      topics: ['prices/#'],
      clientId: 'sb-ingest-child',
      receiveMaximum: 20,
    };
    const first = await startSourceChild(t, 'mqtt', options, file, 1);
    const pub = await client(t, broker.url);
    await publishPrices(pub, 0, total);
    await eventually(() => readDeliveries(readText(file)).length >= 500, '500 delivered before the kill');
    await first.kill9();
    assert.ok(readDeliveries(readText(file)).length < total, 'killed mid-stream');

    const second = await startSourceChild(t, 'mqtt', options, file, 0);
    await eventually(
      () => new Set(readDeliveries(readText(file)).map((d) => Number(d.payload['seq']))).size >= total,
      'every message delivered after the restart',
    );
    await second.stop();
    const all = readDeliveries(readText(file));
    const seqs = new Set(all.map((d) => Number(d.payload['seq'])));
    for (let i = 0; i < total; i++) assert.ok(seqs.has(i), `seq ${i} delivered`);
    // Redeliveries carry the same position, so the runner's idempotency key stores them once.
    const positions = new Map<number, string>();
    for (const d of all) {
      const seq = Number(d.payload['seq']);
      if (positions.has(seq)) assert.equal(positions.get(seq), d.position);
      positions.set(seq, d.position);
    }
    // What the broker had sent and not seen acknowledged is sent again on each new connection: up to receiveMaximum
    // (20) for the kill, and as many again should the new consumer's connection drop once on a loaded machine (CI
    // saw 23 once). A redelivery of the whole stream, or of much of it, still fails this.
    assert.ok(all.length - total <= 2 * options.receiveMaximum + 1, `${all.length - total} redeliveries`);
  },
);

test('the broker restarted: the source reconnects to its session and resumes with nothing lost', TIMEOUT, async (t) => {
  const broker = await startMosquitto(t);
  const source = createMqttSource('prices', {
    kind: 'mqtt',
    url: broker.url,
    topics: ['prices/#'],
    clientId: 'sb-ingest-c',
    reconnectPeriodMs: 100,
  });
  t.after(() => source.close());
  const sink = createSink();
  let slow = true;
  await source.start(async (m: SourceMessage) => {
    if (slow) await new Promise((resolve) => setTimeout(resolve, 2));
    await sink.deliver(m);
  });
  await eventually(() => source.status().state === 'running', 'subscribed');
  const pub = await client(t, broker.url);
  await publishPrices(pub, 0, 2000);
  await sink.waitFor(() => sink.stored.length >= 200, '200 stored');
  await broker.stop();
  await eventually(() => source.status().state === 'down', 'the source notices');
  await broker.start();
  slow = false;
  await eventually(() => source.status().state === 'running', 'reconnected', 60_000);
  await eventually(() => pub.connected, 'publisher reconnected', 60_000);
  await publishPrices(pub, 2000, 2500);
  await sink.waitFor(() => new Set(sink.stored.map((p) => p['seq'])).size >= 2500, 'all 2,500 stored');
  assert.equal(sink.stored.length, 2500);
  assertOrderPerKey(sink.stored);
});

test('poison messages go to the dead-letter topic with the reason, the rest is stored', TIMEOUT, async (t) => {
  const broker = await startMosquitto(t);
  const observer = await client(t, broker.url);
  const dead: { topic: string; payload: string; props: Record<string, unknown> }[] = [];
  observer.on('message', (topic, payload, packet) =>
    dead.push({ topic, payload: payload.toString(), props: { ...(packet.properties?.userProperties ?? {}) } }),
  );
  await observer.subscribeAsync('dead/prices', { qos: 1 });
  const source = createMqttSource('prices', {
    kind: 'mqtt',
    url: broker.url,
    topics: ['prices/#'],
    clientId: 'sb-ingest-d',
    deadLetterTopic: 'dead/prices',
  });
  t.after(() => source.close());
  const sink = createSink((_m, payload) => (Number(payload['seq']) % 100 === 7 ? 'dead' : 'store'));
  await source.start(sink.deliver);
  await eventually(() => source.status().state === 'running', 'subscribed');
  const pub = await client(t, broker.url);
  await publishPrices(pub, 0, 1000);
  await sink.waitFor(() => sink.stored.length >= 990, '990 stored');
  await eventually(() => dead.length >= 10, '10 dead-lettered');
  assert.equal(dead.length, 10);
  assert.equal((JSON.parse(dead[0]!.payload) as { seq: number }).seq, 7);
  assert.deepEqual(dead[0]!.props, { reason: 'poison', connector: 'prices', topic: 'prices/S07' });
});

test(
  'pause holds messages (nothing handed over, nothing acknowledged) and resume delivers them in order',
  TIMEOUT,
  async (t) => {
    const broker = await startMosquitto(t);
    const source = createMqttSource('prices', {
      kind: 'mqtt',
      url: broker.url,
      topics: ['prices/#'],
      clientId: 'sb-ingest-e',
    });
    t.after(() => source.close());
    const sink = createSink();
    await source.start(sink.deliver);
    await eventually(() => source.status().state === 'running', 'subscribed');
    const observer = await client(t, broker.url);
    let observed = 0;
    observer.on('message', () => observed++);
    await observer.subscribeAsync('prices/#', { qos: 1 });
    const pub = await client(t, broker.url);
    await publishPrices(pub, 0, 10);
    await sink.waitFor(() => sink.stored.length >= 10, '10 stored');

    source.pause();
    assert.equal(source.status().state, 'paused');
    await publishPrices(pub, 10, 60);
    // The broker routed all 50 (a second subscriber has them) while the paused source handed none over.
    await eventually(() => observed >= 60, 'the observer has all');
    await new Promise((resolve) => setTimeout(resolve, 200));
    assert.equal(sink.received, 10);

    source.resume();
    await sink.waitFor(() => sink.stored.length >= 60, '60 stored');
    assert.deepEqual(
      sink.stored.map((p) => p['seq']),
      Array.from({ length: 60 }, (_, i) => i),
    );
  },
);

test('mqtt options: bad configs are refused with the field named', () => {
  const ok = { kind: 'mqtt', url: 'mqtt://127.0.0.1:1883', topics: ['prices/#'], clientId: 'switchboard-1' };
  const parsed = mqttSourceOptionsSchema.parse(ok);
  assert.equal(parsed.qos, 1);
  assert.equal(parsed.sessionExpirySeconds, 86_400);
  const bad: [Record<string, unknown>, string][] = [
    [{ ...ok, url: 'http://127.0.0.1:1883' }, 'url'],
    [{ ...ok, url: 'mqtt://' }, 'url'],
    [{ ...ok, topics: [] }, 'topics'],
    [{ ...ok, topics: ['prices/#/x'] }, 'topics.0'],
    [{ ...ok, topics: ['prices/a+'] }, 'topics.0'],
    [{ ...ok, topics: [''] }, 'topics.0'],
    [{ ...ok, clientId: '' }, 'clientId'],
    [{ ...ok, qos: 0 }, 'qos'],
    [{ ...ok, qos: 2 }, 'qos'],
    [{ ...ok, deadLetterTopic: 'dead/#' }, 'deadLetterTopic'],
    [{ ...ok, receiveMaximum: 0 }, 'receiveMaximum'],
    [{ ...ok, sessionExpirySeconds: -1 }, 'sessionExpirySeconds'],
    [{ ...ok, topic: 'x' }, ''],
    [{ kind: 'mqtt', url: 'mqtt://127.0.0.1:1883', topics: ['a'] }, 'clientId'],
  ];
  for (const [input, path] of bad) {
    const r = mqttSourceOptionsSchema.safeParse(input);
    assert.equal(r.success, false, JSON.stringify(input));
    assert.ok(
      r.error!.issues.some((i) => i.path.join('.') === path),
      `${JSON.stringify(input)}: ${JSON.stringify(r.error!.issues)}`,
    );
  }
  assert.doesNotThrow(() => mqttSourceOptionsSchema.parse({ ...ok, topics: ['#', 'a/+/b', '+', 'a/b/#'] }));
});
