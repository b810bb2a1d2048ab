// Rolling restart behind the committed nginx and HAProxy configs (docs/security-cases.md SD-05, SD-03): each of three
// Redis-backed nodes is stopped with SIGTERM and started again on its port in turn, under a publish stream whose
// publisher retries failed publishes with the same id. Every subscriber ends with every message once, in order.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spreadClients, startCluster } from './harness/cluster.ts';
import { startRedis } from './harness/nodes.ts';
import { publishStream, record, settle, tally } from './harness/figures.ts';

const CHANNEL = 'chat:rolling';

for (const kind of ['nginx', 'haproxy'] as const) {
  test(`${kind}: rolling restart of all three nodes under a publish stream: zero lost, zero duplicated, every node exits 0 (SD-05)`, async (t) => {
    const redis = await startRedis(t);
    const cluster = await startCluster(t, { proxy: kind, broker: redis.url, count: 3 });
    const placed = await spreadClients(t, cluster, 2, (i) => ({ user: `w${i}`, channels: [CHANNEL] }));
    const subscribers = placed.map((p) => p.client);
    const publisher = placed[0]!.client;
    const exits: (number | string)[] = [];
    let rolled: Promise<void> = Promise.resolve();
    const stream = publishStream(publisher, CHANNEL, {
      count: 600,
      intervalMs: 10,
      prefix: `${kind}-roll`,
      retry: true,
      onIndex: (n) => {
        if (n !== 20) return;
        rolled = (async () => {
          for (const node of cluster.nodes) {
            node.child.signal('SIGTERM');
            exits.push(await node.child.exited);
            await node.restart();
            await new Promise((r) => setTimeout(r, 1000));
          }
        })();
      },
    });
    await stream.done;
    await rolled;
    await settle(stream, subscribers, CHANNEL, 20_000);
    const figures = tally('rolling restart', kind, stream, subscribers, CHANNEL, {
      retries: stream.retries,
      nodeExits: exits,
    });
    record(figures);
    t.diagnostic(JSON.stringify(figures));

    assert.deepEqual(exits, [0, 0, 0], 'each node drained and exited 0');
    assert.equal(figures.acknowledged, 600, 'every publish acknowledged in the end (retried with its id)');
    assert.equal(figures.lost, 0);
    assert.equal(figures.duplicated, 0, 'retries with the same id are delivered once (docs/protocol.md §8)');
    assert.equal(figures.outOfOrder, 0);
    assert.equal(figures.unrecovered, 0);
    assert.ok(
      subscribers.every((c) => c.reconnects >= 1),
      'every client moved at least once',
    );
  });
}
