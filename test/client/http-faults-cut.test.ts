// The HTTP transports under cuts: every connection through the proxy (the event stream or the held poll, and the
// POSTs) is cut every 200 ms while 5,000 messages flow; the subscriber gets each once, in order, and the server
// stores each once. A cut stream is a new session recovered with `since`; a cut poll is asked again with the same ack;
// a cut POST ends its session (its messages may or may not have arrived) and the publishes go again with their ids.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cutClientOptions, runThroughCuts } from '../helpers/cut-harness.ts';
import { startProxy } from '../helpers/tcp-proxy.ts';
import { startTransportServer } from '../helpers/transport-server.ts';

const TOTAL = 5_000;
const RATE_PER_S = 500;
const CUT_EVERY_MS = 200;

for (const kind of ['sse', 'polling'] as const) {
  test(`client over ${kind}: cut every 200 ms while 5,000 messages flow, 0 lost, 0 duplicated, in order`, {
    timeout: 180_000,
  }, async (t) => {
    const server = await startTransportServer(t);
    const proxy = await startProxy(t, server.port);
    const { subscriber, publisher, received, results, cuts, connectionsCut, started } = await runThroughCuts(t, {
      options: { url: `ws://127.0.0.1:${proxy.port}/ws`, transports: [kind], ...cutClientOptions(TOTAL) },
      cut: () => proxy.cut(),
      channel: 'chat:cut',
      total: TOTAL,
      ratePerS: RATE_PER_S,
      cutEveryMs: CUT_EVERY_MS,
      connected: (subscriber) => assert.equal(subscriber.transport, kind),
    });

    const rejected = results.filter((r) => r.status === 'rejected').length;
    const unique = new Set(received).size;
    const stored = await subscriber.history('chat:cut', { limit: 1 });
    const figures = {
      transport: kind,
      sent: TOTAL,
      publishRejected: rejected,
      resent: publisher.metrics.resent,
      received: received.length,
      unique,
      duplicatesDropped: subscriber.metrics.duplicates,
      gaps: subscriber.metrics.gaps,
      storedOffset: stored.offset,
      cuts,
      connectionsCut,
      subscriberSessions: subscriber.metrics.connections,
      publisherSessions: publisher.metrics.connections,
      durationMs: Date.now() - started,
    };
    console.log(`# http transport cut figures ${JSON.stringify(figures)}`);
    assert.equal(rejected, 0);
    assert.equal(received.length, TOTAL, 'nothing lost, nothing delivered twice');
    assert.equal(unique, TOTAL);
    assert.ok(
      received.every((v, k) => v === k),
      'publications arrive in publish order',
    );
    assert.equal(subscriber.metrics.gaps, 0);
    assert.equal(stored.offset, TOTAL, 'the server stored each message once (retries carried the same id)');
    assert.ok(cuts >= 40 && connectionsCut > 40, 'the connections really were cut');
    if (kind === 'sse') assert.ok(subscriber.metrics.connections > 10, 'each cut stream was a new session');
  });
}
