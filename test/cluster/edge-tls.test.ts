// The edge over TLS with real nodes: deploy/nginx.conf and deploy/haproxy.cfg rendered with a self-signed certificate
// made by openssl, in front of two `switchboard serve` nodes on a private Redis. Plain HTTP is redirected to HTTPS,
// wss:// carries the protocol, an HTTPS POST to /api/publish reaches the subscribers, and a client that does not trust
// the certificate is refused.
import { test } from 'node:test';
import WebSocket from 'ws';
import assert from 'node:assert/strict';
import { ClusterClient, sourceAddress } from './harness/client.ts';
import { connectionCounts, startCluster } from './harness/cluster.ts';
import { fetchRaw } from './harness/https-client.ts';
import { CLUSTER_API_KEY, startRedis } from './harness/nodes.ts';
import { waitFor } from './harness/process.ts';

for (const kind of ['nginx', 'haproxy'] as const) {
  test(`${kind} over TLS in front of two nodes: HTTP 308 to HTTPS, wss:// publish round trip, HTTPS POST /api/publish, untrusted certificate refused`, {
    timeout: 90_000,
  }, async (t) => {
    const redis = await startRedis(t);
    const { proxy, nodes } = await startCluster(t, {
      proxy: kind,
      broker: redis.url,
      count: 2,
      proxyOptions: { redirectHttp: true },
    });
    const ca = proxy.certPem;
    // HAProxy marks a node up after two good /ready checks.
    await waitFor(
      'both nodes behind the proxy',
      async () => (await fetchRaw(`${proxy.httpsUrl}/ready`, { ca })).status === 200,
      { child: proxy.child },
    );

    const plain = await fetchRaw(`${proxy.httpUrl}/health?x=1`);
    assert.equal(plain.status, 308, plain.body);
    assert.equal(plain.headers.location, 'https://127.0.0.1/health?x=1', 'same host and URI, default HTTPS port');
    const plainPost = await fetchRaw(`${proxy.httpUrl}/api/publish`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': CLUSTER_API_KEY },
      body: '{}',
    });
    assert.equal(plainPost.status, 308, 'a POST is redirected too, and 308 keeps its method');
    assert.equal(nodes.length, 2);

    const health = await fetchRaw(`${proxy.httpsUrl}/health`, { ca });
    assert.equal(health.status, 200, health.body);

    const clients = [1, 2].map(
      (i) =>
        new ClusterClient({
          url: proxy.wssUrl,
          user: `user${i}`,
          channels: ['chat:edge'],
          reconnect: false,
          localAddress: sourceAddress(i),
          ca,
        }),
    );
    t.after(() => {
      for (const c of clients) c.close();
    });
    for (const c of clients) await c.start();
    assert.equal(
      (await connectionCounts(nodes)).reduce((a, b) => a + b, 0),
      2,
      'both wss:// connections reached nodes',
    );
    const [alice, bob] = clients as [ClusterClient, ClusterClient];
    assert.deepEqual(await alice.publish('chat:edge', { text: 'over tls' }, 'tls-1'), {
      ok: true,
      offset: 1,
      duplicate: false,
    });
    await bob.until('the wss publication', () => bob.received.some((r) => r.id === 'tls-1'));

    const api = await fetchRaw(`${proxy.httpsUrl}/api/publish`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': CLUSTER_API_KEY },
      body: JSON.stringify({ channel: 'chat:edge', data: { from: 'api' }, id: 'api-1' }),
      ca,
    });
    assert.equal(api.status, 200, api.body);
    for (const c of clients) await c.until('the HTTPS API publication', () => c.received.some((r) => r.id === 'api-1'));

    // Without the test certificate as CA, TLS is refused before any HTTP: the listener is really TLS.
    await assert.rejects(fetchRaw(`${proxy.httpsUrl}/health`), /self[- ]signed certificate/);
    const untrusting = new WebSocket(proxy.wssUrl, ['switchboard.v1.json']);
    const refused = await new Promise<Error>((resolve) => untrusting.once('error', resolve));
    assert.match(refused.message, /self[- ]signed certificate/);
  });
}
