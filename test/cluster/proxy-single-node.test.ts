// Cluster harness check: the committed nginx and HAProxy configs carry WebSocket traffic to one node (memory broker),
// serve the health locations, and pass the node's drain (close 1001) through to the client.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ClusterClient } from './harness/client.ts';
import { startCluster } from './harness/cluster.ts';
import { httpStatus } from './harness/process.ts';

for (const kind of ['nginx', 'haproxy'] as const) {
  test(`${kind}: one node behind deploy/ config: upgrade passes (OW-4), publish round trip, /health and /ready through the proxy, SIGTERM drain reaches the client as 1001`, async (t) => {
    const cluster = await startCluster(t, { proxy: kind, broker: 'memory:', count: 1 });
    const { proxy, nodes } = cluster;
    assert.equal(await httpStatus(`${proxy.httpUrl}/health`), 200);
    assert.equal(await httpStatus(`${proxy.httpUrl}/ready`), 200);

    const alice = new ClusterClient({ url: proxy.wsUrl, user: 'alice', channels: ['chat:room'], reconnect: false, localAddress: '127.0.1.1' });
    const bob = new ClusterClient({ url: proxy.wsUrl, user: 'bob', channels: ['chat:room'], reconnect: false, localAddress: '127.0.2.1' });
    t.after(() => { alice.close(); bob.close(); });
    await alice.start();
    await bob.start();
    const ack = await alice.publish('chat:room', { text: 'hi' }, 'm-1');
    assert.equal(ack.ok, true);
    await bob.until('the publication', () => bob.received.some((r) => r.id === 'm-1'));
    assert.deepEqual(bob.received.map((r) => r.data), [{ text: 'hi' }]);

    nodes[0]!.child.signal('SIGTERM');
    await bob.until('the drain close', () => bob.closeCodes.length > 0);
    assert.deepEqual(bob.closeCodes, [1001], 'RFC 6455 §7.4.1 1001 going away, through the proxy');
    assert.equal(await nodes[0]!.child.exited, 0);
  });
}
