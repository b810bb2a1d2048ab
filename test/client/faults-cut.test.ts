// Fault (a): the connection is cut every 200 ms while 10,000 messages are published at 1,000/s; nothing is lost or repeated.
// The timeout leaves room for a loaded 2-core machine: every cut costs a handshake, a JWT check and a recovery per client.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { engineTransport, startFaultHub } from '../helpers/client-faults.ts';
import { cutClientOptions, runThroughCuts } from '../helpers/cut-harness.ts';
import { startProxy } from '../helpers/tcp-proxy.ts';

const TOTAL = 10_000;
const RATE_PER_S = 1_000;
const CUT_EVERY_MS = 200;

test('client: cut every 200 ms while 10,000 messages go out at 1,000/s, the subscriber gets all once, in order', {
  timeout: 180_000,
}, async (t) => {
  const server = await startFaultHub(t);
  const proxy = await startProxy(t, server.port);
  const { subscriber, publisher, received, results, cuts, started } = await runThroughCuts(t, {
    options: { url: `ws://127.0.0.1:${proxy.port}/ws`, transport: engineTransport, ...cutClientOptions(TOTAL) },
    cut: () => proxy.cut(),
    channel: 'chat:cut',
    total: TOTAL,
    ratePerS: RATE_PER_S,
    cutEveryMs: CUT_EVERY_MS,
  });

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
