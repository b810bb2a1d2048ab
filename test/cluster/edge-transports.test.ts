// The HTTP transports of docs/protocol.md section 15 on real nodes, through deploy/nginx.conf and deploy/haproxy.cfg
// over TLS: two `switchboard serve` nodes on a private Redis (sessions routed between them through the broker, no
// stickiness needed), a self-signed certificate. Each stream's events arrive while it stays open, sends pass, a held
// poll is answered when the server's poll timeout ends (not cut by the proxy) and at once when a message comes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { clusterToken } from './harness/client.ts';
import { startCluster } from './harness/cluster.ts';
import { eventData, fetchRaw, openEventStream, type Answer } from './harness/https-client.ts';
import { CLUSTER_API_KEY, clusterConfig, startRedis } from './harness/nodes.ts';
import { waitFor, type Cleanup } from './harness/process.ts';
import type { Proxy as RunningProxy, ProxyKind } from './harness/proxy.ts';

/** Server poll timeout of these nodes (the default is 25 s; the proxies' poll timeouts are checked against that in test/deploy). */
const POLL_TIMEOUT_MS = 2000;

type Message = Record<string, unknown> & { type: string };

async function edge(t: Cleanup, kind: ProxyKind): Promise<RunningProxy> {
  const redis = await startRedis(t);
  const config = clusterConfig();
  config['httpTransports'] = { pollTimeoutMs: POLL_TIMEOUT_MS };
  const { proxy } = await startCluster(t, {
    proxy: kind,
    broker: redis.url,
    count: 2,
    config,
    proxyOptions: { redirectHttp: true },
  });
  await waitFor(
    'both nodes behind the proxy',
    async () => (await fetchRaw(`${proxy.httpsUrl}/ready`, { ca: proxy.certPem })).status === 200,
    { child: proxy.child },
  );
  return proxy;
}

function post(proxy: RunningProxy, path: string, body: unknown, headers: Record<string, string>): Promise<Answer> {
  return fetchRaw(`${proxy.httpsUrl}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
    ca: proxy.certPem,
  });
}

function publish(proxy: RunningProxy, channel: string, data: unknown, id: string): Promise<Answer> {
  return post(proxy, '/api/publish', { channel, data, id }, { 'x-api-key': CLUSTER_API_KEY });
}

const hello = [
  { type: 'connect', rid: 1 },
  { type: 'subscribe', rid: 2, channel: 'chat:edge' },
];

for (const kind of ['nginx', 'haproxy'] as const) {
  test(`${kind} over TLS, real nodes: /http/stream and /sse deliver each event while open; /http/send passes`, {
    timeout: 90_000,
  }, async (t) => {
    const proxy = await edge(t, kind);
    const ca = proxy.certPem;
    const auth = { authorization: `Bearer ${await clusterToken('ann')}` };

    const stream = await openEventStream(t, `${proxy.httpsUrl}/http/stream`, { ca, headers: auth });
    assert.equal(stream.status, 200);
    await stream.until('the open event', () => stream.events.some((e) => e.startsWith('event: open\n')));
    const { session } = eventData(stream.events)[0] as { session: string };
    const sent = await post(proxy, `/http/send?session=${encodeURIComponent(session)}`, hello, auth);
    assert.equal(sent.status, 204, sent.body);
    const messages = (): Message[] => eventData(stream.events).slice(1) as Message[];
    await stream.until('subscribed', () => messages().some((m) => m.type === 'subscribed' && m['re'] === 2));

    const token = await clusterToken('ben');
    const sse = await openEventStream(t, `${proxy.httpsUrl}/sse?channel=chat:edge&token=${token}`, { ca });
    assert.equal(sse.status, 200);
    await sse.until('the subscribed event', () => sse.events.some((e) => e.includes('event: subscribed\n')));

    assert.equal((await publish(proxy, 'chat:edge', { text: 'through the edge' }, 'edge-1')).status, 200);
    await stream.until('the publication', () => messages().some((m) => m.type === 'publication'));
    await sse.until('the publication', () => sse.events.some((e) => e.includes('through the edge')));
    assert.deepEqual(messages().find((m) => m.type === 'publication')?.['data'], { text: 'through the edge' });
    assert.ok(!stream.ended && !sse.ended, 'both streams are still open: the events came unbuffered');
  });

  test(`${kind} over TLS, real nodes: a held /http/poll is answered at the server's poll timeout, and at once by a publication`, {
    timeout: 90_000,
  }, async (t) => {
    const proxy = await edge(t, kind);
    const ca = proxy.certPem;
    const auth = { authorization: `Bearer ${await clusterToken('cid')}` };
    const opened = await post(proxy, '/http/poll', {}, auth);
    assert.equal(opened.status, 200, opened.body);
    const { session } = JSON.parse(opened.body) as { session: string };
    const q = encodeURIComponent(session);
    assert.equal((await post(proxy, `/http/send?session=${q}`, hello, auth)).status, 204);

    let ack = 0;
    const got: Message[] = [];
    const poll = async (): Promise<{ seq: number; messages: Message[] }> => {
      const r = await fetchRaw(`${proxy.httpsUrl}/http/poll?session=${q}&ack=${ack}`, { ca, headers: auth }, 30_000);
      assert.equal(r.status, 200, r.body);
      const answer = JSON.parse(r.body) as { seq: number; messages: Message[] };
      ack = answer.seq;
      got.push(...answer.messages);
      return answer;
    };
    while (!got.some((m) => m.type === 'subscribed')) await poll();

    // Nothing to say: the node holds the poll for its poll timeout, then answers empty; the proxy lets it. (A message
    // still due after `subscribed` comes first: at most a few.)
    let idle = await poll();
    for (let i = 0; i < 3 && idle.messages.length > 0; i++) idle = await poll();
    assert.deepEqual(idle.messages, []);

    const held = poll();
    // The held poll is still waiting when the publication lands (it would otherwise come back empty: retry then).
    assert.equal((await publish(proxy, 'chat:edge', { n: 1 }, 'poll-1')).status, 200);
    let answer = await held;
    while (answer.messages.length === 0) answer = await poll();
    assert.deepEqual(
      answer.messages.map((m) => [m.type, m['data']]),
      [['publication', { n: 1 }]],
    );
  });
}
