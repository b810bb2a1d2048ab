// Conflation and outbound batches over a real TCP socket: a raw subscriber that stops reading while 100k publications
// over 20 keys flow keeps the server's memory bounded (bufferedAmount, the conflation map) and, once it reads again,
// receives the newest value of every key with `skipped` counts that add up; /metrics counts the skipped publications
// and the batches. docs/feeds.md "Feed semantics".
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createMetrics, createObserver, type Metrics } from '../../src/http/index.ts';
import { frames, RawClient } from '../helpers/raw.ts';
import { openClient, startHub, type Hub } from '../helpers/realtime.ts';

const KEYS = 20;
const TOTAL = 100_000;
const SLOW_BYTES = 256 * 1024;
const PAD = 'x'.repeat(200);

type Msg = Record<string, unknown> & { type: string };

/** Metrics without the process and engine collectors, so every figure comes from this test's hub. */
function feedMetrics(): Metrics {
  return createMetrics({ defaultMetrics: false, engineDiagnostics: false });
}

/** One sample of the exposition text (`name` with its labels, if any), or NaN when absent. */
async function sample(metrics: Metrics, name: string): Promise<number> {
  const line = (await metrics.render()).split('\n').find((l) => l.startsWith(`${name} `));
  return line === undefined ? Number.NaN : Number(line.slice(name.length + 1));
}

async function rawSubscriber(hub: Hub, channel: string): Promise<RawClient> {
  const raw = await RawClient.open(hub.port, {
    path: '/ws',
    protocols: 'switchboard.v1.json',
    origin: 'https://app.example.com',
  });
  const token = await hub.token('reader');
  await raw.write(frames.text(JSON.stringify({ type: 'connect', token, rid: 1 })));
  assert.equal(JSON.parse((await raw.readMessage()).data.toString('utf8')).type, 'connected');
  await raw.write(frames.text(JSON.stringify({ type: 'subscribe', channel, rid: 2 })));
  const subscribed = JSON.parse((await raw.readMessage()).data.toString('utf8')) as Msg;
  assert.equal(subscribed.type, 'subscribed');
  assert.equal(subscribed['conflated'], true);
  return raw;
}

test('a subscriber that stops reading: memory stays bounded, then it gets the newest value of every key and skipped adds up', async (t) => {
  const metrics = feedMetrics();
  const hub = await startHub(t, {
    observer: createObserver(metrics, null),
    slowConsumerBytes: SLOW_BYTES,
    namespaces: { px: { conflate: true, historySize: 100, recoverOnJoin: 0, presence: false } },
  });
  const raw = await rawSubscriber(hub, 'px:q');
  t.after(() => raw.destroy());
  raw.stopReading();
  const [session] = [...hub.hub.sessions];
  assert.ok(session !== undefined);
  let maxBuffered = 0;
  let maxConflated = 0;
  for (let i = 0; i < TOTAL; i++) {
    await hub.hub.publish('px:q', { i, pad: PAD }, { key: `k${i % KEYS}` });
    if (i % 500 === 0) {
      maxBuffered = Math.max(maxBuffered, session.transport.bufferedAmount);
      maxConflated = Math.max(maxConflated, session.feed.conflatedSize);
    }
  }
  maxBuffered = Math.max(maxBuffered, session.transport.bufferedAmount);
  maxConflated = Math.max(maxConflated, session.feed.conflatedSize);
  assert.ok(maxConflated > 0, 'the socket never fell behind: conflation was not exercised');
  assert.ok(maxConflated <= KEYS, `conflation map held ${maxConflated} entries for ${KEYS} keys`);
  // Above the mark only by what one fan-out wrote before the next one saw it.
  assert.ok(maxBuffered <= SLOW_BYTES + 4096, `bufferedAmount reached ${maxBuffered}`);
  assert.equal(session.isClosed, false, 'conflation must not disconnect the slow reader');

  raw.startReading();
  const newest = new Map<string, number>();
  let received = 0;
  let skipped = 0;
  let lastOffset = 0;
  const finalOffsets = new Set(Array.from({ length: KEYS }, (_, k) => TOTAL - KEYS + k + 1));
  while (finalOffsets.size > 0) {
    const m = JSON.parse((await raw.readMessage(20_000)).data.toString('utf8')) as Msg;
    assert.equal(m.type, 'publication');
    const offset = m['offset'] as number;
    assert.ok(offset > lastOffset, `offsets go up: ${offset} after ${lastOffset}`);
    lastOffset = offset;
    received++;
    if (typeof m['skipped'] === 'number') skipped += m['skipped'];
    newest.set(m['key'] as string, (m['data'] as { i: number }).i);
    finalOffsets.delete(offset);
  }
  for (let k = 0; k < KEYS; k++) assert.equal(newest.get(`k${k}`), TOTAL - KEYS + k, `newest value of k${k}`);
  assert.equal(received + skipped, TOTAL, `${received} received + ${skipped} skipped`);
  assert.ok(skipped > 0);
  assert.equal(session.feed.conflatedSize, 0);
  assert.equal(
    await sample(metrics, 'switchboard_feed_conflation_skipped_total'),
    skipped,
    'the metric counts them all',
  );
});

test('without keys the channel is one slot: the reader gets the last publication after the skipped ones', async (t) => {
  const hub = await startHub(t, {
    slowConsumerBytes: SLOW_BYTES,
    namespaces: { px: { conflate: true, historySize: 10, recoverOnJoin: 0, presence: false } },
  });
  const raw = await rawSubscriber(hub, 'px:one');
  t.after(() => raw.destroy());
  raw.stopReading();
  const [session] = [...hub.hub.sessions];
  const total = 30_000;
  for (let i = 0; i < total; i++) await hub.hub.publish('px:one', { i, pad: PAD });
  assert.ok(session!.feed.conflatedSize <= 1);
  raw.startReading();
  let received = 0;
  let skipped = 0;
  for (;;) {
    const m = JSON.parse((await raw.readMessage(20_000)).data.toString('utf8')) as Msg;
    received++;
    if (typeof m['skipped'] === 'number') skipped += m['skipped'];
    if (m['offset'] === total) break;
  }
  assert.equal(received + skipped, total);
});

test('batches: publications of one event-loop turn leave in one publications frame, in order', async (t) => {
  const metrics = feedMetrics();
  const hub = await startHub(t, {
    observer: createObserver(metrics, null),
    namespaces: {
      bx: { batchPublications: true, batchMaxCount: 8, historySize: 100, recoverOnJoin: 0, presence: false },
    },
  });
  const raw = await RawClient.open(hub.port, {
    path: '/ws',
    protocols: 'switchboard.v1.json',
    origin: 'https://app.example.com',
  });
  t.after(() => raw.destroy());
  const token = await hub.token('reader');
  await raw.write(frames.text(JSON.stringify({ type: 'connect', token, rid: 1 })));
  await raw.readMessage();
  await raw.write(frames.text(JSON.stringify({ type: 'subscribe', channel: 'bx:q', rid: 2 })));
  await raw.readMessage();
  // 20 publications in one turn: frames of 8, 8 and 4.
  await Promise.all(Array.from({ length: 20 }, (_, i) => hub.hub.publish('bx:q', { i }, { key: `k${i % 3}` })));
  const sizes: number[] = [];
  const offsets: number[] = [];
  while (offsets.length < 20) {
    const f = await raw.readFrame(5000);
    assert.equal(f.opcode, 1);
    assert.equal(f.fin, true);
    const m = JSON.parse(f.payload.toString('utf8')) as Msg;
    if (m.type === 'publications') {
      const items = m['publications'] as { offset: number; type?: string; key: string }[];
      sizes.push(items.length);
      for (const p of items) {
        assert.equal(p.type, undefined);
        assert.equal(p.key, `k${(p.offset - 1) % 3}`);
        offsets.push(p.offset);
      }
    } else {
      assert.equal(m.type, 'publication');
      sizes.push(1);
      offsets.push(m['offset'] as number);
    }
  }
  assert.deepEqual(
    offsets,
    Array.from({ length: 20 }, (_, i) => i + 1),
  );
  assert.deepEqual(sizes, [8, 8, 4]);
  // A lone publication goes out as a plain `publication`.
  await hub.hub.publish('bx:q', { i: 20 });
  const lone = JSON.parse((await raw.readMessage()).data.toString('utf8')) as Msg;
  assert.equal(lone.type, 'publication');
  assert.equal(lone['offset'], 21);
  // Four batches (8, 8, 4 and the lone one) holding 21 publications; two fall in the bucket up to 4.
  assert.equal(await sample(metrics, 'switchboard_feed_batch_publications_count'), 4);
  assert.equal(await sample(metrics, 'switchboard_feed_batch_publications_sum'), 21);
  assert.equal(await sample(metrics, 'switchboard_feed_batch_publications_bucket{le="4"}'), 2);
  assert.equal(await sample(metrics, 'switchboard_feed_conflation_skipped_total'), 0, 'nothing conflated here');
});

test('batches never let a later message overtake them (a reply to the same connection comes after)', async (t) => {
  const hub = await startHub(t, {
    namespaces: {
      bx: { batchPublications: true, batchMaxDelayMs: 1000, historySize: 100, recoverOnJoin: 0, presence: false },
    },
  });
  const client = await openClient(t, hub, 'reader');
  await client.request({ type: 'subscribe', channel: 'bx:z' });
  await hub.hub.publish('bx:z', { i: 1 });
  await hub.hub.publish('bx:z', { i: 2 });
  const before = client.received.length;
  const pong = await client.request({ type: 'ping' });
  assert.equal(pong.type, 'reply');
  const batch = client.received.slice(before);
  assert.equal(batch.length, 1, JSON.stringify(batch));
  assert.equal(batch[0]!.type, 'publications');
});
