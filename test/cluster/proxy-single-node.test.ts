// Cluster harness check: the committed nginx and HAProxy configs carry WebSocket traffic to one node (memory broker),
// serve the health locations, and pass the node's drain (close 1001) through to the client.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ClusterClient } from './harness/client.ts';
import { startCluster } from './harness/cluster.ts';
import { httpStatus } from './harness/process.ts';
import { clusterConfig } from './harness/nodes.ts';

for (const kind of ['nginx', 'haproxy'] as const) {
  test(`${kind}: one node behind deploy/ config: upgrade passes (OW-4), publish round trip, /health and /ready through the proxy, SIGTERM drain reaches the client as 1001`, async (t) => {
    const cluster = await startCluster(t, { proxy: kind, broker: 'memory:', count: 1 });
    const { proxy, nodes } = cluster;
    assert.equal(await httpStatus(`${proxy.httpUrl}/health`), 200);
    assert.equal(await httpStatus(`${proxy.httpUrl}/ready`), 200);

    const alice = new ClusterClient({
      url: proxy.wsUrl,
      user: 'alice',
      channels: ['chat:room'],
      reconnect: false,
      localAddress: '127.0.1.1',
    });
    const bob = new ClusterClient({
      url: proxy.wsUrl,
      user: 'bob',
      channels: ['chat:room'],
      reconnect: false,
      localAddress: '127.0.2.1',
    });
    t.after(() => {
      alice.close();
      bob.close();
    });
    await alice.start();
    await bob.start();
    const ack = await alice.publish('chat:room', { text: 'hi' }, 'm-1');
    assert.equal(ack.ok, true);
    await bob.until('the publication', () => bob.received.some((r) => r.id === 'm-1'));
    assert.deepEqual(
      bob.received.map((r) => r.data),
      [{ text: 'hi' }],
    );

    nodes[0]!.child.signal('SIGTERM');
    await bob.until('the drain close', () => bob.closeCodes.length > 0);
    assert.deepEqual(bob.closeCodes, [1001], 'RFC 6455 §7.4.1 1001 going away, through the proxy');
    assert.equal(await nodes[0]!.child.exited, 0);
  });
}

for (const kind of ['nginx', 'haproxy'] as const) {
  test(`${kind}: with the proxy trusted, the node limits connections per forwarded client address, not per proxy`, async (t) => {
    const config = clusterConfig();
    config['trustedProxies'] = ['127.0.0.1'];
    (config['limits'] as Record<string, unknown>)['maxConnectionsPerIp'] = 2;
    const { proxy } = await startCluster(t, { proxy: kind, broker: 'memory:', count: 1, config });
    const clients: ClusterClient[] = [];
    t.after(() => {
      for (const c of clients) c.close();
    });
    const open = async (user: string, localAddress: string): Promise<string> => {
      const c = new ClusterClient({ url: proxy.wsUrl, user, reconnect: false, localAddress });
      clients.push(c);
      return c.start().then(
        () => 'open',
        (err: Error) => err.message,
      );
    };
    assert.equal(await open('alice', '127.0.5.1'), 'open');
    assert.equal(await open('alice', '127.0.5.1'), 'open');
    assert.equal(
      await open('alice', '127.0.5.1'),
      'HTTP 503',
      'the third connection of 127.0.5.1 is refused by the node',
    );
    assert.equal(await open('bob', '127.0.6.1'), 'open', 'another client behind the same proxy still gets in');
  });
}
