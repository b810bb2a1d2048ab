// The moderation HTTP API against a real server: delete, ban, unban, bans, kick; API keys, bounds and bad inputs; the
// address deny-list on the pages but not on /api/*.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MemoryBroker } from '../../src/broker/index.ts';
import { createSwitchboardServer } from '../../src/http/index.ts';
import { createAuthenticator, createNamespaces, signToken } from '../../src/realtime/index.ts';
import { openRaw, SECRET, type TestClient } from '../helpers/realtime.ts';

const API_KEY = 'a-test-api-key-0123456789';

async function start(t: TestContext, realtime: { denyAddresses?: string[]; trustedProxies?: string[] } = {}) {
  const broker = new MemoryBroker();
  const webRoot = mkdtempSync(join(tmpdir(), 'sb-web-'));
  writeFileSync(join(webRoot, 'index.html'), '<!doctype html><title>chat</title>');
  const server = await createSwitchboardServer({
    realtime: {
      broker,
      namespaces: createNamespaces({ chat: {} }),
      authenticator: await createAuthenticator({ keys: [{ type: 'secret', secret: SECRET }] }),
      ...realtime,
    },
    apiKeys: [API_KEY],
    webRoot,
  });
  const address = await server.listen();
  t.after(async () => {
    await server.close({ timeoutMs: 500 });
    await broker.close();
    rmSync(webRoot, { recursive: true, force: true });
  });
  const base = `http://127.0.0.1:${address.port}`;
  const ws = `ws://127.0.0.1:${address.port}/ws`;
  const connect = async (user: string): Promise<TestClient> => {
    const c = await openRaw(t, ws);
    const token = await signToken({ sub: user, ttlMs: 3_600_000 }, { type: 'secret', secret: SECRET });
    assert.equal((await c.request({ type: 'connect', token })).type, 'connected');
    return c;
  };
  return { server, base, connect };
}

async function api(
  base: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = { Authorization: `Bearer ${API_KEY}` },
): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(`${base}${path}`, {
    method: body === undefined ? 'GET' : 'POST',
    headers: { ...headers, ...(body === undefined ? {} : { 'Content-Type': 'application/json' }) },
    ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

test('POST /api/delete turns a publication into a tombstone and subscribers hear deleted', async (t) => {
  const { server, base, connect } = await start(t);
  const bob = await connect('bob');
  await bob.request({ type: 'subscribe', channel: 'chat:a' });
  const placed = await server.hub.publish('chat:a', 'bad words');
  const answer = await api(base, '/api/delete', { channel: 'chat:a', offset: placed.offset });
  assert.deepEqual(answer, {
    status: 200,
    body: { channel: 'chat:a', epoch: placed.epoch, offset: placed.offset, alreadyDeleted: false },
  });
  assert.equal((await bob.next((m) => m.type === 'deleted'))['offset'], placed.offset);
  assert.equal(
    (await api(base, '/api/delete', { channel: 'chat:a', offset: placed.offset })).body['alreadyDeleted'],
    true,
  );
  for (const [body, status, error] of [
    [{ channel: 'chat:a', offset: 99 }, 404, 'not_found'],
    [{ channel: 'chat:a', offset: placed.offset, epoch: 'other' }, 404, 'not_found'],
    [{ channel: 'nope:a', offset: 1 }, 404, 'not_found'],
    [{ channel: 'chat:a', offset: -1 }, 400, 'invalid_message'],
    [{ channel: 'chat:a', offset: 1e300 }, 400, 'invalid_message'],
    [{ channel: 'chat:a', offset: '1' }, 400, 'invalid_message'],
    [{ channel: 'chat:*', offset: 1 }, 400, 'invalid_message'],
    [{ channel: 'chat:a', offset: 1, epoch: 'two words' }, 400, 'invalid_message'],
    [{ channel: 'chat:a', offset: 1, extra: 1 }, 400, 'invalid_message'],
  ] as const) {
    const got = await api(base, '/api/delete', body);
    assert.deepEqual([got.status, got.body['error']], [status, error], JSON.stringify(body));
  }
});

test('POST /api/ban closes the user, GET /api/bans lists it, POST /api/unban lifts it', async (t) => {
  const { base, connect } = await start(t);
  const mallory = await connect('mallory');
  const banned = await api(base, '/api/ban', { user: 'mallory', durationSec: 3600, reason: 'spam' });
  assert.equal(banned.status, 200);
  assert.equal(banned.body['disconnected'], 1);
  assert.ok(Math.abs((banned.body['until'] as number) - (Date.now() + 3_600_000)) < 5000);
  assert.equal((await mallory.waitClose()).code, 4504);
  await assert.rejects(() => connect('mallory'), /connected/);
  const list = await api(base, '/api/bans');
  assert.deepEqual(list, {
    status: 200,
    body: { bans: [{ user: 'mallory', until: banned.body['until'], reason: 'spam' }] },
  });
  assert.deepEqual((await api(base, '/api/unban', { user: 'mallory' })).body, { user: 'mallory', unbanned: true });
  assert.deepEqual((await api(base, '/api/unban', { user: 'mallory' })).body, { user: 'mallory', unbanned: false });
  await connect('mallory');
});

test('the ban API refuses absurd durations, bad users and reasons, and requests without a valid key', async (t) => {
  const { base } = await start(t);
  const bad: unknown[] = [
    { user: 'u', durationSec: 0 },
    { user: 'u', durationSec: -60 },
    { user: 'u', durationSec: 1.5 },
    { user: 'u', durationSec: 31_536_001 },
    { user: 'u', durationSec: 1e308 },
    { user: 'u', durationSec: '3600' },
    { user: 'u' },
    { user: '', durationSec: 60 },
    { user: 'x'.repeat(256), durationSec: 60 },
    { user: 'a\u0000b', durationSec: 60 },
    { user: 42, durationSec: 60 },
    { user: 'u', durationSec: 60, reason: 'r'.repeat(201) },
    { user: 'u', durationSec: 60, reason: 'line\nbreak' },
    { user: 'u', durationSec: 60, until: 0 },
  ];
  for (const body of bad) {
    const got = await api(base, '/api/ban', body);
    assert.deepEqual([got.status, got.body['error']], [400, 'invalid_message'], JSON.stringify(body).slice(0, 80));
  }
  assert.equal((await api(base, '/api/ban', '{"user":', {})).status, 401, 'no key: 401 before the body');
  assert.equal((await api(base, '/api/ban', '{"user":')).status, 400);
  assert.equal(
    (await api(base, '/api/ban', { user: 'u', durationSec: 60 }, { 'X-API-Key': 'wrong-key-000000000' })).status,
    403,
  );
  assert.equal((await api(base, '/api/bans', undefined, {})).status, 401);
  assert.equal((await api(base, '/api/bans', undefined, { Authorization: 'Bearer nope' })).status, 403);
  assert.equal((await api(base, '/api/unban', { user: '' })).status, 400);
  assert.deepEqual((await api(base, '/api/bans')).body, { bans: [] }, 'nothing was banned');
  const maxed = await api(base, '/api/ban', { user: 'u', durationSec: 31_536_000 });
  assert.equal(maxed.status, 200, 'a year is allowed');
  const method = await fetch(`${base}/api/ban`);
  assert.equal(method.status, 405);
  await method.body?.cancel();
});

test('POST /api/kick unsubscribes the user from the channel', async (t) => {
  const { base, connect } = await start(t);
  const alice = await connect('alice');
  await alice.request({ type: 'subscribe', channel: 'chat:k' });
  const kicked = await api(base, '/api/kick', { user: 'alice', channel: 'chat:k', reason: 'off topic' });
  assert.deepEqual(kicked, { status: 200, body: { user: 'alice', channel: 'chat:k', unsubscribed: 1 } });
  const gone = await alice.next((m) => m.type === 'unsubscribed');
  assert.deepEqual([gone['code'], gone['reason']], ['forbidden', 'off topic']);
  assert.equal((await api(base, '/api/kick', { user: 'alice', channel: 'nope:k' })).status, 404);
  assert.equal((await api(base, '/api/kick', { user: 'alice', channel: 'chat:*' })).status, 400);
  assert.equal((await api(base, '/api/kick', { user: 'alice' })).status, 400);
});

test('denyAddresses refuses the pages and /ws with 403 but never /api/*', async (t) => {
  const { base, connect } = await start(t, { denyAddresses: ['127.0.0.1'] });
  const page = await fetch(`${base}/`);
  assert.equal(page.status, 403);
  await page.body?.cancel();
  await assert.rejects(() => connect('alice'), /403/);
  assert.equal((await api(base, '/api/bans')).status, 200, 'operators keep the API');
  const proxied = await start(t, { denyAddresses: ['203.0.113.0/24'], trustedProxies: ['127.0.0.1'] });
  const forwarded = await fetch(`${proxied.base}/`, { headers: { 'X-Forwarded-For': '203.0.113.50' } });
  assert.equal(forwarded.status, 403);
  await forwarded.body?.cancel();
  const other = await fetch(`${proxied.base}/`, { headers: { 'X-Forwarded-For': '198.51.100.50' } });
  assert.equal(other.status, 200);
  await other.body?.cancel();
});

test('POST /api/kick with durationSec bans from the channel; /api/bans shows it; /api/unban with channel lifts it', async (t) => {
  const { base, connect } = await start(t);
  const alice = await connect('alice');
  await alice.request({ type: 'subscribe', channel: 'chat:k' });
  const kicked = await api(base, '/api/kick', { user: 'alice', channel: 'chat:k', durationSec: 600 });
  assert.equal(kicked.status, 200);
  await alice.next((m) => m.type === 'unsubscribed');
  assert.equal((await alice.request({ type: 'subscribe', channel: 'chat:k' }))['code'], 'forbidden');
  const bans = (await api(base, '/api/bans')).body['bans'] as { user: string; channel?: string }[];
  assert.deepEqual(
    bans.map((b) => [b.user, b.channel]),
    [['alice', 'chat:k']],
  );
  for (const durationSec of [0, -1, 1.5, 31_536_001, '60'])
    assert.equal((await api(base, '/api/kick', { user: 'alice', channel: 'chat:k', durationSec })).status, 400);
  assert.deepEqual((await api(base, '/api/unban', { user: 'alice', channel: 'chat:k' })).body, {
    user: 'alice',
    channel: 'chat:k',
    unbanned: true,
  });
  assert.equal((await api(base, '/api/unban', { user: 'alice', channel: 'nope:k' })).status, 404);
  assert.equal((await alice.request({ type: 'subscribe', channel: 'chat:k' })).type, 'subscribed');
});
