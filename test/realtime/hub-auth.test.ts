// docs/security-cases.md 4.8 over real connections: origin, handshake credentials, auth deadline, expired and foreign tokens, refresh.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { handshakeStatus, openClient, openRaw, startHub } from '../helpers/realtime.ts';

function noneToken(sub: string): string {
  const enc = (v: unknown): string => Buffer.from(JSON.stringify(v)).toString('base64url');
  return `${enc({ alg: 'none', typ: 'JWT' })}.${enc({ sub, exp: Math.floor(Date.now() / 1000) + 3600 })}.`;
}

test('only the exact allowed origin passes the handshake; others get 403 (docs/security-cases.md AU-01)', async (t) => {
  const hub = await startHub(t);
  assert.equal(await handshakeStatus(hub.url, { headers: { Origin: 'https://app.example.com' } }), 101);
  for (const origin of [
    'https://app.example.com.evil.com',
    'https://evilapp.example.com',
    'http://app.example.com',
    'https://app.example.com:444',
    'null',
  ]) {
    assert.equal(await handshakeStatus(hub.url, { headers: { Origin: origin } }), 403, origin);
  }
  assert.equal(await handshakeStatus(hub.url), 101, 'a non-browser client without Origin may connect (AU-02)');
});

test('same-origin pages are accepted only when allowSameOrigin is on', async (t) => {
  const off = await startHub(t);
  assert.equal(await handshakeStatus(off.url, { headers: { Origin: `http://127.0.0.1:${off.port}` } }), 403);
  const on = await startHub(t, { allowSameOrigin: true });
  assert.equal(await handshakeStatus(on.url, { headers: { Origin: `http://127.0.0.1:${on.port}` } }), 101);
  assert.equal(await handshakeStatus(on.url, { headers: { Origin: 'http://127.0.0.1:1' } }), 403);
});

test('a token in the Authorization header or the query authenticates the handshake; a bad one gets 401 (AU-04, AU-05, AU-07)', async (t) => {
  const hub = await startHub(t);
  const token = await hub.token('alice');
  const viaHeader = await openRaw(t, hub.url, { headers: { Authorization: `Bearer ${token}` } });
  const c1 = await viaHeader.request({ type: 'connect' });
  assert.deepEqual([c1.type, c1['user']], ['connected', 'alice']);
  const viaQuery = await openRaw(t, `${hub.url}?token=${token}`);
  assert.equal((await viaQuery.request({ type: 'connect' }))['user'], 'alice');
  assert.equal(await handshakeStatus(`${hub.url}?token=not.a.token`), 401);
  assert.equal(await handshakeStatus(hub.url, { headers: { Authorization: `Bearer ${noneToken('alice')}` } }), 401);
  const expired = await hub.token('alice', { ttlMs: 1000, now: () => Date.now() - 3_600_000 });
  assert.equal(await handshakeStatus(hub.url, { headers: { Authorization: `Bearer ${expired}` } }), 401);
  assert.equal(
    await handshakeStatus(`${hub.url}?token=${'a'.repeat(100_000)}`),
    431,
    '100 KB token: the header limit answers first',
  );
});

test('connect without any credential is refused with unauthorized and 4502 when anonymous access is off (AU-04)', async (t) => {
  const hub = await startHub(t);
  const c = await openRaw(t, hub.url);
  const err = await c.request({ type: 'connect' });
  assert.equal(err['code'], 'unauthorized');
  assert.equal((await c.waitClose()).code, 4502);
});

test('anonymous access works where configured', async (t) => {
  const hub = await startHub(t, { anonymous: ['user'] });
  const c = await openRaw(t, hub.url);
  const answer = await c.request({ type: 'connect' });
  assert.equal(answer.type, 'connected');
  assert.match(String(answer['user']), /^anon-/);
  assert.equal((await c.request({ type: 'subscribe', channel: 'chat:anon' })).type, 'subscribed');
});

test('alg none, expired and malformed tokens in connect are refused and closed with 4502 (AU-05, AU-07)', async (t) => {
  const hub = await startHub(t);
  const expired = await hub.token('alice', { ttlMs: 1000, now: () => Date.now() - 3_600_000 });
  for (const [token, code] of [
    [noneToken('alice'), 'unauthorized'],
    [expired, 'token_expired'],
    ['x.y.z', 'unauthorized'],
  ] as const) {
    const c = await openRaw(t, hub.url);
    const err = await c.request({ type: 'connect', token });
    assert.equal(err['code'], code);
    assert.equal((await c.waitClose()).code, 4502);
  }
});

test('no connect within the deadline closes with 4001 auth timeout', async (t) => {
  const hub = await startHub(t, { authTimeoutMs: 200 });
  const c = await openRaw(t, hub.url);
  const disconnect = await c.next((m) => m.type === 'disconnect', 3000);
  assert.deepEqual([disconnect['code'], disconnect['reconnect']], [4001, true]);
  assert.equal((await c.waitClose()).code, 4001);
});

/** A token whose `exp` falls about `inMs` from now (exp has one-second granularity). */
async function expiringToken(hub: Awaited<ReturnType<typeof startHub>>, sub: string, inMs: number): Promise<string> {
  const ttl = 3_600_000;
  return hub.token(sub, { ttlMs: ttl, now: () => Date.now() + inMs - ttl });
}

test('a token that expires while connected closes the session with 4003 (AU-08)', async (t) => {
  const hub = await startHub(t);
  const c = await openRaw(t, hub.url);
  const answer = await c.request({ type: 'connect', token: await expiringToken(hub, 'alice', 1200) });
  assert.equal(answer.type, 'connected');
  const disconnect = await c.next((m) => m.type === 'disconnect', 4000);
  assert.deepEqual([disconnect['code'], disconnect['reconnect']], [4003, true]);
  assert.equal((await c.waitClose()).code, 4003);
});

test('a refresh in time keeps the session past the old expiry; a foreign token is refused (AU-08)', async (t) => {
  const hub = await startHub(t);
  const c = await openRaw(t, hub.url);
  const connected = await c.request({ type: 'connect', token: await expiringToken(hub, 'alice', 1200) });
  const foreign = await c.request({ type: 'refresh', token: await hub.token('mallory') });
  assert.equal(foreign['code'], 'forbidden');
  const refreshed = await c.request({ type: 'refresh', token: await hub.token('alice') });
  assert.equal(refreshed.type, 'reply');
  assert.ok(Number((refreshed['data'] as Record<string, unknown>)['expires']) > Number(connected['expires']));
  await new Promise((r) => setTimeout(r, 2500));
  assert.equal((await c.request({ type: 'ping' })).type, 'reply');
  assert.equal(c.closeCode, null);
});

test('racing refreshes are answered one by one in order; the foreign one never changes the user (AU-08)', async (t) => {
  const hub = await startHub(t);
  const c = await openClient(t, hub, 'alice');
  const [good, bad] = [await hub.token('alice'), await hub.token('mallory')];
  c.send({ type: 'refresh', rid: 1, token: bad });
  c.send({ type: 'refresh', rid: 2, token: good });
  c.send({ type: 'refresh', rid: 3, token: bad });
  c.send({ type: 'subscribe', rid: 4, channel: 'user:alice' });
  assert.equal((await c.answer(1))['code'], 'forbidden');
  assert.equal((await c.answer(2)).type, 'reply');
  assert.equal((await c.answer(3))['code'], 'forbidden');
  assert.equal((await c.answer(4)).type, 'subscribed', 'still alice');
  const expired = await hub.token('alice', { ttlMs: 1000, now: () => Date.now() - 3_600_000 });
  assert.equal((await c.request({ type: 'refresh', token: expired }))['code'], 'token_expired');
});

test('new connections per IP are rate limited with 429', async (t) => {
  const hub = await startHub(t, { connectionsPerMinutePerIp: 3 });
  for (let i = 0; i < 3; i++) assert.equal(await handshakeStatus(hub.url), 101);
  assert.equal(await handshakeStatus(hub.url), 429);
});

test('subprotocol selection: msgpack when offered first, JSON otherwise', async (t) => {
  const hub = await startHub(t);
  const m = await openRaw(t, hub.url, { protocols: ['switchboard.v1.msgpack', 'switchboard.v1.json'] });
  assert.equal(m.ws.protocol, 'switchboard.v1.msgpack');
  const j = await openRaw(t, hub.url, { protocols: ['other', 'switchboard.v1.json'] });
  assert.equal(j.ws.protocol, 'switchboard.v1.json');
});

test('a cookie credential works from the allowed origin only; foreign or missing Origin gets 403 (docs/security-cases.md AU-02, AU-03)', async (t) => {
  const hub = await startHub(t, { cookieName: 'sb_token' });
  const token = await hub.token('alice');
  const cookie = `theme=dark; sb_token=${token}`;
  const c = await openRaw(t, hub.url, { headers: { Cookie: cookie, Origin: 'https://app.example.com' } });
  assert.equal((await c.request({ type: 'connect' }))['user'], 'alice');
  assert.equal(
    await handshakeStatus(hub.url, { headers: { Cookie: cookie, Origin: 'https://evil.example.com' } }),
    403,
  );
  assert.equal(await handshakeStatus(hub.url, { headers: { Cookie: cookie } }), 403);
  assert.equal(
    await handshakeStatus(hub.url, { headers: { Cookie: 'sb_token=bad.token.x', Origin: 'https://app.example.com' } }),
    401,
  );
});

test('a refresh with fewer roles ends the subscriptions the new token no longer allows (forbidden), keeps the others', async (t) => {
  const hub = await startHub(t);
  const c = await openClient(t, hub, 'alice', { roles: ['staff'] });
  assert.equal((await c.request({ type: 'subscribe', channel: 'staff:ops' })).type, 'subscribed');
  assert.equal((await c.request({ type: 'subscribe', channel: 'chat:lobby' })).type, 'subscribed');
  const same = await c.request({ type: 'refresh', token: await hub.token('alice', { roles: ['staff'] }) });
  assert.equal(same.type, 'reply');
  await c.request({ type: 'ping' });
  assert.equal(c.received.filter((m) => m.type === 'unsubscribed').length, 0, 'the same roles end nothing');

  const demoted = await c.request({ type: 'refresh', token: await hub.token('alice') });
  assert.equal(demoted.type, 'reply');
  const ended = await c.next((m) => m.type === 'unsubscribed');
  assert.deepEqual([ended['channel'], ended['code']], ['staff:ops', 'forbidden']);
  const staffer = await openClient(t, hub, 'sam', { roles: ['staff'] });
  assert.equal(
    (await staffer.request({ type: 'publish', channel: 'staff:ops', data: 'after the demotion', id: 'p-1' })).type,
    'reply',
  );
  assert.equal(
    (await staffer.request({ type: 'publish', channel: 'chat:lobby', data: 'still here', id: 'p-2' })).type,
    'reply',
  );
  const lobby = await c.next((m) => m.type === 'publication');
  assert.equal(lobby['data'], 'still here');
  await c.request({ type: 'ping' });
  assert.equal(
    c.received.filter((m) => m.type === 'publication' && m['channel'] === 'staff:ops').length,
    0,
    'nothing more from staff:ops',
  );
  assert.equal((await c.request({ type: 'subscribe', channel: 'staff:ops' }))['code'], 'forbidden');
});
