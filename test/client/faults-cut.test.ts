// Fault (a): the connection is cut every 200 ms while 10,000 messages are published at 1,000/s; nothing is lost or repeated.
// The timeout leaves room for a loaded 2-core machine: every cut costs a handshake, a JWT check and a recovery per client.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Client } from '../../src/client/index.ts';
import { engineTransport, startFaultHub, tokenFor, waitFor } from '../helpers/client-faults.ts';
import { startProxy } from '../helpers/tcp-proxy.ts';

const TOTAL = 10_000;
const RATE_PER_S = 1_000;
const CUT_EVERY_MS = 200;

test('client: cut every 200 ms while 10,000 messages go out at 1,000/s, the subscriber gets all once, in order', {
  timeout: 180_000,
}, async (t) => {
  const server = await startFaultHub(t);
  const proxy = await startProxy(t, server.port);
  const url = `ws://127.0.0.1:${proxy.port}/ws`;
  const common = {
    url,
    transport: engineTransport,
    reconnect: { minDelayMs: 20, maxDelayMs: 300, factor: 2 },
    pingIntervalMs: 1000,
    pingTimeoutMs: 1000,
    ackTimeoutMs: 2000,
    outbox: { maxMessages: TOTAL },
  } as const;
  const subscriber = new Client({ ...common, token: await tokenFor('sub') });
  const publisher = new Client({ ...common, token: await tokenFor('pub') });
  t.after(() => {
    subscriber.close();
    publisher.close();
  });
  await Promise.all([subscriber.connect(), publisher.connect()]);

  const received: number[] = [];
  const sub = subscriber.subscription('chat:cut');
  sub.on('publication', (p) => received.push((p.data as { i: number }).i));
  await sub.subscribe();

  let cuts = 0;
  const cutter = setInterval(() => {
    cuts++;
    proxy.cut();
  }, CUT_EVERY_MS);
  t.after(() => clearInterval(cutter));
  const acks: Promise<unknown>[] = [];
  const started = Date.now();
  for (let i = 0; i < TOTAL; ) {
    const due = Math.min(TOTAL, Math.floor(((Date.now() - started) / 1000) * RATE_PER_S) + 1);
    for (; i < due; i++) acks.push(publisher.publish('chat:cut', { i }));
    await new Promise((r) => setTimeout(r, 5));
  }
  // Bounded, and saying where things stand if it is not reached (a stalled publish must be diagnosable from CI's log).
  let settled = 0;
  for (const ack of acks)
    void ack.then(
      () => settled++,
      () => settled++,
    );
  const state = () =>
    `(settled ${settled}/${TOTAL}, outbox ${publisher.outbox.length}, publisher ${publisher.state}/${publisher.breakerState}, ` +
    `subscriber ${subscriber.state}, received ${received.length}, cuts ${cuts}, metrics ${JSON.stringify(publisher.metrics)})`;
  await waitFor(() => settled === TOTAL, 120_000, state);
  const results = await Promise.allSettled(acks);
  clearInterval(cutter);
  await waitFor(
    () => received.length >= TOTAL,
    30_000,
    () => `(received ${received.length})`,
  );
  await new Promise((r) => setTimeout(r, 200));

  const rejected = results.filter((r) => r.status === 'rejected').length;
  const unique = new Set(received).size;
  const inOrder = received.every((v, k) => v === k);
  const stored = await subscriber.history('chat:cut', { limit: 1 });
  const figures = {
    sent: TOTAL,
    acked: publisher.metrics.acked,
    publishRejected: rejected,
    resent: publisher.metrics.resent,
    received: received.length,
    unique,
    duplicatesAtApp: received.length - unique,
    duplicatesDropped: subscriber.metrics.duplicates,
    gaps: subscriber.metrics.gaps,
    storedOffset: stored.offset,
    cuts,
    subscriberConnections: subscriber.metrics.connections,
    publisherConnections: publisher.metrics.connections,
    durationMs: Date.now() - started,
  };
  console.log(`# fault (a) figures ${JSON.stringify(figures)}`);
  assert.equal(rejected, 0);
  assert.equal(received.length, TOTAL);
  assert.equal(unique, TOTAL);
  assert.ok(inOrder, 'publications arrive in publish order');
  assert.equal(subscriber.metrics.gaps, 0);
  assert.equal(stored.offset, TOTAL, 'the server stored each message once (retries carried the same id)');
  assert.ok(cuts >= 40 && subscriber.metrics.connections > 10, 'the connections really were cut');
});
