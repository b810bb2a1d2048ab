// GET /sse under limits and endings: connection caps shared with /ws, the per-address rate, slow readers, drain, expiry.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import WebSocket from 'ws';
import { createNamespaces } from '../../src/realtime/index.ts';
import { SseReader } from '../helpers/sse.ts';
import { startSse } from '../helpers/sse-server.ts';

async function open(url: string, headers: Record<string, string> = {}): Promise<SseReader> {
  const reader = await SseReader.open(url, headers);
  if (!(reader instanceof SseReader))
    throw new Error(`Expected a stream, got ${reader.status} ${JSON.stringify(reader.body)}`);
  return reader;
}

async function eventually(check: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

test('a thousand idle streams from one address: the per-address cap admits its count, refuses the rest with 503 too_many_connections (as /ws does), frees slots on close', async (t) => {
  const { base, hub } = await startSse(t, {
    realtime: { engine: { maxConnectionsPerIp: 20 }, connectionsPerMinutePerIp: 100_000 },
  });
  const opened: SseReader[] = [];
  t.after(() => {
    for (const r of opened) r.close();
  });
  const statuses = new Map<number, number>();
  const errors = new Set<unknown>();
  for (let batch = 0; batch < 10; batch++) {
    const answers = await Promise.all(
      Array.from({ length: 100 }, () => SseReader.open(`${base}/sse?channel=ticker:idle`)),
    );
    for (const answer of answers) {
      statuses.set(answer.status, (statuses.get(answer.status) ?? 0) + 1);
      if (answer instanceof SseReader) opened.push(answer);
      else errors.add(answer.body['error']);
    }
  }
  assert.deepEqual(Object.fromEntries(statuses), { 200: 20, 503: 980 });
  assert.deepEqual([...errors], ['too_many_connections']);
  assert.equal(hub.connectionCount, 20);
  // A WebSocket upgrade from the same address shares the budget: the 21st connection of any kind is refused.
  const ws = new WebSocket(`${base.replace('http', 'ws')}/ws`, 'switchboard.v1.json');
  const upgrade = await new Promise<number>((resolve) => {
    ws.on('open', () => resolve(101));
    ws.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
    ws.on('error', () => resolve(0));
  });
  ws.terminate();
  assert.equal(upgrade, 503);
  for (const r of opened.splice(0, 5)) r.close();
  await eventually(() => hub.connectionCount === 15, 'the closed streams to end their sessions');
  const again = await open(`${base}/sse?channel=ticker:idle`);
  opened.push(again);
  assert.equal(again.status, 200);
});

test('the global connection cap refuses with 503, the per-address connection rate with 429', async (t) => {
  const capped = await startSse(t, { realtime: { engine: { maxConnections: 2 } } });
  const a = await open(`${capped.base}/sse?channel=ticker:a`);
  const b = await open(`${capped.base}/sse?channel=ticker:a`);
  t.after(() => {
    a.close();
    b.close();
  });
  const full = await SseReader.open(`${capped.base}/sse?channel=ticker:a`);
  assert.equal(full.status, 503);
  assert.ok(!(full instanceof SseReader) && full.body['error'] === 'unavailable');

  const rated = await startSse(t, { realtime: { connectionsPerMinutePerIp: 2 } });
  const c = await open(`${rated.base}/sse?channel=ticker:a`);
  const d = await open(`${rated.base}/sse?channel=ticker:a`);
  t.after(() => {
    c.close();
    d.close();
  });
  const fast = await SseReader.open(`${rated.base}/sse?channel=ticker:a`);
  assert.equal(fast.status, 429);
  assert.ok(!(fast instanceof SseReader) && fast.body['error'] === 'rate_limited');
  assert.match(fast.headers.get('retry-after') ?? '', /^\d+$/);
});

test('a reader that stops reading is cut at the slow-consumer bound; it resumes with its Last-Event-ID and misses nothing', async (t) => {
  const { base, hub } = await startSse(t, {
    realtime: {
      slowConsumerBytes: 64 * 1024,
      namespaces: createNamespaces({
        big: { historySize: 3000, recoverOnJoin: 0, presence: false },
      }),
    },
  });
  const reader = await open(`${base}/sse?channel=big:stream`);
  t.after(() => reader.close());
  await reader.until((events) => events.some((e) => e.event === 'subscribed'));
  reader.pause();
  const payload = 'x'.repeat(16 * 1024);
  let published = 0;
  while (hub.connectionCount > 0 && published < 3000) {
    await hub.publish('big:stream', { i: published + 1, payload });
    published++;
    if (published % 50 === 0) await new Promise((r) => setImmediate(r));
  }
  assert.equal(hub.connectionCount, 0, `the stream was not cut after ${published} publications`);
  reader.resume();
  await reader.closed();
  const before = reader.publications().map((p) => p['offset'] as number);
  for (let i = 0; i < 5; i++) {
    await hub.publish('big:stream', { i: published + 1, payload: '' });
    published++;
  }
  const resumed = await open(`${base}/sse?channel=big:stream`, { 'Last-Event-ID': reader.lastEventId });
  t.after(() => resumed.close());
  await resumed.until(() => resumed.publications().length === published - before.length, 20_000);
  const after = resumed.publications().map((p) => p['offset'] as number);
  assert.equal(
    JSON.parse(resumed.events.find((e) => e.event === 'subscribed')!.data)['recovered'],
    true,
    'the gap is within the history',
  );
  assert.deepEqual(
    [...before, ...after],
    Array.from({ length: published }, (_, i) => i + 1),
    'every offset once, in order',
  );
});

test('keepalive comments flow; a drain ends every stream with an error event (code, reason, reconnect) then the end', async (t) => {
  const { base, server } = await startSse(t, { sse: { keepaliveMs: 50, retryMs: 300 } });
  const reader = await open(`${base}/sse?channel=ticker:a`);
  t.after(() => reader.close());
  assert.equal(reader.status, 200);
  await reader.until((events) => events.some((e) => e.event === 'subscribed'));
  await eventually(() => reader.comments.includes('keepalive'), 'a keepalive comment');
  assert.equal(reader.retryMs, 300);
  await server.close({ timeoutMs: 1000 });
  await reader.closed();
  const error = reader.events.find((e) => e.event === 'error');
  assert.ok(error !== undefined, 'an error event before the end');
  assert.deepEqual(JSON.parse(error.data), { code: 1001, message: 'shutdown', reconnect: true });
});

test('an expiring token and a revoked user end the stream with an error event that says not to come back as is', async (t) => {
  const { base, token, hub } = await startSse(t);
  const short = await open(`${base}/sse?channel=ticker:a&token=${await token('alice', { ttlMs: 1500 })}`);
  t.after(() => short.close());
  const long = await open(`${base}/sse?channel=ticker:a&token=${await token('bob')}`);
  t.after(() => long.close());
  await long.until((events) => events.some((e) => e.event === 'subscribed'));
  await hub.revokeUser('bob');
  await long.closed();
  assert.deepEqual(JSON.parse(long.events.find((e) => e.event === 'error')!.data), {
    code: 4504,
    message: 'forbidden',
    reconnect: false,
  });
  await short.closed(5000);
  const expired = JSON.parse(short.events.find((e) => e.event === 'error')!.data) as Record<string, unknown>;
  assert.equal(expired['code'], 4003);
});
