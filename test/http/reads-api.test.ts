// GET /api/history and GET /api/presence: the protocol's reads over HTTP, with an API key, a user token or anonymous.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SseReader } from '../helpers/sse.ts';
import { startSse } from '../helpers/sse-server.ts';

const API_KEY = 'a-test-api-key-0123456789';

async function get(url: string, headers: Record<string, string> = {}) {
  const res = await fetch(url, { headers });
  return { status: res.status, body: (await res.json()) as Record<string, unknown>, headers: res.headers };
}

test('with the API key: a page of history as the protocol reply, since/limit/before, and presence of any channel', async (t) => {
  const { base, hub, token } = await startSse(t, { apiKeys: [API_KEY] });
  const key = { Authorization: `Bearer ${API_KEY}` };
  let epoch = '';
  for (let i = 1; i <= 5; i++) epoch = (await hub.publish('ticker:AAPL', { i })).epoch;
  const all = await get(`${base}/api/history?channel=ticker:AAPL`, key);
  assert.equal(all.status, 200);
  assert.equal(all.body['channel'], 'ticker:AAPL');
  assert.equal(all.body['epoch'], epoch);
  assert.equal(all.body['offset'], 5);
  assert.equal(all.body['recovered'], undefined, 'recovered only answers a since');
  const pubs = all.body['publications'] as Array<Record<string, unknown>>;
  assert.deepEqual(
    pubs.map((p) => p['offset']),
    [1, 2, 3, 4, 5],
  );
  assert.deepEqual(pubs[0]?.['data'], { i: 1 });
  const newest = await get(`${base}/api/history?channel=ticker:AAPL&limit=2`, { 'X-API-Key': API_KEY });
  assert.deepEqual(
    (newest.body['publications'] as Array<Record<string, unknown>>).map((p) => p['offset']),
    [4, 5],
  );
  const since = await get(`${base}/api/history?channel=ticker:AAPL&since=${epoch}:3`, key);
  assert.equal(since.body['recovered'], true);
  assert.deepEqual(
    (since.body['publications'] as Array<Record<string, unknown>>).map((p) => p['offset']),
    [4, 5],
  );
  const lost = await get(`${base}/api/history?channel=ticker:AAPL&since=other-epoch:3`, key);
  assert.equal(lost.body['recovered'], false);
  const before = await get(`${base}/api/history?channel=ticker:AAPL&before=3&limit=10`, key);
  assert.deepEqual(
    (before.body['publications'] as Array<Record<string, unknown>>).map((p) => p['offset']),
    [1, 2],
  );
  // Presence: a member follows a channel over /sse, so it is present.
  const stream = await SseReader.open(`${base}/sse?channel=members:room&token=${await token('alice')}`);
  assert.ok(stream instanceof SseReader);
  t.after(() => stream.close());
  await stream.until((events) => events.some((e) => e.event === 'subscribed'));
  const present = await get(`${base}/api/presence?channel=members:room`, key);
  assert.equal(present.status, 200);
  assert.deepEqual(present.body, { channel: 'members:room', users: [{ user: 'alice', connections: 1 }] });
  // The key reads personal channels and role-restricted namespaces too.
  assert.equal((await get(`${base}/api/history?channel=user:alice`, key)).status, 200);
  assert.equal((await get(`${base}/api/presence?channel=vault:x`, key)).status, 200);
});

test('a user token gets the protocol permissions: roles of the namespace, personal channels; anonymous where allowed', async (t) => {
  const { base, hub, token } = await startSse(t, { apiKeys: [API_KEY] });
  await hub.publish('vault:gold', { bars: 3 });
  const alice = { Authorization: `Bearer ${await token('alice')}` };
  const staff = { Authorization: `Bearer ${await token('sam', { roles: ['staff'] })}` };
  const refused = await get(`${base}/api/history?channel=vault:gold`, alice);
  assert.equal(refused.status, 403);
  assert.equal(refused.body['error'], 'forbidden');
  assert.equal((await get(`${base}/api/presence?channel=vault:gold`, alice)).status, 403);
  const allowed = await get(`${base}/api/history?channel=vault:gold`, staff);
  assert.equal(allowed.status, 200);
  assert.equal((allowed.body['publications'] as unknown[]).length, 1);
  assert.equal((await get(`${base}/api/presence?channel=vault:gold`, staff)).status, 200);
  assert.equal((await get(`${base}/api/history?channel=user:alice`, alice)).status, 200);
  assert.equal((await get(`${base}/api/history?channel=user:bob`, alice)).status, 403);
  // No credential: the anonymous role, which reads history but not the vault's.
  assert.equal((await get(`${base}/api/history?channel=ticker:a`)).status, 200);
  const anonymous = await get(`${base}/api/history?channel=vault:gold`);
  assert.equal(anonymous.status, 401);
  assert.equal(anonymous.body['error'], 'unauthorized');
  assert.equal(anonymous.headers.get('www-authenticate'), 'Bearer');
});

test('bad credentials: an expired or forged token 401, a wrong X-API-Key 403, a malformed Authorization 401', async (t) => {
  const { base, token } = await startSse(t, { apiKeys: [API_KEY] });
  const expired = await token('alice', { ttlMs: 60_000, now: () => Date.now() - 3_600_000 });
  const late = await get(`${base}/api/history?channel=ticker:a`, { Authorization: `Bearer ${expired}` });
  assert.equal(late.status, 401);
  assert.equal(late.body['error'], 'token_expired');
  const forged = await get(`${base}/api/history?channel=ticker:a`, { Authorization: 'Bearer not-a-key-nor-a-token' });
  assert.equal(forged.status, 401);
  assert.equal(forged.body['error'], 'unauthorized');
  const wrongKey = await get(`${base}/api/presence?channel=ticker:a`, { 'X-API-Key': 'wrong-key-0123456789' });
  assert.equal(wrongKey.status, 403);
  const basic = await get(`${base}/api/history?channel=ticker:a`, { Authorization: 'Basic YWxpY2U6cHc=' });
  assert.equal(basic.status, 401);
});

test('bad parameters get 400 invalid_message; unknown namespaces 404 not_found; disabled features 404 not_available', async (t) => {
  const { base } = await startSse(t, { apiKeys: [API_KEY] });
  const key = { Authorization: `Bearer ${API_KEY}` };
  const bad = [
    '/api/history',
    '/api/history?channel=',
    '/api/history?channel=nonamespace',
    '/api/history?channel=ticker:a&channel=ticker:b',
    '/api/history?channel=ticker:a&extra=1',
    '/api/history?channel=ticker:a&limit=0',
    '/api/history?channel=ticker:a&limit=1001',
    '/api/history?channel=ticker:a&limit=ten',
    '/api/history?channel=ticker:a&limit=1.5',
    '/api/history?channel=ticker:a&since=garbage',
    '/api/history?channel=ticker:a&since=e:-1',
    '/api/history?channel=ticker:a&since=',
    '/api/history?channel=ticker:a&before=-1',
    '/api/presence',
    '/api/presence?channel=members:a&limit=3',
  ];
  for (const path of bad) {
    const answer = await get(`${base}${path}`, key);
    assert.equal(answer.status, 400, path);
    assert.equal(answer.body['error'], 'invalid_message', path);
  }
  const unknown = await get(`${base}/api/history?channel=nowhere:a`, key);
  assert.deepEqual([unknown.status, unknown.body['error']], [404, 'not_found']);
  const noHistory = await get(`${base}/api/history?channel=nohist:a`, key);
  assert.deepEqual([noHistory.status, noHistory.body['error']], [404, 'not_available']);
  const noPresence = await get(`${base}/api/presence?channel=ticker:a`, key);
  assert.deepEqual([noPresence.status, noPresence.body['error']], [404, 'not_available']);
  const byUser = await get(`${base}/api/presence?channel=ticker:a`);
  assert.deepEqual([byUser.status, byUser.body['error']], [404, 'not_available']);
  const post = await fetch(`${base}/api/history?channel=ticker:a`, { method: 'POST', headers: key });
  assert.equal(post.status, 405);
});

test('end users are refused from a denied address and when banned; the API key still reads', async (t) => {
  const denied = await startSse(t, { apiKeys: [API_KEY], realtime: { denyAddresses: ['127.0.0.1'] } });
  const fromDenied = await get(`${denied.base}/api/history?channel=ticker:a`);
  assert.deepEqual([fromDenied.status, fromDenied.body['error']], [403, 'forbidden']);
  const userFromDenied = await get(`${denied.base}/api/presence?channel=members:a`, {
    Authorization: `Bearer ${await denied.token('alice')}`,
  });
  assert.equal(userFromDenied.status, 403);
  assert.equal(
    (await get(`${denied.base}/api/history?channel=ticker:a`, { Authorization: `Bearer ${API_KEY}` })).status,
    200,
  );

  const { base, hub, token } = await startSse(t, { apiKeys: [API_KEY] });
  const alice = { Authorization: `Bearer ${await token('alice')}` };
  assert.equal((await get(`${base}/api/history?channel=ticker:a`, alice)).status, 200);
  await hub.moderation.ban('alice', 60_000, 'spam');
  const banned = await get(`${base}/api/history?channel=ticker:a`, alice);
  assert.deepEqual(
    [banned.status, banned.body['error'], banned.body['message']],
    [403, 'forbidden', 'The user is banned'],
  );
  assert.equal((await get(`${base}/api/history?channel=ticker:a`)).status, 200, 'others still read');
});
