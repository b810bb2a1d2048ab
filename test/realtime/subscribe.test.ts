// Recovery over real connections: since {epoch, offset} gives exactly the missed publications, then live, no gap, no duplicate.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openClient, startHub } from '../helpers/realtime.ts';

test('a subscriber that missed 100 publications recovers exactly those 100, in order, with recovered true', async (t) => {
  // 102 publishes from one connection exceed the default burst of 100 messages on a fast run: lift the limit.
  const hub = await startHub(t, { rateLimit: { messagesPerSecond: 10_000, messagesBurst: 10_000 } });
  const pub = await openClient(t, hub, 'alice');
  const sub = await openClient(t, hub, 'bob');
  const first = await sub.request({ type: 'subscribe', channel: 'chat:rec' });
  await pub.request({ type: 'publish', channel: 'chat:rec', data: 'before', id: 'b0' });
  const seen = await sub.next((m) => m.type === 'publication');
  const position = { epoch: seen['epoch'], offset: seen['offset'] };
  assert.equal(position.epoch, first['epoch']);
  sub.close();
  await sub.closed;
  for (let i = 1; i <= 100; i++) await pub.request({ type: 'publish', channel: 'chat:rec', data: i, id: `m${i}` });
  const again = await openClient(t, hub, 'bob');
  const answer = await again.request({ type: 'subscribe', channel: 'chat:rec', since: position });
  assert.equal(answer.type, 'subscribed');
  assert.equal(answer['recovered'], true);
  const pubs = answer['publications'] as { data: number; offset: number }[];
  assert.deepEqual(
    pubs.map((p) => p.data),
    Array.from({ length: 100 }, (_, i) => i + 1),
  );
  assert.deepEqual(
    pubs.map((p) => p.offset),
    Array.from({ length: 100 }, (_, i) => i + 2),
  );
  assert.equal(answer['offset'], 101);
  await pub.request({ type: 'publish', channel: 'chat:rec', data: 'live', id: 'live' });
  const live = await again.next((m) => m.type === 'publication');
  assert.equal(live['offset'], 102, 'live continues right after the recovered part');
});

test('when history no longer covers the gap the subscriber gets recovered false and no publications', async (t) => {
  const hub = await startHub(t);
  const pub = await openClient(t, hub, 'alice');
  const first = await pub.request({ type: 'publish', channel: 'small:gap', data: 0, id: 'g0' });
  const position = { epoch: (first['data'] as Record<string, unknown>)['epoch'], offset: 1 };
  for (let i = 1; i <= 20; i++) await pub.request({ type: 'publish', channel: 'small:gap', data: i, id: `g${i}` });
  const sub = await openClient(t, hub, 'bob');
  const answer = await sub.request({ type: 'subscribe', channel: 'small:gap', since: position });
  assert.equal(answer['recovered'], false);
  assert.deepEqual(answer['publications'], []);
  assert.equal(answer['offset'], 21);
});

test('bogus recovery positions give recovered false and never data (docs/security-cases.md AP-12)', async (t) => {
  const hub = await startHub(t);
  const pub = await openClient(t, hub, 'alice');
  const ack = await pub.request({ type: 'publish', channel: 'chat:bogus', data: 1, id: 'x' });
  const epoch = (ack['data'] as Record<string, unknown>)['epoch'];
  const cases = [
    { epoch: 'wrong', offset: 0 },
    { epoch, offset: 10 },
  ];
  for (const since of cases) {
    const sub = await openClient(t, hub, 'bob');
    const answer = await sub.request({ type: 'subscribe', channel: 'chat:bogus', since });
    assert.equal(answer['recovered'], false, JSON.stringify(since));
    assert.deepEqual(answer['publications'], []);
    sub.close();
  }
  const sub = await openClient(t, hub, 'bob');
  const negative = await sub.request({ type: 'subscribe', channel: 'chat:bogus', since: { epoch, offset: -1 } });
  assert.equal(negative['code'], 'invalid_message');
  const stringy = await sub.request({ type: 'subscribe', channel: 'chat:bogus', since: { epoch, offset: '1' } });
  assert.equal(stringy['code'], 'invalid_message');
});

test('publications racing with a recovering subscribe arrive once each, contiguous, in order', async (t) => {
  const hub = await startHub(t, { rateLimit: { messagesPerSecond: 10_000, messagesBurst: 10_000 } });
  const pub = await openClient(t, hub, 'alice');
  const ack = await pub.request({ type: 'publish', channel: 'chat:race', data: 0, id: 'r0' });
  const epoch = (ack['data'] as Record<string, unknown>)['epoch'];
  const total = 300;
  // Fire publishes without waiting, and subscribe in the middle of the stream.
  for (let i = 1; i <= total; i++) {
    pub.send({ type: 'publish', channel: 'chat:race', data: i, id: `r${i}` });
    if (i === 100) break;
  }
  const sub = await openClient(t, hub, 'bob');
  const rid = sub.rid();
  sub.send({ type: 'subscribe', rid, channel: 'chat:race', since: { epoch, offset: 1 } });
  for (let i = 101; i <= total; i++) pub.send({ type: 'publish', channel: 'chat:race', data: i, id: `r${i}` });
  const answer = await sub.answer(rid);
  assert.equal(answer['recovered'], true);
  const offsets = (answer['publications'] as { offset: number }[]).map((p) => p.offset);
  const deadline = Date.now() + 5000;
  while (Date.now() < deadline) {
    const live = sub.received.filter((m) => m.type === 'publication').map((m) => m['offset'] as number);
    if (offsets.length + live.length >= total) break;
    await new Promise((r) => setTimeout(r, 20));
  }
  const live = sub.received.filter((m) => m.type === 'publication').map((m) => m['offset'] as number);
  assert.deepEqual(
    [...offsets, ...live],
    Array.from({ length: total }, (_, i) => i + 2),
  );
});

test('a resubscribe after unsubscribe on the same connection recovers from the given position', async (t) => {
  const hub = await startHub(t);
  const a = await openClient(t, hub, 'alice');
  // A retained publication keeps the channel (and its epoch) alive while nobody is subscribed.
  await a.request({ type: 'publish', channel: 'chat:re', data: 0, id: 'q0' });
  const s = await a.request({ type: 'subscribe', channel: 'chat:re' });
  await a.request({ type: 'unsubscribe', channel: 'chat:re' });
  for (let i = 1; i <= 3; i++) await a.request({ type: 'publish', channel: 'chat:re', data: i, id: `q${i}` });
  const again = await a.request({
    type: 'subscribe',
    channel: 'chat:re',
    since: { epoch: s['epoch'], offset: s['offset'] },
  });
  assert.deepEqual(
    (again['publications'] as { data: number }[]).map((p) => p.data),
    [1, 2, 3],
  );
  assert.equal(again['recovered'], true);
});
