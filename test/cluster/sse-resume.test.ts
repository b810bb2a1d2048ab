// GET /sse on two nodes sharing a real Redis: a stream cut on one node resumes on the other from Last-Event-ID (no
// stickiness needed: positions are the channel's, not the node's), and the HTTP reads agree on every node.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RedisBroker } from '../../src/broker/index.ts';
import { startRedis } from '../helpers/redis-server.ts';
import { SseReader } from '../helpers/sse.ts';
import { startSse } from '../helpers/sse-server.ts';

async function open(url: string, headers: Record<string, string> = {}): Promise<SseReader> {
  const reader = await SseReader.open(url, headers);
  if (!(reader instanceof SseReader))
    throw new Error(`Expected a stream, got ${reader.status} ${JSON.stringify(reader.body)}`);
  return reader;
}

test('two nodes on Redis: a stream from node A resumes on node B with Last-Event-ID, nothing missed or repeated', async (t) => {
  const redis = await startRedis(t);
  const brokers = [new RedisBroker({ url: redis.url }), new RedisBroker({ url: redis.url })];
  // Both nodes start once their brokers reach Redis.
  const deadline = Date.now() + 10_000;
  while (brokers.some((broker) => broker.stats().status !== 'up')) {
    assert.ok(Date.now() < deadline, 'the brokers reach Redis');
    await new Promise((r) => setTimeout(r, 20));
  }
  const a = await startSse(t, { realtime: { broker: brokers[0]! } });
  const b = await startSse(t, { realtime: { broker: brokers[1]! } });
  const first = await open(`${a.base}/sse?channel=ticker:cross&channel=small:cross`);
  await first.until((events) => events.filter((e) => e.event === 'subscribed').length === 2);
  for (let i = 1; i <= 3; i++) await b.hub.publish('ticker:cross', { i });
  await b.hub.publish('small:cross', 'one');
  await first.until(() => first.publications().length === 4);
  first.close();
  for (let i = 4; i <= 6; i++) await b.hub.publish('ticker:cross', { i });
  await a.hub.publish('small:cross', 'two');
  const second = await open(`${b.base}/sse?channel=ticker:cross&channel=small:cross`, {
    'Last-Event-ID': first.lastEventId,
  });
  t.after(() => second.close());
  await second.until(() => second.publications().length === 4);
  assert.deepEqual(
    second.publications().map((p) => [p['channel'], p['offset']]),
    [
      ['ticker:cross', 4],
      ['ticker:cross', 5],
      ['ticker:cross', 6],
      ['small:cross', 2],
    ],
  );
  assert.deepEqual(
    second.events.filter((e) => e.event === 'subscribed').map((e) => JSON.parse(e.data)['recovered']),
    [true, true],
  );
  const fromA = await fetch(`${a.base}/api/history?channel=ticker:cross&limit=2`);
  const fromB = await fetch(`${b.base}/api/history?channel=ticker:cross&limit=2`);
  assert.deepEqual(await fromA.json(), await fromB.json());
});
