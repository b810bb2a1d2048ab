// Three nodes over one Redis behind a round-robin proxy (no sticky sessions): every POST and poll reaches the node
// holding its session through the broker (docs/protocol.md § 15.1); a dead node's sessions answer 503 unavailable.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RedisBroker } from '../../../src/broker/index.ts';
import { PollSession, send, SseSession } from '../../helpers/http-session.ts';
import { startHttpServer, type TestHttpServer } from '../../helpers/http-session-server.ts';
import { startRedis } from '../../helpers/redis-server.ts';
import { startRoundRobinProxy } from '../../helpers/round-robin-proxy.ts';

async function cluster(t: Parameters<typeof startHttpServer>[0], options: Parameters<typeof startHttpServer>[1] = {}) {
  const redis = await startRedis(t);
  const nodes: TestHttpServer[] = [];
  for (let i = 0; i < 3; i++) {
    const broker = await RedisBroker.connect({ url: redis.url });
    t.after(() => broker.close());
    nodes.push(await startHttpServer(t, { broker, ...options }));
  }
  const proxy = await startRoundRobinProxy(
    t,
    nodes.map((n) => n.port),
  );
  return { redis, nodes, proxy };
}

function owner(nodes: readonly TestHttpServer[], session: string): number {
  return nodes.findIndex((n) => session.startsWith(`${n.server.hub.nodeId}.`));
}

test('event streams behind a round-robin proxy: every send reaches its stream, across three nodes', async (t) => {
  const { nodes, proxy } = await cluster(t);
  const users = ['ann', 'ben', 'cid'];
  const streams: SseSession[] = [];
  for (const user of users) {
    const s = await SseSession.open(proxy.base, await nodes[0]!.auth(user));
    if (!(s instanceof SseSession)) throw new Error(`refused: ${s.status}`);
    t.after(() => s.close());
    streams.push(s);
  }
  // Round robin spreads the streams over the three nodes.
  assert.deepEqual(streams.map((s) => owner(nodes, s.session)).sort(), [0, 1, 2]);
  for (const [i, s] of streams.entries()) {
    const headers = await nodes[0]!.auth(users[i]!);
    assert.equal((await send(proxy.base, s.session, [{ type: 'connect', rid: 1 }], headers)).status, 204);
    assert.equal(
      (await send(proxy.base, s.session, [{ type: 'subscribe', rid: 2, channel: 'chat:cluster' }], headers)).status,
      204,
    );
    await s.next('subscribed', (m) => m['re'] === 2);
  }
  // Each user publishes 6 messages, one POST each: the proxy sends them to all three nodes in turn.
  for (let n = 0; n < 6; n++) {
    for (const [i, s] of streams.entries()) {
      const publish = {
        type: 'publish',
        rid: 10 + n,
        channel: 'chat:cluster',
        data: { from: users[i], n },
        id: `${users[i]}-${n}`,
      };
      const res = await send(proxy.base, s.session, [publish], await nodes[0]!.auth(users[i]!));
      assert.equal(res.status, 204);
    }
    // One more request per round, so that each stream's POSTs meet every node in turn rather than one.
    await (await fetch(`${proxy.base}/health`)).arrayBuffer();
  }
  for (const s of streams) {
    for (const user of users) {
      for (let n = 0; n < 6; n++) {
        await s.next('publication', (m) => {
          const data = m['data'] as { from: string; n: number };
          return data.from === user && data.n === n;
        });
      }
    }
  }
  // Forwarded requests were counted on the nodes that forwarded them.
  let forwarded = 0;
  for (const node of nodes) {
    const text = await (await fetch(`${node.base}/metrics`)).text();
    for (const m of text.matchAll(
      /^switchboard_http_forwarded_requests_total\{op="send",outcome="answered"\} (\d+)$/gm,
    ))
      forwarded += Number(m[1]);
    assert.match(text, /^switchboard_http_sessions\{transport="sse"\} 1$/m);
  }
  assert.ok(forwarded >= 12, `forwarded sends: ${forwarded}`);
});

test('polling sessions behind a round-robin proxy: polls and sends reach the owning node, nothing lost or doubled', async (t) => {
  const { nodes, proxy } = await cluster(t, { httpTransports: { pollTimeoutMs: 2000 } });
  const headers = await nodes[0]!.auth('dora');
  const p = await PollSession.open(proxy.base, headers);
  if (!(p instanceof PollSession)) throw new Error(`refused: ${p.status}`);
  t.after(() => p.stop());
  p.start();
  await p.send([
    { type: 'connect', rid: 1 },
    { type: 'subscribe', rid: 2, channel: 'chat:polls' },
  ]);
  await p.next('subscribed', (m) => m['re'] === 2);
  for (let n = 0; n < 12; n++) {
    const res = await p.send([{ type: 'publish', rid: 10 + n, channel: 'chat:polls', data: { n }, id: `d-${n}` }]);
    assert.equal(res.status, 204);
  }
  for (let n = 0; n < 12; n++) await p.next('publication', (m) => (m['data'] as { n: number }).n === n);
  const deadline = Date.now() + 5000;
  while (p.seqs.length < 2 + 12 + 12 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
  assert.deepEqual(
    p.seqs,
    Array.from({ length: 26 }, (_, i) => i + 1),
  );
  const publications = p.messages.items
    .filter((m) => m.type === 'publication')
    .map((m) => (m['data'] as { n: number }).n);
  assert.deepEqual(
    publications,
    Array.from({ length: 12 }, (_, i) => i),
  );
  // Some of those went through each node, and polls were forwarded to the owning node.
  assert.ok(
    proxy.counts.every((c) => c > 3),
    `requests per node: ${proxy.counts}`,
  );
  let forwardedPolls = 0;
  for (const node of nodes) {
    const text = await (await fetch(`${node.base}/metrics`)).text();
    const m = /^switchboard_http_forwarded_requests_total\{op="poll",outcome="answered"\} (\d+)$/m.exec(text);
    forwardedPolls += Number(m?.[1] ?? 0);
  }
  assert.ok(forwardedPolls > 0, 'no poll was forwarded');
});

test("a request for a session on a node that is gone is 503 unavailable after the forward timeout; another user's is 403 across nodes", async (t) => {
  const { nodes } = await cluster(t, { httpTransports: { forwardTimeoutMs: 300 } });
  const s = await SseSession.open(nodes[0]!.base, await nodes[0]!.auth('eve'));
  if (!(s instanceof SseSession)) throw new Error(`refused: ${s.status}`);
  // Another user, through another node: the owning node refuses.
  const other = await send(nodes[1]!.base, s.session, [{ type: 'ping', rid: 1 }], await nodes[1]!.auth('frank'));
  assert.equal(other.status, 403);
  assert.equal(((await other.json()) as { error: string }).error, 'forbidden');
  const unknown = await send(nodes[1]!.base, `${nodes[0]!.server.hub.nodeId}.AAAAAAAAAAAAAAAAAAAAAA`, [
    { type: 'ping', rid: 1 },
  ]);
  assert.equal(unknown.status, 404);
  assert.equal(((await unknown.json()) as { error: string }).error, 'unknown_session');
  s.close();
  await nodes[0]!.server.close({ timeoutMs: 500 });
  const gone = await send(nodes[1]!.base, s.session, [{ type: 'ping', rid: 1 }], await nodes[1]!.auth('eve'));
  assert.equal(gone.status, 503);
  assert.equal(((await gone.json()) as { error: string }).error, 'unavailable');
  const text = await (await fetch(`${nodes[1]!.base}/metrics`)).text();
  assert.match(text, /^switchboard_http_forwarded_requests_total\{op="send",outcome="timeout"\} 1$/m);
});

test('DELETE /http/poll through another node ends the session on its own node', async (t) => {
  const { nodes } = await cluster(t, { httpTransports: { pollTimeoutMs: 30_000 } });
  const ivy = await nodes[0]!.auth('ivy');
  const p = await PollSession.open(nodes[0]!.base, ivy);
  if (!(p instanceof PollSession)) throw new Error(`refused: ${p.status}`);
  const path = `/http/poll?session=${encodeURIComponent(p.session)}`;
  const stolen = await fetch(`${nodes[1]!.base}${path}`, { method: 'DELETE', headers: await nodes[1]!.auth('jack') });
  assert.equal(stolen.status, 403);
  assert.equal(nodes[0]!.server.hub.connectionCount, 1);
  const ended = await fetch(`${nodes[1]!.base}${path}`, { method: 'DELETE', headers: ivy });
  assert.equal(ended.status, 204);
  assert.equal(nodes[0]!.server.hub.connectionCount, 0);
  assert.equal((await p.pollRaw(0)).status, 404);
  const text = await (await fetch(`${nodes[1]!.base}/metrics`)).text();
  assert.match(text, /^switchboard_http_forwarded_requests_total\{op="end",outcome="answered"\} 2$/m);
});

test('a forwarded poll whose client went away lets the owning node time the session out', async (t) => {
  const { nodes } = await cluster(t, { httpTransports: { pollTimeoutMs: 30_000, sessionTimeoutMs: 500 } });
  const p = await PollSession.open(nodes[0]!.base);
  if (!(p instanceof PollSession)) throw new Error(`refused: ${p.status}`);
  const away = new AbortController();
  // Held on node 0 through node 1; the client leaves.
  const held = fetch(`${nodes[1]!.base}/http/poll?session=${encodeURIComponent(p.session)}&ack=0`, {
    signal: away.signal,
  }).catch(() => null);
  await new Promise((r) => setTimeout(r, 200));
  away.abort();
  await held;
  // Had the held poll stayed on node 0, it would keep the session for the 30 s poll timeout.
  const deadline = Date.now() + 10_000;
  while (nodes[0]!.server.hub.connectionCount > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  assert.equal(nodes[0]!.server.hub.connectionCount, 0);
  assert.equal((await p.pollRaw(0)).status, 404);
});

test('with the broker down, a request for another node is 503 unavailable; one for this node still works', async (t) => {
  const { nodes, redis } = await cluster(t, { httpTransports: { forwardTimeoutMs: 1000 } });
  const s = await SseSession.open(nodes[0]!.base, await nodes[0]!.auth('gus'));
  if (!(s instanceof SseSession)) throw new Error(`refused: ${s.status}`);
  t.after(() => s.close());
  const headers = await nodes[0]!.auth('gus');
  assert.equal((await send(nodes[0]!.base, s.session, [{ type: 'connect', rid: 1 }], headers)).status, 204);
  await s.next('connected');
  await redis.kill();
  const forwarded = await send(nodes[1]!.base, s.session, [{ type: 'ping', rid: 2 }], headers);
  assert.equal(forwarded.status, 503);
  assert.equal(((await forwarded.json()) as { error: string }).error, 'unavailable');
  const local = await send(nodes[0]!.base, s.session, [{ type: 'ping', rid: 3 }], headers);
  assert.equal(local.status, 204);
  await s.next('reply', (m) => m['re'] === 3);
});
