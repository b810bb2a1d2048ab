// Moderation across real `switchboard serve` processes on one Redis: a ban issued with the CLI against one node closes
// the user on the other and keeps them out there until lifted; a delete through one node's API reaches subscribers on the other,
// and a kick crosses nodes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { signToken } from '../../src/realtime/index.ts';
import { runCli } from '../helpers/cli-fixtures.ts';
import { openRaw, type TestClient } from '../helpers/realtime.ts';
import { CLUSTER_API_KEY, CLUSTER_SECRET, startNode, startRedis } from './harness/nodes.ts';

function token(user: string): Promise<string> {
  return signToken({ sub: user, roles: ['user'], ttlMs: 3_600_000 }, { type: 'secret', secret: CLUSTER_SECRET });
}

function cli(args: string[], env: Record<string, string>) {
  return runCli(['bin/switchboard.js', ...args], { ...process.env, NODE_OPTIONS: '', ...env });
}

async function api(
  base: string,
  path: string,
  body: unknown,
): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(`${base}${path}`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', 'X-API-Key': CLUSTER_API_KEY },
    body: JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

test('two nodes on Redis: a CLI ban on one node closes and refuses the user on the other; delete and kick cross nodes', async (t) => {
  const redis = await startRedis(t);
  const [a, b] = await Promise.all([
    startNode(t, 'a', { broker: redis.url }),
    startNode(t, 'b', { broker: redis.url }),
  ]);
  const wsOf = (port: number): string => `ws://127.0.0.1:${port}/ws`;
  const connect = async (port: number, user: string): Promise<TestClient> => {
    const c = await openRaw(t, wsOf(port));
    const answer = await c.request({ type: 'connect', token: await token(user) });
    assert.equal(answer.type, 'connected', JSON.stringify(answer));
    return c;
  };

  // Delete: published and deleted through node a, seen on node b.
  const bob = await connect(b.port, 'bob');
  await bob.request({ type: 'subscribe', channel: 'chat:mod' });
  const placed = await api(a.httpUrl, '/api/publish', { channel: 'chat:mod', data: 'spam', id: 'spam-1' });
  assert.equal(placed.status, 200);
  await bob.next((m) => m.type === 'publication', 5000);
  const deleted = await api(a.httpUrl, '/api/delete', { channel: 'chat:mod', offset: placed.body['offset'] });
  assert.equal(deleted.status, 200, JSON.stringify(deleted.body));
  assert.equal((await bob.next((m) => m.type === 'deleted', 5000))['offset'], placed.body['offset']);

  // Kick through node a: bob, on node b, is unsubscribed.
  const kicked = await api(a.httpUrl, '/api/kick', { user: 'bob', channel: 'chat:mod', reason: 'test' });
  assert.equal(kicked.status, 200);
  const gone = await bob.next((m) => m.type === 'unsubscribed', 5000);
  assert.deepEqual([gone['channel'], gone['code']], ['chat:mod', 'forbidden']);

  // Ban with the CLI against node a: mallory's session on node b closes, and node b refuses her reconnect.
  const mallory = await connect(b.port, 'mallory');
  const env = { SWITCHBOARD_URL: a.httpUrl, SWITCHBOARD_API_KEY: CLUSTER_API_KEY };
  const banned = await cli(['ban', 'mallory', '--duration', '1m', '--reason', 'cluster test'], env);
  assert.equal(banned.code, 0, banned.err);
  assert.equal((await mallory.waitClose(5000)).code, 4504);
  const retry = await openRaw(t, wsOf(b.port));
  const refused = await retry.request({ type: 'connect', token: await token('mallory') });
  assert.deepEqual([refused.type, refused['code']], ['error', 'forbidden']);
  const listed = await cli(['bans', '--url', b.httpUrl], env);
  assert.match(listed.out, /^mallory\tuntil .*\tcluster test$/m);
  // Lifted through node b: node a lets her in again.
  const unbanned = await cli(['unban', 'mallory', '--url', b.httpUrl], env);
  assert.deepEqual([unbanned.code, unbanned.out], [0, 'unbanned mallory\n']);
  await connect(a.port, 'mallory');
});
