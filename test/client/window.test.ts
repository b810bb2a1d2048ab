// The publish window: at most `maxInFlight` publishes are unacknowledged at once, so a backlog goes out a window at a
// time (after an outage, a connection cut again soon still gets acks back instead of resending the whole outbox).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Client } from '../../src/client/index.ts';
import type { TransportFactory, TransportSocket } from '../../src/client/transport.ts';
import { engineTransport, startFaultHub, tokenFor } from '../helpers/client-faults.ts';

/** Wraps the engine transport to count publishes sent and their replies, and the most ever outstanding. */
function countingTransport(): {
  factory: TransportFactory;
  stats: { sent: number; answered: number; maxOutstanding: number };
} {
  const stats = { sent: 0, answered: 0, maxOutstanding: 0 };
  const publishRids = new Set<number>();
  const factory: TransportFactory = (url, protocols) => {
    const inner = engineTransport(url, protocols);
    const outer: TransportSocket = {
      get readyState() {
        return inner.readyState;
      },
      get protocol() {
        return inner.protocol;
      },
      get binaryType() {
        return inner.binaryType;
      },
      set binaryType(v: string) {
        inner.binaryType = v;
      },
      get onopen() {
        return inner.onopen;
      },
      set onopen(h) {
        inner.onopen = h;
      },
      get onclose() {
        return inner.onclose;
      },
      set onclose(h) {
        inner.onclose = h;
      },
      get onerror() {
        return inner.onerror;
      },
      set onerror(h) {
        inner.onerror = h;
      },
      onmessage: null,
      send(data: string | Uint8Array) {
        const message = JSON.parse(String(data)) as { type: string; rid?: number };
        if (message.type === 'publish' && message.rid !== undefined) {
          publishRids.add(message.rid);
          stats.sent++;
          stats.maxOutstanding = Math.max(stats.maxOutstanding, publishRids.size);
        }
        inner.send(data);
      },
      close(code?: number, reason?: string) {
        inner.close(code, reason);
      },
    };
    inner.onmessage = (event) => {
      const message = JSON.parse(String(event.data)) as { re?: number };
      if (message.re !== undefined && publishRids.delete(message.re)) stats.answered++;
      outer.onmessage?.(event);
    };
    return outer;
  };
  return { factory, stats };
}

test('a backlog of 500 queued offline goes out at most maxInFlight at a time, all acknowledged, in order', async (t) => {
  const server = await startFaultHub(t);
  const { factory, stats } = countingTransport();
  const publisher = new Client({
    url: `ws://127.0.0.1:${server.port}/ws`,
    transport: factory,
    token: await tokenFor('pub'),
    maxInFlight: 8,
    outbox: { maxMessages: 1000 },
  });
  const reader = new Client({
    url: `ws://127.0.0.1:${server.port}/ws`,
    transport: engineTransport,
    token: await tokenFor('sub'),
  });
  t.after(() => {
    publisher.close();
    reader.close();
  });
  const acks = Array.from({ length: 500 }, (_, i) => publisher.publish('chat:window', { i }));
  assert.equal(publisher.outbox.length, 500, 'queued while not yet connected');
  await reader.connect();
  const received: number[] = [];
  const sub = reader.subscription('chat:window');
  sub.on('publication', (p) => received.push((p.data as { i: number }).i));
  await sub.subscribe();
  await publisher.connect();
  const replies = await Promise.all(acks);
  assert.deepEqual(
    replies.map((r) => r.offset),
    Array.from({ length: 500 }, (_, i) => i + 1),
    'stored in order',
  );
  assert.equal(stats.maxOutstanding, 8, 'the window was filled and never exceeded');
  assert.equal(stats.sent, 500, 'nothing sent twice');
  for (let waited = 0; received.length < 500 && waited < 5000; waited += 20)
    await new Promise((r) => setTimeout(r, 20));
  assert.deepEqual(
    received,
    Array.from({ length: 500 }, (_, i) => i),
  );
});

test('maxInFlight must be a positive integer', () => {
  for (const bad of [0, -1, 1.5, Number.NaN]) {
    assert.throws(
      () => new Client({ url: 'ws://127.0.0.1:1/ws', transport: engineTransport, maxInFlight: bad }),
      RangeError,
      String(bad),
    );
  }
});
