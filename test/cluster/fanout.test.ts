// Three nodes on one Redis behind the committed nginx and HAProxy configs: a broadcast reaches every client on every
// node, a private message crosses nodes, presence agrees on every node.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spreadClients, startCluster } from './harness/cluster.ts';
import { CLUSTER_API_KEY, startRedis } from './harness/nodes.ts';
import { publishStream, record, settle, tally } from './harness/figures.ts';

for (const kind of ['nginx', 'haproxy'] as const) {
  test(`${kind}: 3 nodes on Redis: a broadcast reaches every client on every node once, in order; an HTTP publish on one node reaches all`, async (t) => {
    const redis = await startRedis(t);
    const cluster = await startCluster(t, { proxy: kind, broker: redis.url, count: 3 });
    const placed = await spreadClients(t, cluster, 2, (i) => ({ user: `u${i}`, channels: ['chat:all'] }));
    assert.deepEqual([...new Set(placed.map((p) => p.node))].sort(), [0, 1, 2], 'clients on every node');
    const subscribers = placed.map((p) => p.client);
    const stream = publishStream(subscribers[0]!, 'chat:all', { count: 40, intervalMs: 2, prefix: `${kind}-bcast` });
    await stream.done;
    // A server-side publish through one node's HTTP API, straight to the node (not through the proxy).
    const api = await fetch(`${cluster.nodes[2]!.httpUrl}/api/publish`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'X-API-Key': CLUSTER_API_KEY },
      body: JSON.stringify({ channel: 'chat:all', data: { from: 'api' }, id: 'api-1' }),
    });
    assert.equal(api.status, 200);
    stream.attempted++;
    stream.acked.set('api-1', ((await api.json()) as { offset: number }).offset);
    await settle(stream, subscribers, 'chat:all');
    const figures = tally('broadcast', kind, stream, subscribers, 'chat:all');
    record(figures);
    t.diagnostic(JSON.stringify(figures));
    assert.equal(figures.acknowledged, 41);
    assert.equal(figures.delivered, 41 * subscribers.length);
    assert.equal(figures.lost, 0);
    assert.equal(figures.duplicated, 0);
    assert.equal(figures.outOfOrder, 0);
  });

  test(`${kind}: 3 nodes on Redis: a private message reaches every connection of a user on other nodes, and only them`, async (t) => {
    const redis = await startRedis(t);
    const cluster = await startCluster(t, { proxy: kind, broker: redis.url, count: 3 });
    // Users: bob has a connection on two nodes; alice (sender) and carol elsewhere.
    const placed = await spreadClients(t, cluster, 2, (i) => {
      const user = ['alice', 'bob', 'carol', 'bob', 'dave', 'erin'][i] ?? `x${i}`;
      return { user, channels: [`user:${user}`] };
    });
    const alice = placed.find((p) => p.client.options.user === 'alice')!;
    const bobs = placed.filter((p) => p.client.options.user === 'bob');
    assert.equal(bobs.length, 2);
    assert.ok(
      bobs.some((b) => b.node !== alice.node),
      "at least one of bob's connections is on another node than alice",
    );
    const reply = await alice.client.request({ type: 'send', user: 'bob', data: { text: 'psst' }, id: 'pm-1' });
    assert.equal(reply.type, 'reply', JSON.stringify(reply));
    for (const b of bobs)
      await b.client.until('the private message', () => b.client.received.some((r) => r.id === 'pm-1'));
    for (const b of bobs) {
      const got = b.client.received.filter((r) => r.id === 'pm-1');
      assert.equal(got.length, 1);
      assert.equal(got[0]!.channel, 'user:bob');
      assert.deepEqual(got[0]!.data, { text: 'psst' });
    }
    // Nobody else got it (give the fan-out time to misbehave).
    await new Promise((r) => setTimeout(r, 200));
    for (const p of placed)
      if (p.client.options.user !== 'bob') assert.equal(p.client.received.filter((r) => r.id === 'pm-1').length, 0);
  });

  test(`${kind}: 3 nodes on Redis: presence agrees on every node (users and connection counts), join/leave cross nodes`, async (t) => {
    const redis = await startRedis(t);
    const cluster = await startCluster(t, { proxy: kind, broker: redis.url, count: 3 });
    const placed = await spreadClients(t, cluster, 2, (i) => ({
      user: ['ann', 'ben', 'cat', 'ann', 'dan', 'eve'][i] ?? `x${i}`,
      channels: ['chat:lobby'],
      presence: true,
    }));
    const expected = [
      { user: 'ann', connections: 2 },
      { user: 'ben', connections: 1 },
      { user: 'cat', connections: 1 },
      { user: 'dan', connections: 1 },
      { user: 'eve', connections: 1 },
    ];
    const left = new Set<string>();
    const viewOf = async (node: number): Promise<unknown> => {
      const asker = placed.find((p) => p.node === node && !left.has(p.client.options.user))!.client;
      const reply = await asker.request({ type: 'presence', channel: 'chat:lobby' });
      assert.equal(reply.type, 'reply', JSON.stringify(reply));
      const users = (reply['data'] as { users: { user: string; connections: number }[] }).users;
      return users
        .map((u) => ({ user: u.user, connections: u.connections }))
        .sort((a, b) => a.user.localeCompare(b.user));
    };
    for (const node of [0, 1, 2]) assert.deepEqual(await viewOf(node), expected, `node ${node}'s view`);

    // ben leaves: everybody on every node sees the leave, and every node's presence drops him.
    const ben = placed.find((p) => p.client.options.user === 'ben')!;
    left.add('ben');
    ben.client.close();
    for (const p of placed) {
      if (p === ben) continue;
      await p.client.until("ben's leave", () =>
        p.client.presenceEvents.some((e) => e.type === 'leave' && e['user'] === 'ben'),
      );
    }
    const without = expected.filter((u) => u.user !== 'ben');
    for (const node of [0, 1, 2]) assert.deepEqual(await viewOf(node), without, `node ${node}'s view after ben left`);
  });
}
