// Redis faults under three nodes behind the committed nginx and HAProxy configs (docs/security-cases.md RD-01..RD-04, RD-06,
// RD-05, RD-10): Redis killed mid-stream and restarted; restarted empty; pub/sub connections kicked with CLIENT KILL TYPE pubsub.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ClusterClient } from './harness/client.ts';
import { spreadClients, startCluster } from './harness/cluster.ts';
import { startRedis } from './harness/nodes.ts';
import { httpStatus } from './harness/process.ts';
import { publishStream, record, settle, tally } from './harness/figures.ts';

const CHANNEL = 'chat:feed';

for (const kind of ['nginx', 'haproxy'] as const) {
  test(`${kind}: Redis killed mid-stream and restarted: publishers get errors while it is down (no silent loss), /ready stays 200 and /health reports it, subscribers get every acknowledged message once (RD-01, RD-02, RD-03, RD-10)`, async (t) => {
    const redis = await startRedis(t, { persistent: true });
    const cluster = await startCluster(t, { proxy: kind, broker: redis.url, count: 3 });
    const placed = await spreadClients(t, cluster, 2, (i) => ({ user: `r${i}`, channels: [CHANNEL] }));
    const subscribers = placed.map((p) => p.client);
    const publisher = placed.find((p) => p.node === 0)!.client;
    const probe = cluster.nodes[1]!;
    let outage: Promise<{ ready: number; health: unknown }> | null = null;
    let restarted: Promise<void> | null = null;
    const stream = publishStream(publisher, CHANNEL, {
      count: 500,
      intervalMs: 10,
      prefix: `${kind}-redis`,
      onIndex: (n) => {
        if (n !== 50) return;
        redis.child.signal('SIGKILL');
        outage = (async () => {
          await redis.child.exited;
          await new Promise((r) => setTimeout(r, 700));
          const health = await (await fetch(`${probe.httpUrl}/health`)).json();
          return { ready: await httpStatus(`${probe.httpUrl}/ready`), health };
        })();
        restarted = (async () => {
          await new Promise((r) => setTimeout(r, 1500));
          await redis.restart();
        })();
      },
    });
    await stream.done;
    await restarted;
    const during = await outage!;
    await settle(stream, subscribers, CHANNEL, 20_000);
    const figures = tally('Redis killed and restarted', kind, stream, subscribers, CHANNEL, {
      readyDuringOutage: during.ready,
      healthBrokerOkDuringOutage: (during.health as { broker?: { ok?: boolean } }).broker?.ok ?? null,
    });
    record(figures);
    t.diagnostic(JSON.stringify(figures));

    assert.ok(stream.failed.size > 0, 'publishes during the outage got an error reply');
    assert.ok(
      Object.keys(figures.errors).every(
        (code) => code === 'broker_unavailable' || code === 'internal' || code === 'timeout',
      ),
      JSON.stringify(figures.errors),
    );
    assert.ok(
      [...stream.acked.keys()].some((id) => Number(id.split('-').at(-1)) > 50 + stream.failed.size),
      'publishes are acknowledged again after the restart',
    );
    assert.equal(figures.lost, 0, 'every acknowledged message reached every subscriber');
    assert.equal(figures.duplicated, 0);
    assert.equal(figures.outOfOrder, 0);
    assert.equal(during.ready, 200, '/ready is node-local: a Redis outage does not empty the balancer (RD-10)');
    assert.equal(
      (during.health as { broker: { ok: boolean } }).broker.ok,
      false,
      '/health reports the broker down (RD-01)',
    );
  });

  test(`${kind}: CLIENT KILL TYPE pubsub mid-stream: every node resubscribes on its own and the gap is recovered (RD-06)`, async (t) => {
    const redis = await startRedis(t);
    const cluster = await startCluster(t, { proxy: kind, broker: redis.url, count: 3 });
    const placed = await spreadClients(t, cluster, 2, (i) => ({ user: `p${i}`, channels: [CHANNEL] }));
    const subscribers = placed.map((p) => p.client);
    const publisher = placed.find((p) => p.node === 0)!.client;
    let killed = '';
    const stream = publishStream(publisher, CHANNEL, {
      count: 150,
      intervalMs: 10,
      prefix: `${kind}-kick`,
      onIndex: async (n) => {
        if (n === 50) killed = await redis.command('CLIENT KILL TYPE pubsub');
      },
    });
    await stream.done;
    await settle(stream, subscribers, CHANNEL, 20_000);
    const pubsubClients = (await redis.command('CLIENT LIST TYPE pubsub'))
      .split('\n')
      .filter((l) => l.includes('id=')).length;
    const figures = tally('CLIENT KILL TYPE pubsub', kind, stream, subscribers, CHANNEL, {
      killedReply: killed.trim(),
      pubsubClientsAfter: pubsubClients,
    });
    record(figures);
    t.diagnostic(JSON.stringify(figures));

    assert.match(killed, /^:[3-9]\d*\r\n$|^:\d{2,}\r\n$/, 'the pub/sub connection of every node was killed');
    assert.equal(figures.acknowledged, 150);
    assert.equal(figures.lost, 0);
    assert.equal(figures.duplicated, 0);
    assert.equal(figures.outOfOrder, 0);
    assert.ok(pubsubClients >= 3, 'each node has a pub/sub connection again');
  });

  test(`${kind}: Redis restarted empty: live subscribers follow the new epoch; a client reconnecting with the old epoch gets recovered:false (RD-05)`, async (t) => {
    const redis = await startRedis(t);
    const cluster = await startCluster(t, { proxy: kind, broker: redis.url, count: 3 });
    const placed = await spreadClients(t, cluster, 1, (i) => ({ user: `e${i}`, channels: [CHANNEL] }));
    const subscribers = placed.map((p) => p.client);
    const publisher = placed[0]!.client;
    const before = publishStream(publisher, CHANNEL, { count: 20, intervalMs: 5, prefix: `${kind}-old` });
    await before.done;
    await settle(before, subscribers, CHANNEL);
    const oldPosition = { ...subscribers[1]!.positions.get(CHANNEL)! };

    redis.child.signal('SIGKILL');
    await redis.child.exited;
    await redis.restart();
    const after = publishStream(publisher, CHANNEL, { count: 20, intervalMs: 5, prefix: `${kind}-new`, retry: true });
    await after.done;
    await settle(after, subscribers, CHANNEL);

    // A client that slept through the restart comes back with its old position.
    const late = new ClusterClient({
      url: cluster.proxy.wsUrl,
      user: 'late',
      channels: [CHANNEL],
      localAddress: '127.0.9.1',
    });
    t.after(() => late.close());
    late.positions.set(CHANNEL, oldPosition);
    await late.start();
    const newEpoch = late.positions.get(CHANNEL)!.epoch;
    const stream = {
      ...after,
      acked: new Map([...before.acked, ...after.acked]),
      attempted: before.attempted + after.attempted,
    };
    const figures = tally('Redis restarted empty', kind, stream, subscribers, CHANNEL, {
      oldEpoch: oldPosition.epoch,
      newEpoch,
      lateClientUnrecovered: late.unrecovered,
      lateClientRecoveredPublications: late.received.length,
    });
    record(figures);
    t.diagnostic(JSON.stringify(figures));

    assert.notEqual(newEpoch, oldPosition.epoch, 'a Redis that lost its data starts a new epoch');
    assert.equal(late.unrecovered, 1, 'subscribe with the old epoch answers recovered:false');
    assert.equal(late.received.length, 0, 'and no publication of another epoch');
    assert.equal(figures.acknowledged, 40);
    assert.equal(figures.lost, 0, "live subscribers got both epochs' messages");
    assert.equal(figures.duplicated, 0);
    assert.equal(figures.outOfOrder, 0);
    for (const c of subscribers)
      assert.deepEqual([...new Set(c.received.map((r) => r.epoch))], [oldPosition.epoch, newEpoch]);
  });
}
