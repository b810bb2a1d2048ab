// End-to-end over real WebSocket connections: connect, subscribe, publish, send, presence, typing, history, stats, drain.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openClient, openRaw, startHub } from '../helpers/realtime.ts';

test('connect answers connected with a 128-bit client id, the user and the token expiry', async (t) => {
  const hub = await startHub(t);
  const client = await openRaw(t, hub.url);
  const token = await hub.token('alice');
  const answer = await client.request({ type: 'connect', token, name: 'test/1' });
  assert.equal(answer.type, 'connected');
  assert.equal(answer['user'], 'alice');
  assert.match(String(answer['client']), /^[0-9a-f]{32}$/);
  assert.equal(typeof answer['expires'], 'number');
});

test('a publication reaches every subscriber, JSON and MessagePack alike, and the publisher gets its ack', async (t) => {
  const hub = await startHub(t);
  const a = await openClient(t, hub, 'alice');
  const b = await openClient(t, hub, 'bob', { protocols: ['switchboard.v1.msgpack'] });
  assert.equal(b.binary, true);
  for (const c of [a, b])
    assert.equal((await c.request({ type: 'subscribe', channel: 'chat:room' })).type, 'subscribed');
  const ack = await a.request({ type: 'publish', channel: 'chat:room', data: { text: 'hi' }, id: 'm1' });
  assert.equal(ack.type, 'reply');
  const data = ack['data'] as Record<string, unknown>;
  assert.equal(data['offset'], 1);
  assert.equal(data['duplicate'], false);
  for (const c of [a, b]) {
    const p = await c.next((m) => m.type === 'publication');
    assert.deepEqual(p['data'], { text: 'hi' });
    assert.equal(p['sender'], 'alice');
    assert.equal(p['id'], 'm1');
    assert.equal(p['offset'], 1);
    assert.equal(p['channel'], 'chat:room');
  }
});

test('the same client message id published twice is delivered once and both acks carry the same offset', async (t) => {
  const hub = await startHub(t);
  const pub = await openClient(t, hub, 'alice');
  const sub = await openClient(t, hub, 'bob');
  await sub.request({ type: 'subscribe', channel: 'chat:dedup' });
  const first = await pub.request({ type: 'publish', channel: 'chat:dedup', data: 1, id: 'same' });
  const second = await pub.request({ type: 'publish', channel: 'chat:dedup', data: 1, id: 'same' });
  assert.deepEqual(
    (second['data'] as Record<string, unknown>)['offset'],
    (first['data'] as Record<string, unknown>)['offset'],
  );
  assert.equal((second['data'] as Record<string, unknown>)['duplicate'], true);
  await pub.request({ type: 'publish', channel: 'chat:dedup', data: 2, id: 'other' });
  await sub.next((m) => m.type === 'publication' && m['data'] === 2);
  assert.deepEqual(
    sub.received.filter((m) => m.type === 'publication').map((m) => m['data']),
    [1],
    'the duplicate was never delivered',
  );
});

test('subscribe sends the last N publications on join (recoverOnJoin) with recovered false', async (t) => {
  const hub = await startHub(t);
  const pub = await openClient(t, hub, 'alice');
  for (let i = 1; i <= 25; i++) await pub.request({ type: 'publish', channel: 'chat:hist', data: i, id: `h${i}` });
  const late = await openClient(t, hub, 'bob');
  const sub = await late.request({ type: 'subscribe', channel: 'chat:hist' });
  assert.equal(sub['recovered'], false);
  assert.equal(sub['offset'], 25);
  const pubs = sub['publications'] as { data: number }[];
  assert.deepEqual(
    pubs.map((p) => p.data),
    Array.from({ length: 20 }, (_, i) => i + 6),
  );
});

test('unsubscribe stops delivery and succeeds for a channel never subscribed', async (t) => {
  const hub = await startHub(t);
  const a = await openClient(t, hub, 'alice');
  await a.request({ type: 'subscribe', channel: 'chat:u' });
  assert.equal((await a.request({ type: 'unsubscribe', channel: 'chat:u' })).type, 'unsubscribed');
  assert.equal((await a.request({ type: 'unsubscribe', channel: 'chat:never' })).type, 'unsubscribed');
  await a.request({ type: 'publish', channel: 'chat:u', data: 'x', id: 'u1' });
  await a.request({ type: 'ping' });
  assert.equal(a.received.filter((m) => m.type === 'publication').length, 0);
});

test('send reaches every connection of the user subscribed to its personal channel, with the sender', async (t) => {
  const hub = await startHub(t);
  const alice = await openClient(t, hub, 'alice');
  const bob1 = await openClient(t, hub, 'bob');
  const bob2 = await openClient(t, hub, 'bob');
  for (const b of [bob1, bob2])
    assert.equal((await b.request({ type: 'subscribe', channel: 'user:bob' })).type, 'subscribed');
  const ack = await alice.request({ type: 'send', user: 'bob', data: { text: 'psst' }, id: 'pm1' });
  assert.equal(ack.type, 'reply');
  for (const b of [bob1, bob2]) {
    const p = await b.next((m) => m.type === 'publication');
    assert.equal(p['channel'], 'user:bob');
    assert.equal(p['sender'], 'alice');
    assert.deepEqual(p['data'], { text: 'psst' });
  }
  const forbidden = await alice.request({ type: 'subscribe', channel: 'user:bob' });
  assert.equal(forbidden['code'], 'forbidden');
  const nobody = await alice.request({ type: 'send', user: 'bad user', data: 1 });
  assert.equal(nobody['code'], 'not_found');
});

test('presence with two connections of one user: one join, a count of 2, and one leave after both left', async (t) => {
  const hub = await startHub(t);
  const watcher = await openClient(t, hub, 'watcher');
  await watcher.request({ type: 'subscribe', channel: 'chat:p', presence: true });
  await watcher.next((m) => m.type === 'join' && m['user'] === 'watcher').catch(() => undefined);
  const carol1 = await openClient(t, hub, 'carol', { info: { name: 'Carol' } });
  const carol2 = await openClient(t, hub, 'carol', { info: { name: 'Carol' } });
  const s1 = await carol1.request({ type: 'subscribe', channel: 'chat:p', presence: true });
  assert.ok((s1['presence'] as { user: string }[]).some((u) => u.user === 'watcher'));
  await carol2.request({ type: 'subscribe', channel: 'chat:p' });
  const join = await watcher.next((m) => m.type === 'join' && m['user'] === 'carol');
  assert.deepEqual(join['info'], { name: 'Carol' });
  const list = await watcher.request({ type: 'presence', channel: 'chat:p' });
  const users = (list['data'] as { users: { user: string; connections: number }[] }).users;
  assert.equal(users.find((u) => u.user === 'carol')?.connections, 2);
  carol1.close();
  await carol1.closed;
  await watcher.request({ type: 'ping' });
  assert.equal(watcher.received.filter((m) => m.type === 'leave').length, 0, 'no leave while one connection remains');
  assert.equal(watcher.received.filter((m) => m.type === 'join' && m['user'] === 'carol').length, 0, 'one join only');
  await carol2.request({ type: 'unsubscribe', channel: 'chat:p' });
  const leave = await watcher.next((m) => m.type === 'leave');
  assert.equal(leave['user'], 'carol');
});

test('typing is relayed to other subscribers, throttled, and expires on its own', async (t) => {
  const hub = await startHub(t, { typing: { throttleMs: 1000, expireMs: 300 } });
  const a = await openClient(t, hub, 'alice');
  const b = await openClient(t, hub, 'bob');
  for (const c of [a, b]) await c.request({ type: 'subscribe', channel: 'chat:t' });
  const notSubscribed = await a.request({ type: 'typing', channel: 'chat:other', on: true });
  assert.equal(notSubscribed['code'], 'not_subscribed');
  a.send({ type: 'typing', channel: 'chat:t', on: true });
  a.send({ type: 'typing', channel: 'chat:t', on: true });
  a.send({ type: 'typing', channel: 'chat:t', on: true });
  const on = await b.next((m) => m.type === 'typing');
  assert.deepEqual(on, { type: 'typing', channel: 'chat:t', user: 'alice', on: true });
  const off = await b.next((m) => m.type === 'typing', 3000);
  assert.equal(off['on'], false, 'the typing state expired by itself after the repeats were throttled');
  await a.request({ type: 'ping' });
  assert.equal(a.received.filter((m) => m.type === 'typing').length, 0, 'the typist does not hear itself');
  const disabled = await a.request({ type: 'typing', channel: 'nohist:x', on: true });
  assert.equal(disabled['code'], 'not_available');
});

test('history returns publications oldest first, honours limit, since and before, and reports recovered', async (t) => {
  const hub = await startHub(t);
  const a = await openClient(t, hub, 'alice');
  let epoch = '';
  for (let i = 1; i <= 10; i++) {
    const ack = await a.request({ type: 'publish', channel: 'chat:h', data: i, id: `x${i}` });
    epoch = String((ack['data'] as Record<string, unknown>)['epoch']);
  }
  const all = (await a.request({ type: 'history', channel: 'chat:h' }))['data'] as {
    publications: { data: number }[];
    offset: number;
  };
  assert.deepEqual(
    all.publications.map((p) => p.data),
    [1, 2, 3, 4, 5, 6, 7, 8, 9, 10],
  );
  const last3 = (await a.request({ type: 'history', channel: 'chat:h', limit: 3 }))['data'] as {
    publications: { data: number }[];
  };
  assert.deepEqual(
    last3.publications.map((p) => p.data),
    [8, 9, 10],
  );
  const since = (await a.request({ type: 'history', channel: 'chat:h', since: { epoch, offset: 7 } }))['data'] as {
    publications: { data: number }[];
    recovered: boolean;
  };
  assert.deepEqual(
    since.publications.map((p) => p.data),
    [8, 9, 10],
  );
  assert.equal(since.recovered, true);
  const before = (await a.request({ type: 'history', channel: 'chat:h', before: 3 }))['data'] as {
    publications: { data: number }[];
  };
  assert.deepEqual(
    before.publications.map((p) => p.data),
    [1, 2],
  );
  const off = await a.request({ type: 'history', channel: 'nohist:x' });
  assert.equal(off['code'], 'not_available');
});

test('ping answers the server clock and stats the counts', async (t) => {
  const hub = await startHub(t);
  const a = await openClient(t, hub, 'alice');
  const ping = await a.request({ type: 'ping' });
  assert.ok(Math.abs(Number((ping['data'] as Record<string, unknown>)['time']) - Date.now()) < 60_000);
  await a.request({ type: 'subscribe', channel: 'chat:s' });
  const stats = (await a.request({ type: 'stats' }))['data'] as Record<string, number>;
  assert.equal(stats['connections'], 1);
  assert.equal(stats['channels'], 1);
  assert.equal(stats['subscriptions'], 1);
});

test('a batch is answered member by member, in order', async (t) => {
  const hub = await startHub(t);
  const a = await openClient(t, hub, 'alice');
  a.send({
    type: 'batch',
    messages: [
      { type: 'subscribe', rid: 1, channel: 'chat:b1' },
      { type: 'subscribe', rid: 2, channel: 'chat:b2' },
      { type: 'ping', rid: 3 },
    ],
  });
  assert.equal((await a.answer(1)).type, 'subscribed');
  assert.equal((await a.answer(2)).type, 'subscribed');
  assert.equal((await a.answer(3)).type, 'reply');
});

test('drain tells every client to reconnect and closes with 1001 (RFC 6455 §7.4.1 going away)', async (t) => {
  const hub = await startHub(t);
  const a = await openClient(t, hub, 'alice');
  await hub.hub.drain({ timeoutMs: 1000 });
  const disconnect = await a.next((m) => m.type === 'disconnect');
  assert.equal(disconnect['reconnect'], true);
  const closed = await a.waitClose();
  assert.equal(closed.code, 1001);
});
