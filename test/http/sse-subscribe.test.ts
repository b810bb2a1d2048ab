// GET /sse (docs/protocol.md § 15.4): plain EventSource subscriptions, event ids, Last-Event-ID resume and recovery.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SseReader } from '../helpers/sse.ts';
import { startSse } from '../helpers/sse-server.ts';

async function open(url: string, headers: Record<string, string> = {}): Promise<SseReader> {
  const reader = await SseReader.open(url, headers);
  if (!(reader instanceof SseReader))
    throw new Error(`Expected a stream, got ${reader.status} ${JSON.stringify(reader.body)}`);
  return reader;
}

function offsets(reader: SseReader, channel?: string): number[] {
  return reader
    .publications()
    .filter((p) => channel === undefined || p['channel'] === channel)
    .map((p) => p['offset'] as number);
}

function subscribedEvents(reader: SseReader): Array<Record<string, unknown>> {
  return reader.events
    .filter((e) => e.event === 'subscribed')
    .map((e) => JSON.parse(e.data) as Record<string, unknown>);
}

test('a plain GET /sse streams publications as events whose id is epoch:offset, after retry and a subscribed event', async (t) => {
  const { base, hub } = await startSse(t);
  const reader = await open(`${base}/sse?channel=ticker:AAPL`);
  t.after(() => reader.close());
  assert.equal(reader.status, 200);
  assert.match(reader.headers.get('content-type') ?? '', /^text\/event-stream/);
  assert.equal(reader.headers.get('cache-control'), 'no-store');
  assert.equal(reader.headers.get('x-accel-buffering'), 'no');
  // The body ends with the connection: no chunked framing around each event.
  assert.equal(reader.headers.get('transfer-encoding'), null);
  assert.equal(reader.headers.get('connection'), 'close');
  await reader.until((events) => events.some((e) => e.event === 'subscribed'));
  const [subscribed] = subscribedEvents(reader);
  assert.equal(subscribed?.['channel'], 'ticker:AAPL');
  assert.equal(subscribed?.['recovered'], false);
  assert.equal(reader.retryMs, 2000);
  const first = await hub.publish('ticker:AAPL', { price: 1 });
  await hub.publish('ticker:AAPL', { price: 2 });
  await reader.until((events) => events.filter((e) => e.event === 'message').length === 2);
  const messages = reader.events.filter((e) => e.event === 'message');
  assert.deepEqual(
    messages.map((e) => e.lastEventId),
    [`${first.epoch}:1`, `${first.epoch}:2`],
  );
  const pub = JSON.parse(messages[0]!.data) as Record<string, unknown>;
  assert.equal(pub['type'], undefined, 'the data is the publication object, without the message type');
  assert.deepEqual(
    { channel: pub['channel'], epoch: pub['epoch'], offset: pub['offset'], data: pub['data'] },
    { channel: 'ticker:AAPL', epoch: first.epoch, offset: 1, data: { price: 1 } },
  );
});

test('Last-Event-ID resumes: exactly the missed publications, recovered: true, then live ones', async (t) => {
  const { base, hub } = await startSse(t);
  const first = await open(`${base}/sse?channel=ticker:AAPL`);
  await first.until((events) => events.some((e) => e.event === 'subscribed'));
  for (let i = 1; i <= 3; i++) await hub.publish('ticker:AAPL', { i });
  await first.until(() => offsets(first).length === 3);
  first.close();
  const lastId = first.lastEventId;
  for (let i = 4; i <= 6; i++) await hub.publish('ticker:AAPL', { i });
  const second = await open(`${base}/sse?channel=ticker:AAPL`, { 'Last-Event-ID': lastId });
  t.after(() => second.close());
  await second.until(() => offsets(second).length === 3);
  assert.equal(subscribedEvents(second)[0]?.['recovered'], true);
  await hub.publish('ticker:AAPL', { i: 7 });
  await second.until(() => offsets(second).length === 4);
  assert.deepEqual(offsets(second), [4, 5, 6, 7]);
});

test('the lastEventId query parameter resumes as the header does, and the header wins over it', async (t) => {
  const { base, hub } = await startSse(t);
  const p1 = await hub.publish('ticker:X', 1);
  await hub.publish('ticker:X', 2);
  await hub.publish('ticker:X', 3);
  const byQuery = await open(`${base}/sse?channel=ticker:X&lastEventId=${encodeURIComponent(`${p1.epoch}:1`)}`);
  t.after(() => byQuery.close());
  await byQuery.until(() => offsets(byQuery).length === 2);
  assert.deepEqual(offsets(byQuery), [2, 3]);
  const both = await open(`${base}/sse?channel=ticker:X&lastEventId=${encodeURIComponent(`${p1.epoch}:0`)}`, {
    'Last-Event-ID': `${p1.epoch}:2`,
  });
  t.after(() => both.close());
  await both.until(() => offsets(both).length === 1);
  assert.deepEqual(offsets(both), [3]);
});

test('several channels: the id lists each position in the order of the channel parameters, and resumes each', async (t) => {
  const { base, hub } = await startSse(t);
  const a = await hub.publish('ticker:A', 'a1');
  const reader = await open(`${base}/sse?channel=ticker:A&channel=ticker:B`);
  await reader.until((events) => events.filter((e) => e.event === 'subscribed').length === 2);
  const b = await hub.publish('ticker:B', 'b1');
  await reader.until(() => offsets(reader).length === 1);
  assert.equal(reader.lastEventId, `${a.epoch}:1,${b.epoch}:1`);
  await hub.publish('ticker:A', 'a2');
  await reader.until(() => offsets(reader).length === 2);
  assert.equal(reader.lastEventId, `${a.epoch}:2,${b.epoch}:1`);
  reader.close();
  await hub.publish('ticker:B', 'b2');
  await hub.publish('ticker:A', 'a3');
  const resumed = await open(`${base}/sse?channel=ticker:A&channel=ticker:B`, { 'Last-Event-ID': reader.lastEventId });
  t.after(() => resumed.close());
  await resumed.until(() => offsets(resumed).length === 2);
  assert.deepEqual(
    resumed
      .publications()
      .map((p) => p['data'])
      .sort(),
    ['a3', 'b2'],
  );
  assert.deepEqual(
    subscribedEvents(resumed).map((s) => s['recovered']),
    [true, true],
  );
  assert.equal(resumed.lastEventId, `${a.epoch}:3,${b.epoch}:2`);
});

test('recovered: false when the history no longer covers the gap, or the epoch is not the channel’s', async (t) => {
  const { base, hub } = await startSse(t);
  const p = await hub.publish('small:x', 0);
  for (let i = 1; i < 10; i++) await hub.publish('small:x', i);
  const gap = await open(`${base}/sse?channel=small:x`, { 'Last-Event-ID': `${p.epoch}:1` });
  t.after(() => gap.close());
  await gap.until((events) => events.some((e) => e.event === 'subscribed'));
  assert.equal(subscribedEvents(gap)[0]?.['recovered'], false);
  assert.equal(subscribedEvents(gap)[0]?.['offset'], 10);
  assert.equal(gap.lastEventId, `${p.epoch}:10`, 'the stream continues from the top');
  // A forged position beyond the top of the stream: not recovered, and nothing is replayed.
  const forged = await open(`${base}/sse?channel=small:x`, { 'Last-Event-ID': `${p.epoch}:999` });
  t.after(() => forged.close());
  await forged.until((events) => events.some((e) => e.event === 'subscribed'));
  assert.equal(subscribedEvents(forged)[0]?.['recovered'], false);
  assert.equal(forged.lastEventId, `${p.epoch}:10`);
  assert.deepEqual(offsets(forged), []);
  const epoch = await open(`${base}/sse?channel=small:x`, { 'Last-Event-ID': 'another-epoch:9' });
  t.after(() => epoch.close());
  await epoch.until((events) => events.some((e) => e.event === 'subscribed'));
  assert.equal(subscribedEvents(epoch)[0]?.['recovered'], false);
  assert.deepEqual(offsets(epoch), []);
});

test('bad channels and bad Last-Event-IDs are refused with 400 and a JSON body before any stream', async (t) => {
  const { base, hub } = await startSse(t);
  const cases: Array<[string, Record<string, string>, string]> = [
    ['/sse', {}, 'invalid_message'],
    ['/sse?channel=', {}, 'invalid_message'],
    ['/sse?channel=nonamespace', {}, 'invalid_message'],
    ['/sse?channel=ticker:a%20b', {}, 'invalid_message'],
    ['/sse?channel=ticker:a&channel=ticker:a', {}, 'invalid_message'],
    [`/sse?${Array.from({ length: 17 }, (_, i) => `channel=ticker:c${i}`).join('&')}`, {}, 'invalid_message'],
    ['/sse?channel=ticker:a', { 'Last-Event-ID': 'garbage' }, 'bad_request'],
    ['/sse?channel=ticker:a', { 'Last-Event-ID': 'e:-1' }, 'bad_request'],
    ['/sse?channel=ticker:a', { 'Last-Event-ID': 'e:01' }, 'bad_request'],
    ['/sse?channel=ticker:a', { 'Last-Event-ID': 'e:1.5' }, 'bad_request'],
    ['/sse?channel=ticker:a', { 'Last-Event-ID': ':5' }, 'bad_request'],
    ['/sse?channel=ticker:a', { 'Last-Event-ID': 'e:99999999999999999' }, 'bad_request'],
    ['/sse?channel=ticker:a', { 'Last-Event-ID': 'e:1,e:2' }, 'bad_request'],
    ['/sse?channel=ticker:a&channel=ticker:b', { 'Last-Event-ID': 'e:1' }, 'bad_request'],
    ['/sse?channel=ticker:a', { 'Last-Event-ID': `${'x'.repeat(65)}:1` }, 'bad_request'],
    ['/sse?channel=ticker:a', { 'Last-Event-ID': `${'x'.repeat(5000)}` }, 'bad_request'],
    ['/sse?channel=ticker:a&lastEventId=nope', {}, 'bad_request'],
  ];
  for (const [path, headers, error] of cases) {
    const answer = await SseReader.open(`${base}${path}`, headers);
    assert.ok(!(answer instanceof SseReader), `${path} ${JSON.stringify(headers)} opened a stream`);
    assert.equal(answer.status, 400, `${path} ${JSON.stringify(headers)}`);
    assert.equal(answer.body['error'], error, `${path} ${JSON.stringify(headers)}`);
    assert.equal(typeof answer.body['message'], 'string');
  }
  // 16 channels is the most, and fine.
  const most = await open(`${base}/sse?${Array.from({ length: 16 }, (_, i) => `channel=ticker:c${i}`).join('&')}`);
  t.after(() => most.close());
  await most.until((events) => events.filter((e) => e.event === 'subscribed').length === 16);
  assert.equal(hub.connectionCount, 1);
  const post = await fetch(`${base}/sse?channel=ticker:a`, { method: 'POST' });
  assert.equal(post.status, 405);
});

test('anonymous where the namespace allows it; 401 without a token, 401 for an expired one, 403 forbidden, 404 unknown', async (t) => {
  const { base, token } = await startSse(t);
  const refused = async (path: string, headers: Record<string, string> = {}) => {
    const answer = await SseReader.open(`${base}${path}`, headers);
    if (answer instanceof SseReader) {
      answer.close();
      throw new Error(`${path} opened a stream`);
    }
    return answer;
  };
  const anonymous = await open(`${base}/sse?channel=ticker:a`);
  anonymous.close();
  const noToken = await refused('/sse?channel=members:a');
  assert.equal(noToken.status, 401);
  assert.equal(noToken.body['error'], 'unauthorized');
  const alice = await token('alice');
  const member = await open(`${base}/sse?channel=members:a&token=${alice}`);
  member.close();
  const byHeader = await open(`${base}/sse?channel=members:a`, { Authorization: `Bearer ${alice}` });
  byHeader.close();
  const expired = await token('bob', { ttlMs: 60_000, now: () => Date.now() - 3_600_000 });
  const late = await refused(`/sse?channel=ticker:a&token=${expired}`);
  assert.equal(late.status, 401);
  const garbage = await refused('/sse?channel=ticker:a&token=not.a.jwt');
  assert.equal(garbage.status, 401);
  const forbidden = await refused(`/sse?channel=staff:a&token=${alice}`);
  assert.equal(forbidden.status, 403);
  assert.equal(forbidden.body['error'], 'forbidden');
  const staff = await open(`${base}/sse?channel=staff:a&token=${await token('carol', { roles: ['staff'] })}`);
  staff.close();
  const unknown = await refused('/sse?channel=nowhere:a');
  assert.equal(unknown.status, 404);
  assert.equal(unknown.body['error'], 'not_found');
  // One refused channel refuses the whole stream: it follows all its channels or none.
  const mixed = await refused(`/sse?channel=ticker:a&channel=staff:a&token=${alice}`);
  assert.equal(mixed.status, 403);
  const badOrigin = await refused('/sse?channel=ticker:a', { Origin: 'https://evil.example' });
  assert.equal(badOrigin.status, 403);
});

test('a banned user and a denied address are refused with 403 before any stream', async (t) => {
  const { base, hub, token } = await startSse(t);
  await hub.moderation.ban('mallory', 60_000, 'spam');
  const banned = await SseReader.open(`${base}/sse?channel=ticker:a&token=${await token('mallory')}`);
  assert.ok(!(banned instanceof SseReader));
  assert.deepEqual([banned.status, banned.body['error']], [403, 'forbidden']);
  const denied = await startSse(t, { realtime: { denyAddresses: ['127.0.0.0/8'] } });
  const fromDenied = await SseReader.open(`${denied.base}/sse?channel=ticker:a`);
  assert.ok(!(fromDenied instanceof SseReader));
  assert.equal(fromDenied.status, 403);
});
