// The HTTP transport paths of docs/protocol.md section 15 through deploy/nginx.conf and deploy/haproxy.cfg over TLS:
// event streams arrive unbuffered while the upstream holds them open, polls are held and answered, sends pass,
// HTTP/2 carries more streams on one connection than a browser's six HTTP/1.1 connections, the forwarded headers
// reach the upstream, plain HTTP is redirected. The upstream is a stand-in (test/cluster/harness/stand-in.ts) that
// speaks the wire shapes of section 15 and sends no X-Accel-Buffering, so only the proxy config makes a stream flow.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { connect, type ClientHttp2Session } from 'node:http2';
import { dirname, join } from 'node:path';
import { eventData, fetchRaw, openEventStream } from './harness/https-client.ts';
import { waitFor, type Cleanup } from './harness/process.ts';
import { startProxy, type Proxy as RunningProxy, type ProxyKind, type ProxyOptions } from './harness/proxy.ts';
import { startStandIn, type StandIn } from './harness/stand-in.ts';

/** Bound on each test, so a stream that never comes fails the test instead of hanging the run. */
const TEST_TIMEOUT_MS = 60_000;

/** The stand-in holds an idle poll this long (the real server: 25 s, which the configs' timeouts exceed; see test/deploy). */
const POLL_HOLD_MS = 1500;

async function edge(
  t: Cleanup,
  kind: ProxyKind,
  options: ProxyOptions = {},
): Promise<{ proxy: RunningProxy; up: StandIn }> {
  const up = await startStandIn(t, { pollHoldMs: POLL_HOLD_MS });
  const proxy = await startProxy(
    t,
    kind,
    up.ports.map((port) => ({ host: '127.0.0.1', port })),
    { redirectHttp: true, ...options },
  );
  // HAProxy marks an upstream up after two good /ready checks.
  await waitFor(
    'the upstreams behind the proxy',
    async () => (await fetchRaw(`${proxy.httpsUrl}/echo`, { ca: proxy.certPem })).status === 200,
    { child: proxy.child },
  );
  return { proxy, up };
}

function sendJson(
  proxy: RunningProxy,
  messages: unknown[],
  contentType = 'application/json',
): ReturnType<typeof fetchRaw> {
  return fetchRaw(`${proxy.httpsUrl}/http/send?session=s`, {
    method: 'POST',
    headers: { 'content-type': contentType },
    body: JSON.stringify(messages),
    ca: proxy.certPem,
  });
}

for (const kind of ['nginx', 'haproxy'] as const) {
  test(`${kind} over TLS: /sse and /http/stream events arrive while the upstream holds the streams open; sends pass; X-Forwarded-* reach the upstream`, {
    timeout: TEST_TIMEOUT_MS,
  }, async (t) => {
    const { proxy, up } = await edge(t, kind);
    const ca = proxy.certPem;
    const sse = await openEventStream(t, `${proxy.httpsUrl}/sse?channel=ticker:A`, { ca });
    assert.equal(sse.status, 200);
    assert.match(String(sse.headers['content-type']), /^text\/event-stream/);
    const stream = await openEventStream(t, `${proxy.httpsUrl}/http/stream`, { ca });
    assert.equal(stream.status, 200);
    // The first event of each stream, while the upstream keeps the response open (no end-of-response flush).
    await sse.until('the subscribed event', () => sse.events.length === 1);
    assert.match(sse.events[0]!, /^event: subscribed\n/);
    await stream.until('the open event', () => stream.events.length === 1);
    assert.match(stream.events[0]!, /^event: open\ndata: \{"session":"n\d+\.s\d+"\}$/);
    assert.equal(up.openStreams(), 2);

    const sent = await sendJson(proxy, [{ type: 'publish', channel: 'ticker:A', data: { price: 1 } }]);
    assert.equal(sent.status, 204, sent.body);
    const wanted = { type: 'publish', channel: 'ticker:A', data: { price: 1 } };
    await sse.until('the event', () => sse.events.length === 2);
    await stream.until('the event', () => stream.events.length === 2);
    assert.deepEqual(eventData(sse.events), [{ channel: 'ticker:A', recovered: true }, wanted]);
    assert.deepEqual(eventData(stream.events).slice(1), [wanted]);
    assert.equal(up.openStreams(), 2, 'both streams are still open upstream: the events were not flushed by an end');
    assert.ok(!sse.ended && !stream.ended);

    // The upstream's own refusal passes through unchanged.
    const refused = await sendJson(proxy, [], 'text/plain');
    assert.equal(refused.status, 415);
    assert.deepEqual(JSON.parse(refused.body), { error: 'unsupported_media_type' });

    for (const s of up.seen.filter((r) => r.path === '/sse' || r.path === '/http/send')) {
      assert.equal(s.headers['x-forwarded-proto'], 'https', `${s.method} ${s.path}`);
      assert.equal(s.headers['x-forwarded-for'], '127.0.0.1', `${s.method} ${s.path}`);
    }
    up.endStreams();
    await sse.until('the end of the stream', () => sse.ended);
  });

  test(`${kind} over TLS: a poll held by the upstream is answered (not cut), and a send during the hold answers it at once`, {
    timeout: TEST_TIMEOUT_MS,
  }, async (t) => {
    const { proxy, up } = await edge(t, kind);
    const ca = proxy.certPem;
    const opened = await fetchRaw(`${proxy.httpsUrl}/http/poll`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{}',
      ca,
    });
    assert.equal(opened.status, 200, opened.body);
    const { session } = JSON.parse(opened.body) as { session: string };

    const idle = await fetchRaw(`${proxy.httpsUrl}/http/poll?session=${session}&ack=0`, { ca });
    assert.equal(idle.status, 200, idle.body);
    assert.deepEqual(JSON.parse(idle.body), { seq: 0, messages: [] });

    const polls = (): number => up.seen.filter((s) => s.method === 'GET' && s.path === '/http/poll').length;
    const held = fetchRaw(`${proxy.httpsUrl}/http/poll?session=${session}&ack=0`, { ca });
    await waitFor('the second poll upstream', () => polls() === 2);
    assert.equal((await sendJson(proxy, [{ type: 'ping' }])).status, 204);
    const answered = await held;
    assert.equal(answered.status, 200, answered.body);
    assert.deepEqual(JSON.parse(answered.body), { seq: 1, messages: [{ type: 'ping' }] });
  });

  test(`${kind}: a buffered path holds a stream back unless the upstream sends X-Accel-Buffering: no (the unbuffered checks can fail)`, {
    timeout: TEST_TIMEOUT_MS,
  }, async (t) => {
    const { proxy, up } = await edge(t, kind);
    const ca = proxy.certPem;
    const sse = await openEventStream(t, `${proxy.httpsUrl}/sse`, { ca });
    const accelNo = await openEventStream(t, `${proxy.httpsUrl}/buffered?accel=no`, { ca });
    // Not awaited: a buffering proxy sends not even the response head before its buffer fills or the response ends.
    let plainHead = false;
    const opening = openEventStream(t, `${proxy.httpsUrl}/buffered?accel=yes`, { ca }).then((r) => {
      plainHead = true;
      return r;
    });
    await waitFor('three streams upstream', () => up.openStreams() === 3);
    assert.equal((await sendJson(proxy, [{ n: 1 }])).status, 204);
    await sse.until('the event', () => sse.events.length === 2);
    await accelNo.until('the event, X-Accel-Buffering: no honoured', () => accelNo.events.length === 1);
    if (kind === 'nginx') {
      // Written upstream at the same moment as the two above, which have arrived: nginx holds it in its buffer.
      assert.equal(plainHead, false, 'nginx buffers the response of a location without proxy_buffering off');
      up.endStreams();
      const plain = await opening;
      await plain.until('the end', () => plain.ended);
      assert.deepEqual(eventData(plain.events), [{ n: 1 }], 'and lets it go with the end of the response');
    } else {
      // HAProxy never holds response data back (it has no response buffering to turn off).
      const plain = await opening;
      await plain.until('the event', () => plain.events.length === 1);
      assert.equal(up.openStreams(), 3);
    }
  });

  test(`${kind}: HTTP/2 on the TLS listener carries 8 event streams on one connection (a browser has six HTTP/1.1 ones per host)`, {
    timeout: TEST_TIMEOUT_MS,
  }, async (t) => {
    const { proxy, up } = await edge(t, kind);
    const session: ClientHttp2Session = connect(proxy.httpsUrl, { ca: proxy.certPem });
    t.after(() => session.destroy());
    await new Promise<void>((resolve, reject) => {
      session.once('connect', () => resolve());
      session.once('error', reject);
    });
    assert.equal(session.alpnProtocol, 'h2');
    const STREAMS = 8;
    const received: string[] = Array.from({ length: STREAMS }, () => '');
    const statuses = await Promise.all(
      Array.from(
        { length: STREAMS },
        (_, i) =>
          new Promise<number>((resolve, reject) => {
            const req = session.request({ ':path': `/sse?channel=c${i}`, accept: 'text/event-stream' });
            req.on('response', (headers) => resolve(Number(headers[':status'])));
            req.on('data', (d: Buffer) => {
              received[i] += d.toString();
            });
            req.on('error', reject);
          }),
      ),
    );
    assert.deepEqual(statuses, Array(STREAMS).fill(200));
    await waitFor(`${STREAMS} streams upstream`, () => up.openStreams() === STREAMS);
    assert.equal((await sendJson(proxy, [{ n: 'h2' }])).status, 204);
    await waitFor('the event on every stream', () => received.every((r) => r.split('\n\n').length === 3));
    assert.deepEqual(
      received.map((r) => eventData(r.trim().split('\n\n'))),
      Array.from({ length: STREAMS }, (_, i) => [{ channel: `c${i}`, recovered: true }, { n: 'h2' }]),
    );
  });

  test(`${kind}: plain HTTP answers 308 to https://<host><uri> for GETs and POSTs; the proxy's health stays plain`, {
    timeout: TEST_TIMEOUT_MS,
  }, async (t) => {
    const { proxy } = await edge(t, kind);
    const get = await fetchRaw(`${proxy.httpUrl}/sse?channel=a&token=x`, { headers: { host: 'example.com:8080' } });
    assert.equal(get.status, 308);
    assert.equal(get.headers.location, 'https://example.com/sse?channel=a&token=x');
    const post = await fetchRaw(`${proxy.httpUrl}/http/send?session=s`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '[]',
    });
    assert.equal(post.status, 308);
    assert.equal(post.headers.location, 'https://127.0.0.1/http/send?session=s');
    const health = kind === 'nginx' ? '/nginx-health' : '/haproxy-health';
    assert.equal((await fetchRaw(`${proxy.httpUrl}${health}`)).status, 200);
  });
}

test('nginx: ACME HTTP-01 challenges are served from SB_ACME_ROOT over plain HTTP, not redirected', {
  timeout: TEST_TIMEOUT_MS,
}, async (t) => {
  const { proxy } = await edge(t, 'nginx');
  const dir = join(dirname(proxy.configPath), 'acme', '.well-known', 'acme-challenge');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'token-1'), 'token-1.thumbprint');
  const answer = await fetchRaw(`${proxy.httpUrl}/.well-known/acme-challenge/token-1`);
  assert.equal(answer.status, 200);
  assert.equal(answer.body, 'token-1.thumbprint');
  assert.equal((await fetchRaw(`${proxy.httpUrl}/.well-known/acme-challenge/missing`)).status, 404);
  assert.equal((await fetchRaw(`${proxy.httpUrl}/.well-known/other`)).status, 308);
});

test('haproxy-sticky.cfg: the SBNODE cookie brings a client back to its node; the nodes never see it; without it requests spread', {
  timeout: TEST_TIMEOUT_MS,
}, async (t) => {
  const { proxy, up } = await edge(t, 'haproxy', { sticky: true });
  const ca = proxy.certPem;
  const portOf = async (cookie?: string): Promise<{ port: number; setCookie: string[] }> => {
    const r = await fetchRaw(`${proxy.httpsUrl}/echo`, { ca, headers: cookie === undefined ? {} : { cookie } });
    assert.equal(r.status, 200, r.body);
    return { port: (JSON.parse(r.body) as { port: number }).port, setCookie: r.headers['set-cookie'] ?? [] };
  };
  const fresh = await Promise.all([portOf(), portOf(), portOf(), portOf()]);
  assert.deepEqual(new Set(fresh.map((f) => f.port)), new Set(up.ports), 'round robin without a cookie');
  const first = fresh[0]!;
  const cookie = first.setCookie.find((c) => c.startsWith('SBNODE='));
  assert.ok(cookie !== undefined, `Set-Cookie: ${first.setCookie}`);
  assert.match(cookie, /; Secure/i);
  assert.match(cookie, /; HttpOnly/i);
  const pair = cookie.split(';')[0]!;
  for (let i = 0; i < 6; i++) assert.equal((await portOf(pair)).port, first.port, `request ${i} with ${pair}`);
  assert.ok(
    up.seen.every((s) => !String(s.headers.cookie ?? '').includes('SBNODE')),
    'indirect: HAProxy strips its cookie',
  );
});
