// docs/security-cases.md 4.9 (application protocol) over real connections: every bad input gets a coded error, abuse is closed, a control client survives.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pack } from 'msgpackr';
import { shouldReconnect } from '../../src/messages/index.ts';
import { openClient, openRaw, startHub, type Hub, type TestClient } from '../helpers/realtime.ts';

/** docs/security-cases.md §0.2: a healthy subscriber connected before the attack still receives publications after it. */
async function withControl(t: Parameters<typeof startHub>[0], hub: Hub): Promise<() => Promise<void>> {
  const control = await openClient(t, hub, 'control');
  await control.request({ type: 'subscribe', channel: 'chat:control' });
  let n = 0;
  return async () => {
    const id = `c${++n}`;
    const ack = await control.request({ type: 'publish', channel: 'chat:control', data: id, id });
    assert.equal(ack.type, 'reply');
    const p = await control.next((m) => m.type === 'publication' && m['data'] === id);
    assert.equal(p['data'], id);
    assert.equal(control.closeCode, null);
  };
}

async function errorOf(client: TestClient, frame: unknown): Promise<Record<string, unknown>> {
  client.send(frame);
  return client.next((m) => m.type === 'error');
}

test('garbage before connect is answered bad_request and closed with 4500 (docs/security-cases.md AP-01)', async (t) => {
  const hub = await startHub(t);
  const check = await withControl(t, hub);
  const c = await openRaw(t, hub.url);
  const err = await errorOf(c, 'not json {');
  assert.equal(err['code'], 'bad_request');
  assert.equal((await c.waitClose()).code, 4500);
  await check();
});

test('garbage after connect gets error replies, then a close with 4500 after the strikes (AP-01)', async (t) => {
  const hub = await startHub(t, { maxStrikes: 5 });
  const check = await withControl(t, hub);
  const c = await openClient(t, hub, 'mallory');
  for (let i = 0; i < 4; i++) assert.equal((await errorOf(c, '{{{')).code, 'bad_request');
  assert.equal(c.closeCode, null);
  c.send('{{{');
  assert.equal((await c.waitClose()).code, 4500);
  await check();
});

test('wrong shapes, unknown and reserved types, wrong field types get coded errors with re (AP-02, AP-03, AP-05, AP-06)', async (t) => {
  const hub = await startHub(t, { maxStrikes: 100 });
  const check = await withControl(t, hub);
  const c = await openClient(t, hub, 'mallory');
  for (const frame of ['[1,2,3]', '42', 'null', '"x"'])
    assert.equal((await errorOf(c, frame))['code'], 'bad_request', frame);
  assert.equal((await errorOf(c, '{}'))['code'], 'unknown_type');
  assert.equal((await errorOf(c, '['.repeat(100_000) + ']'.repeat(100_000)))['code'], 'too_large');
  assert.equal((await errorOf(c, `{"a":${'['.repeat(40)}${']'.repeat(40)}}`))['code'], 'bad_request');
  const unknown = await errorOf(c, { id: 7, definitely_not_a_method: {}, type: 'definitely_not_a_method', rid: 7 });
  assert.deepEqual([unknown['code'], unknown['re']], ['unknown_type', 7]);
  for (const type of [
    'error',
    'newListener',
    'removeListener',
    '__proto__',
    'constructor',
    'toString',
    'hasOwnProperty',
  ]) {
    assert.equal((await errorOf(c, JSON.stringify({ type, rid: 1 })))['code'], 'unknown_type', type);
  }
  for (const channel of [{}, [], 5, '']) {
    const e = await errorOf(c, { type: 'subscribe', rid: 9, channel });
    assert.deepEqual([e['code'], e['re']], ['invalid_message', 9]);
  }
  assert.equal((await errorOf(c, '{"type":"ping","rid":1e309}'))['code'], 'bad_request');
  assert.equal((await errorOf(c, { type: 'ping', rid: -1 }))['code'], 'invalid_message');
  assert.equal((await errorOf(c, { type: 'ping', rid: 1, extra: true }))['code'], 'invalid_message');
  assert.equal(
    (await errorOf(c, { type: 'history', channel: 'chat:x' }))['code'],
    'invalid_message',
    'history needs a rid',
  );
  await check();
});

test('prototype-pollution keys are refused and pollute nothing (AP-04)', async (t) => {
  const hub = await startHub(t, { maxStrikes: 100 });
  const c = await openClient(t, hub, 'mallory');
  const frames = [
    '{"type":"publish","rid":1,"channel":"chat:p","id":"x","data":{},"__proto__":{"admin":true}}',
    '{"type":"publish","rid":2,"channel":"chat:p","id":"y","data":{"constructor":{"prototype":{"polluted":1}}}}',
    '{"type":"publish","rid":3,"channel":"chat:p","id":"z","data":{"a":{"__proto__":{"polluted":1}}}}',
  ];
  for (const frame of frames) assert.equal((await errorOf(c, frame))['code'], 'bad_request');
  assert.equal(({} as Record<string, unknown>)['admin'], undefined);
  assert.equal(({} as Record<string, unknown>)['polluted'], undefined);
});

test('channel names: invalid ones are invalid_message, unknown namespaces not_found, glob characters refused (AP-09)', async (t) => {
  const hub = await startHub(t, { maxStrikes: 100 });
  const c = await openClient(t, hub, 'mallory');
  for (const channel of [
    'general',
    'chat:',
    'chat:a b',
    'chat:*',
    'chat:a?',
    'chat:[x]',
    'chat:\u0007',
    `chat:${'x'.repeat(300)}`,
  ]) {
    assert.equal((await c.request({ type: 'subscribe', channel }))['code'], 'invalid_message', JSON.stringify(channel));
  }
  assert.equal((await c.request({ type: 'subscribe', channel: 'nope:x' }))['code'], 'not_found');
});

test('sequencing: duplicate subscribe, second connect, messages before connect (AP-07)', async (t) => {
  const hub = await startHub(t);
  const raw = await openRaw(t, hub.url);
  assert.equal((await raw.request({ type: 'subscribe', channel: 'chat:s' }))['code'], 'unauthorized');
  const c = await openClient(t, hub, 'alice');
  await c.request({ type: 'subscribe', channel: 'chat:s' });
  assert.equal((await c.request({ type: 'subscribe', channel: 'chat:s' }))['code'], 'already_subscribed');
  assert.equal((await c.request({ type: 'connect', token: await hub.token('alice') }))['code'], 'already_connected');
  assert.equal(c.closeCode, null);
});

test('MessagePack: truncated input, extension types and huge declared lengths are bad_request (AP-10)', async (t) => {
  const hub = await startHub(t, { maxStrikes: 100 });
  const c = await openClient(t, hub, 'mallory', { protocols: ['switchboard.v1.msgpack'] });
  for (const bytes of [
    [0xdd, 0xff, 0xff, 0xff, 0xff],
    [0xc6, 0xff, 0xff, 0xff, 0xff],
    [0x82, 0xa4],
    [0xd6, 0xff, 0, 0, 0, 0],
  ]) {
    assert.equal((await errorOf(c, new Uint8Array(bytes)))['code'], 'bad_request', bytes.join(','));
  }
  assert.equal((await errorOf(c, 'text on msgpack'))['code'], 'bad_request');
  const ok = await c.request({ type: 'ping' });
  assert.equal(ok.type, 'reply');
  assert.ok(pack({}).length > 0);
});

test('a binary frame on the JSON subprotocol is bad_request (docs/protocol.md §1)', async (t) => {
  const hub = await startHub(t, { maxStrikes: 100 });
  const c = await openClient(t, hub, 'mallory');
  assert.equal((await errorOf(c, new TextEncoder().encode('{"type":"ping","rid":1}')))['code'], 'bad_request');
});

test('oversized messages get too_large; far larger ones are closed by the engine with 1009 (RFC 6455 §7.4.1)', async (t) => {
  const hub = await startHub(t, { maxMessageSize: 1024 });
  const check = await withControl(t, hub);
  const c = await openClient(t, hub, 'mallory');
  const big = JSON.stringify({ type: 'publish', rid: 1, channel: 'chat:big', id: 'b', data: 'x'.repeat(2000) });
  assert.equal((await errorOf(c, big))['code'], 'too_large');
  c.send(JSON.stringify({ type: 'publish', rid: 2, channel: 'chat:big', id: 'c', data: 'x'.repeat(10_000) }));
  assert.equal((await c.waitClose()).code, 1009);
  await check();
});

test('forbidden subscribe and publish get error replies and the connection stays open (AU-12)', async (t) => {
  const hub = await startHub(t);
  const c = await openClient(t, hub, 'alice');
  assert.equal((await c.request({ type: 'subscribe', channel: 'staff:room' }))['code'], 'forbidden');
  assert.equal((await c.request({ type: 'publish', channel: 'staff:room', data: 1, id: 'a' }))['code'], 'forbidden');
  assert.equal((await c.request({ type: 'publish', channel: 'feed:x', data: 1, id: 'b' }))['code'], 'not_available');
  assert.equal((await c.request({ type: 'publish', channel: 'user:alice', data: 1, id: 'c' }))['code'], 'forbidden');
  assert.equal((await c.request({ type: 'subscribe', channel: 'user:bob' }))['code'], 'forbidden');
  assert.equal((await c.request({ type: 'presence', channel: 'nohist:x' }))['code'], 'not_available');
  const staff = await openClient(t, hub, 'sam', { roles: ['staff'] });
  assert.equal((await staff.request({ type: 'subscribe', channel: 'staff:room' })).type, 'subscribed');
  assert.equal(c.closeCode, null);
});

test('a subscription flood is capped with too_many_subscriptions', async (t) => {
  const hub = await startHub(t, { maxSubscriptions: 5, rateLimit: { messagesBurst: 1000, messagesPerSecond: 1000 } });
  const c = await openClient(t, hub, 'alice');
  for (let i = 0; i < 5; i++)
    assert.equal((await c.request({ type: 'subscribe', channel: `chat:f${i}` })).type, 'subscribed');
  for (let i = 5; i < 50; i++)
    assert.equal((await c.request({ type: 'subscribe', channel: `chat:f${i}` }))['code'], 'too_many_subscriptions');
  assert.equal(hub.hub.stats()['channels'], 5);
});

test('rate limits answer rate_limited, then disconnect 4008 with reconnect (docs/protocol.md §13)', async (t) => {
  const hub = await startHub(t, { rateLimit: { messagesPerSecond: 1, messagesBurst: 5 }, maxStrikes: 3 });
  const check = await withControl(t, hub);
  const c = await openClient(t, hub, 'flooder');
  for (let i = 0; i < 20; i++) c.send({ type: 'ping', rid: i });
  const limited = await c.next((m) => m.type === 'error');
  assert.equal(limited['code'], 'rate_limited');
  const closed = await c.waitClose();
  assert.equal(closed.code, 4008);
  assert.equal(closed.reason, 'rate limited');
  const disconnect = await c.next((m) => m.type === 'disconnect');
  assert.equal(disconnect['code'], 4008);
  assert.equal(
    disconnect['reconnect'],
    true,
    'the frame and the close code both tell the client to come back after a backoff',
  );
  assert.equal(shouldReconnect(closed.code), true);
  await check();
});

test('a user over its connection cap is refused with 4505', async (t) => {
  const hub = await startHub(t, { maxConnectionsPerUser: 2 });
  await openClient(t, hub, 'dave');
  await openClient(t, hub, 'dave');
  const third = await openRaw(t, hub.url);
  third.send({ type: 'connect', rid: 1, token: await hub.token('dave') });
  assert.equal((await third.waitClose()).code, 4505);
});
