// Node faults behind the committed nginx and HAProxy configs (docs/security-cases.md RD-12, SD-01, SD-03, SD-04): kill -9 or
// SIGTERM one of three Redis-backed nodes in the middle of a publish stream; its clients reconnect through the proxy to
// the others and recover with no gap and no duplicate; a dead node's presence entries vanish within the bound.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ClusterClient } from './harness/client.ts';
import { spreadClients, startCluster, type Placed } from './harness/cluster.ts';
import { CLUSTER_PRESENCE_HEARTBEAT_MS, startRedis } from './harness/nodes.ts';
import { publishStream, record, settle, tally } from './harness/figures.ts';

/** The stated bound: a dead node's presence entries vanish within 3 heartbeats (docs of RedisBroker presenceHeartbeatMs). */
const PRESENCE_BOUND_MS = 3 * CLUSTER_PRESENCE_HEARTBEAT_MS;
const CHANNEL = 'chat:stream';

async function presenceOf(asker: ClusterClient): Promise<Map<string, number>> {
  const reply = await asker.request({ type: 'presence', channel: CHANNEL });
  assert.equal(reply.type, 'reply', JSON.stringify(reply));
  return new Map(
    (reply['data'] as { users: { user: string; connections: number }[] }).users.map((u) => [u.user, u.connections]),
  );
}

for (const kind of ['nginx', 'haproxy'] as const) {
  for (const fault of ['SIGKILL', 'SIGTERM'] as const) {
    const title =
      fault === 'SIGKILL'
        ? `${kind}: kill -9 one node mid-stream: its clients reconnect through the proxy and recover with no gap and no duplicate; its presence entries vanish within the bound (RD-12)`
        : `${kind}: SIGTERM one node mid-stream: it drains with 1001 and exits 0, its clients move through the proxy, nothing is lost or duplicated (SD-01, SD-03, SD-04)`;
    test(title, async (t) => {
      const redis = await startRedis(t);
      const cluster = await startCluster(t, { proxy: kind, broker: redis.url, count: 3 });
      const placed = await spreadClients(t, cluster, 3, (i) => ({
        user: `${fault === 'SIGKILL' ? 'k' : 't'}${i}`,
        channels: [CHANNEL],
        presence: true,
      }));
      const victim = 2;
      const onVictim = placed.filter((p) => p.node === victim);
      // One client on the victim leaves for good when its node goes: its presence must disappear with the node.
      const ghost = onVictim[0]!;
      ghost.client.stopReconnecting();
      const movers = onVictim.slice(1);
      const subscribers = placed.filter((p) => p !== ghost).map((p) => p.client);
      const publisher = placed.find((p) => p.node === 0)!.client;
      const observer = placed.find((p) => p.node === 1)!.client;
      let faultAt = 0;
      // From the fault on, poll both surviving nodes until neither lists the ghost (bounded by the presence heartbeat).
      let ghostGone: Promise<number> = Promise.resolve(0);
      const watchGhost = async (): Promise<number> => {
        const giveUp = faultAt + PRESENCE_BOUND_MS + 10_000;
        while (Date.now() < giveUp) {
          const views = await Promise.all([presenceOf(publisher), presenceOf(observer)]);
          if (views.every((v) => !v.has(ghost.client.options.user))) return Date.now() - faultAt;
          await new Promise((r) => setTimeout(r, 100));
        }
        return Infinity;
      };
      const stream = publishStream(publisher, CHANNEL, {
        count: 150,
        intervalMs: 10,
        prefix: `${kind}-${fault}`,
        onIndex: (n) => {
          if (n !== 50) return;
          faultAt = Date.now();
          cluster.nodes[victim]!.child.signal(fault);
          ghostGone = watchGhost();
        },
      });
      await stream.done;
      await settle(stream, subscribers, CHANNEL, 20_000);
      const exit = await Promise.race([
        cluster.nodes[victim]!.child.exited,
        new Promise((r) => setTimeout(() => r('still running'), 15_000)),
      ]);
      const ghostGoneMs = await ghostGone;

      // Once the movers are back, every surviving node counts each subscriber once (its old entry on the dead node is gone).
      let agreed = false;
      for (let i = 0; i < 50 && !agreed; i++) {
        const views = await Promise.all([presenceOf(publisher), presenceOf(observer)]);
        agreed = views.every(
          (v) => !v.has(ghost.client.options.user) && subscribers.every((c) => v.get(c.options.user) === 1),
        );
        if (!agreed) await new Promise((r) => setTimeout(r, 100));
      }
      const figures = tally(fault === 'SIGKILL' ? 'kill -9 node' : 'SIGTERM node', kind, stream, subscribers, CHANNEL, {
        movers: movers.length,
        moverCloseCodes: movers.map((m: Placed) => m.client.closeCodes[0] ?? null),
        victimExit: exit,
        ghostPresenceGoneMs: ghostGoneMs,
        presenceBoundMs: PRESENCE_BOUND_MS,
      });
      record(figures);
      t.diagnostic(JSON.stringify(figures));

      assert.equal(figures.lost, 0, 'no acknowledged message lost');
      assert.equal(figures.duplicated, 0, 'no duplicate');
      assert.equal(figures.outOfOrder, 0, 'offsets contiguous at every subscriber');
      assert.equal(figures.unrecovered, 0, 'every resubscribe recovered');
      assert.equal(figures.acknowledged, 150, 'the publisher on a surviving node never failed');
      assert.equal(figures.delivered, 150 * subscribers.length);
      for (const m of movers) {
        assert.ok(m.client.reconnects >= 1, 'mover reconnected');
        assert.equal(
          m.client.closeCodes[0],
          fault === 'SIGKILL' ? 1006 : 1001,
          fault === 'SIGTERM' ? 'RFC 6455 §7.4.1 1001 going away on drain' : 'abnormal closure',
        );
        assert.ok(m.client.connected);
      }
      if (fault === 'SIGTERM') assert.equal(exit, 0, 'the drained node exits 0');
      // 2 s of slack for polling and a loaded machine on top of the stated bound.
      assert.ok(
        ghostGoneMs <= PRESENCE_BOUND_MS + 2000,
        `the dead node's presence vanished in ${ghostGoneMs} ms (bound ${PRESENCE_BOUND_MS} ms)`,
      );
      assert.ok(agreed, 'both surviving nodes count every subscriber once');
      assert.ok(
        observer.presenceEvents.some((e) => e.type === 'leave' && e['user'] === ghost.client.options.user),
        "leave for the dead node's user",
      );
    });
  }
}
