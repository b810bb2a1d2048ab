// The HTTP server over real sockets: static page, JSON API guards (docs/security-cases.md OP-02/03/05), /health, /ready, /metrics, logs.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { Writable } from 'node:stream';
import WebSocket from 'ws';
import { MemoryBroker } from '../../src/broker/index.ts';
import { createLogger, createMetrics, createSwitchboardServer, PAGE_CSP } from '../../src/http/index.ts';
import { createAuthenticator, createNamespaces, signToken } from '../../src/realtime/index.ts';
import { openRaw, SECRET } from '../helpers/realtime.ts';

const API_KEY = 'a-test-api-key-0123456789';

async function start(
  t: TestContext,
  options: { maxConnections?: number; requestTimeoutMs?: number; corsOrigins?: string[] } = {},
  documents = false,
) {
  const broker = new MemoryBroker();
  const lines: string[] = [];
  const logger = createLogger({
    level: 'info',
    destination: new Writable({
      write(chunk, _enc, cb) {
        lines.push(String(chunk));
        cb();
      },
    }) as never,
  });
  const metrics = createMetrics({ defaultMetrics: false });
  const server = await createSwitchboardServer({
    realtime: {
      broker,
      namespaces: createNamespaces(documents ? { chat: {}, doc: { document: true } } : { chat: {} }),
      authenticator: await createAuthenticator({ keys: [{ type: 'secret', secret: SECRET }] }),
      ...(documents ? { yjsNamespace: 'doc' } : {}),
    },
    apiKeys: [API_KEY],
    metrics,
    logger,
    ...options,
  });
  const address = await server.listen();
  t.after(async () => {
    await server.close({ timeoutMs: 500 });
    metrics.close();
    await broker.close();
  });
  const base = `http://127.0.0.1:${address.port}`;
  return {
    server,
    base,
    ws: `ws://127.0.0.1:${address.port}/ws`,
    lines,
    token: (sub: string) => signToken({ sub, ttlMs: 3_600_000 }, { type: 'secret', secret: SECRET }),
  };
}

/** Sends raw bytes and returns the status code of the first response line. */
function rawStatus(port: number, request: string, keepOpenMs = 0): Promise<number> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1', () => socket.write(request));
    let data = '';
    socket.on('data', (chunk) => {
      data += chunk.toString('latin1');
      const m = /^HTTP\/1\.1 (\d{3})/.exec(data);
      if (m !== null) {
        resolve(Number(m[1]));
        socket.destroy();
      }
    });
    socket.on('error', reject);
    socket.on('close', () => reject(new Error(`closed without a status: ${JSON.stringify(data)}`)));
    if (keepOpenMs > 0) socket.setTimeout(keepOpenMs);
  });
}

test('the chat page is served with content types and a CSP without unsafe-inline (docs/security-cases.md AP-14)', async (t) => {
  const { base } = await start(t);
  const page = await fetch(`${base}/`);
  assert.equal(page.status, 200);
  assert.match(page.headers.get('content-type') ?? '', /^text\/html/);
  const csp = page.headers.get('content-security-policy') ?? '';
  assert.equal(csp, PAGE_CSP);
  assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval/);
  assert.equal(page.headers.get('x-content-type-options'), 'nosniff');
  assert.match(await page.text(), /<script type="module" src="\/app.js">/);
  const script = await fetch(`${base}/app.js`);
  assert.equal(script.status, 200);
  assert.match(script.headers.get('content-type') ?? '', /^text\/javascript/);
  assert.ok((await script.text()).length > 1000);
  assert.match((await fetch(`${base}/style.css`)).headers.get('content-type') ?? '', /^text\/css/);
});

test('no directory traversal: only the files of the table are served', async (t) => {
  const { server } = await start(t);
  const port = (server.http.address() as net.AddressInfo).port;
  for (const path of [
    '/../package.json',
    '/%2e%2e/package.json',
    '/app.ts',
    '/dist/app.js',
    '/web/index.html',
    '/..%2fpackage.json',
    '//etc/passwd',
  ]) {
    assert.equal(await rawStatus(port, `GET ${path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`), 404, path);
  }
});

test('POST /api/publish: 401 without key, 403 wrong key, 415 wrong type, 400 bad JSON, 413 too big, 405 wrong method, 404 unknown namespace (OP-02)', async (t) => {
  const { base } = await start(t);
  const url = `${base}/api/publish`;
  const json = { 'Content-Type': 'application/json' };
  const body = JSON.stringify({ channel: 'chat:a', data: { text: 'hi' } });
  assert.equal((await fetch(url, { method: 'POST', headers: json, body })).status, 401);
  assert.equal(
    (await fetch(url, { method: 'POST', headers: { ...json, Authorization: 'Bearer wrong-key-wrong-key' }, body }))
      .status,
    403,
  );
  assert.equal(
    (await fetch(url, { method: 'POST', headers: { 'Content-Type': 'text/plain', 'X-API-Key': API_KEY }, body }))
      .status,
    415,
  );
  assert.equal(
    (await fetch(url, { method: 'POST', headers: { ...json, 'X-API-Key': API_KEY }, body: '{nope' })).status,
    400,
  );
  assert.equal(
    (
      await fetch(url, {
        method: 'POST',
        headers: { ...json, 'X-API-Key': API_KEY },
        body: '{"channel":"chat:a","data":{"__proto__":{"x":1}}}',
      })
    ).status,
    400,
  );
  assert.equal(
    (
      await fetch(url, {
        method: 'POST',
        headers: { ...json, 'X-API-Key': API_KEY },
        body: JSON.stringify({ channel: 'chat:a', data: 'x'.repeat(1_100_000) }),
      })
    ).status,
    413,
  );
  const wrong = await fetch(url, { headers: { 'X-API-Key': API_KEY } });
  assert.equal(wrong.status, 405);
  assert.equal(wrong.headers.get('allow'), 'POST');
  assert.equal(
    (
      await fetch(url, {
        method: 'POST',
        headers: { ...json, 'X-API-Key': API_KEY },
        body: JSON.stringify({ channel: 'nope:a', data: 1 }),
      })
    ).status,
    404,
  );
  assert.equal(
    (
      await fetch(url, {
        method: 'POST',
        headers: { ...json, 'X-API-Key': API_KEY },
        body: JSON.stringify({ channel: 'bad', data: 1 }),
      })
    ).status,
    400,
  );
});

test('POST /api/publish delivers to WebSocket subscribers and deduplicates by id', async (t) => {
  const { base, ws, token } = await start(t);
  const client = await openRaw(t, ws);
  await client.request({ type: 'connect', token: await token('alice') });
  await client.request({ type: 'subscribe', channel: 'chat:api' });
  const post = () =>
    fetch(`${base}/api/publish`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json; charset=utf-8', Authorization: `Bearer ${API_KEY}` },
      body: JSON.stringify({ channel: 'chat:api', data: { text: 'from api' }, id: 'api-1' }),
    });
  const first = await post();
  assert.equal(first.status, 200);
  assert.deepEqual(((await first.json()) as Record<string, unknown>)['offset'], 1);
  const second = (await (await post()).json()) as Record<string, unknown>;
  assert.equal(second['duplicate'], true);
  const p = await client.next((m) => m.type === 'publication');
  assert.deepEqual(p['data'], { text: 'from api' });
  await client.request({ type: 'ping' });
  assert.equal(client.received.filter((m) => m.type === 'publication').length, 0);
});

test('a body sent too slowly is answered 408 after the request timeout (OP-02)', async (t) => {
  const { server } = await start(t, { requestTimeoutMs: 500 });
  const port = (server.http.address() as net.AddressInfo).port;
  const status = await rawStatus(
    port,
    `POST /api/publish HTTP/1.1\r\nHost: x\r\nX-API-Key: ${API_KEY}\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{`,
  );
  assert.equal(status, 408);
});

test('GET /api/stats, /health (with broker status) and /metrics answer', async (t) => {
  const { base } = await start(t);
  const stats = (await (await fetch(`${base}/api/stats`)).json()) as Record<string, unknown>;
  assert.equal(stats['connections'], 0);
  assert.equal(stats['broker'], 'memory');
  const health = await fetch(`${base}/health`);
  assert.equal(health.status, 200);
  const h = (await health.json()) as { status: string; broker: { ok: boolean; name: string } };
  assert.deepEqual([h.status, h.broker.ok, h.broker.name], ['ok', true, 'memory']);
  const metrics = await fetch(`${base}/metrics`);
  assert.equal(metrics.status, 200);
  assert.match(metrics.headers.get('content-type') ?? '', /^text\/plain/);
  assert.match(await metrics.text(), /switchboard_connections /);
});

test('/ready answers 503 over the connection cap and while draining', async (t) => {
  const { base, ws, server, token } = await start(t, { maxConnections: 1 });
  assert.equal((await fetch(`${base}/ready`)).status, 200);
  const client = await openRaw(t, ws);
  await client.request({ type: 'connect', token: await token('alice') });
  const capped = await fetch(`${base}/ready`);
  assert.equal(capped.status, 503);
  assert.equal(((await capped.json()) as Record<string, unknown>)['reason'], 'connection_cap');
  client.close();
  await client.closed;
  await new Promise((r) => setTimeout(r, 50));
  assert.equal((await fetch(`${base}/ready`)).status, 200);
  const draining = server.hub.drain({ timeoutMs: 200 });
  const during = await fetch(`${base}/ready`);
  assert.equal(during.status, 503);
  assert.equal(((await during.json()) as Record<string, unknown>)['reason'], 'draining');
  await draining;
});

test('/ready counts y-websocket connections (/yjs/<name>) against the connection cap', async (t) => {
  const { base, ws, token } = await start(t, { maxConnections: 1 }, true);
  assert.equal((await fetch(`${base}/ready`)).status, 200);
  const yjsUrl = `${ws.replace(/\/ws$/, '/yjs/readme')}?token=${await token('alice')}`;
  const yjs = new WebSocket(yjsUrl);
  t.after(() => yjs.close());
  await new Promise<void>((resolve, reject) => {
    yjs.on('open', () => resolve());
    yjs.on('error', reject);
  });
  const capped = await fetch(`${base}/ready`);
  assert.equal(capped.status, 503);
  assert.equal(((await capped.json()) as Record<string, unknown>)['reason'], 'connection_cap');
  const closed = new Promise((resolve) => yjs.on('close', resolve));
  yjs.close();
  await closed;
  const deadline = Date.now() + 5000;
  while ((await fetch(`${base}/ready`)).status !== 200) {
    assert.ok(Date.now() < deadline, '/ready still 503 after the y-websocket connection closed');
    await new Promise((r) => setTimeout(r, 20));
  }
});

test('CORS: unlisted origins get no Access-Control-Allow-Origin, listed ones get their own origin (OP-03)', async (t) => {
  const { base } = await start(t, { corsOrigins: ['https://app.example.com'] });
  const evil = await fetch(`${base}/api/publish`, {
    method: 'OPTIONS',
    headers: { Origin: 'https://evil.example.com', 'Access-Control-Request-Method': 'POST' },
  });
  assert.equal(evil.headers.get('access-control-allow-origin'), null);
  const stats = await fetch(`${base}/api/stats`, { headers: { Origin: 'https://evil.example.com' } });
  assert.equal(stats.headers.get('access-control-allow-origin'), null);
  const good = await fetch(`${base}/api/publish`, {
    method: 'OPTIONS',
    headers: { Origin: 'https://app.example.com', 'Access-Control-Request-Method': 'POST' },
  });
  assert.equal(good.headers.get('access-control-allow-origin'), 'https://app.example.com');
});

test('one log line per connection open and close with duration and close code, never the token (AU-10)', async (t) => {
  const { ws, lines, token } = await start(t);
  const secret = await token('alice');
  const client = await openRaw(t, `${ws}?token=${secret}`);
  await client.request({ type: 'connect' });
  client.ws.close(1000);
  await client.closed;
  const deadline = Date.now() + 2000;
  while (!lines.some((l) => l.includes('connection_close')) && Date.now() < deadline)
    await new Promise((r) => setTimeout(r, 20));
  const open = lines.filter((l) => l.includes('"connection_open"'));
  const close = lines
    .filter((l) => l.includes('"connection_close"'))
    .map((l) => JSON.parse(l) as Record<string, unknown>);
  assert.equal(open.length, 1);
  assert.equal(close.length, 1);
  assert.equal(close[0]!['code'], 1000);
  assert.equal(typeof close[0]!['durationMs'], 'number');
  assert.equal(close[0]!['user'], 'alice');
  for (const l of lines) assert.ok(!l.includes(secret.split('.')[2]!), 'the token never reaches the log');
});

test('unknown paths are 404 JSON and WebSocket upgrades elsewhere than /ws are refused', async (t) => {
  const { base, server } = await start(t);
  const res = await fetch(`${base}/nope`);
  assert.equal(res.status, 404);
  assert.match(res.headers.get('content-type') ?? '', /application\/json/);
  const port = (server.http.address() as net.AddressInfo).port;
  const status = await rawStatus(
    port,
    'GET /other HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n',
  );
  assert.equal(status, 404);
});

test('metrics move for protocol errors, auth failures and refused handshakes (docs/security-cases.md §0.5)', async (t) => {
  const { base, ws, token } = await start(t);
  const client = await openRaw(t, ws);
  await client.request({ type: 'connect', token: await token('alice') });
  client.send('{"type":"ping","rid":1,"nope":1}');
  await client.next((m) => m.type === 'error');
  const bad = await openRaw(t, ws);
  bad.send({ type: 'connect', rid: 1, token: 'x.y.z' });
  await bad.waitClose();
  let text = '';
  const deadline = Date.now() + 3000;
  do {
    text = await (await fetch(`${base}/metrics`)).text();
    if (/switchboard_connections_closed_total\{code="4502"\} 1/.test(text)) break;
    await new Promise((r) => setTimeout(r, 20));
  } while (Date.now() < deadline);
  assert.match(text, /switchboard_errors_sent_total\{code="invalid_message"\} 1/);
  assert.match(text, /switchboard_auth_failures_total\{reason="malformed"\} 1/);
  assert.match(text, /switchboard_messages_received_total\{type="connect"\} 2/);
  assert.match(text, /switchboard_connections_closed_total\{code="4502"\} 1/);
});

/** Sends raw bytes and returns everything the server wrote until it closed the connection. */
function rawResponse(port: number, request: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1', () => socket.write(request));
    let data = '';
    socket.on('data', (chunk) => {
      data += chunk.toString('latin1');
    });
    socket.on('error', reject);
    socket.on('close', () => resolve(data));
  });
}

test('a refused origin gets 403 with a plain-text reason, one warning per origin however often it retries, and a metric per refusal', async (t) => {
  const { base, server, lines } = await start(t);
  const port = (server.http.address() as net.AddressInfo).port;
  const upgrade = (origin: string) =>
    `GET /ws HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\nOrigin: ${origin}\r\n\r\n`;
  for (let i = 0; i < 5; i++) {
    const answer = await rawResponse(port, upgrade('http://evil.example'));
    assert.match(answer, /^HTTP\/1\.1 403 /);
    assert.match(answer, /content-type: text\/plain/i);
    assert.equal(
      answer.slice(answer.indexOf('\r\n\r\n') + 4),
      'Origin http://evil.example is not allowed to open a WebSocket on this server\n',
    );
  }
  const text = await (await fetch(`${base}/metrics`)).text();
  assert.match(text, /switchboard_handshake_failures_total\{reason="origin_not_allowed"\} 5/);
  // A long origin is cut in the answer, never echoed whole.
  const long = await rawResponse(port, upgrade(`http://${'a'.repeat(4000)}.example`));
  const body = long.slice(long.indexOf('\r\n\r\n') + 4);
  assert.ok(body.length < 250, `body of ${body.length} characters`);

  const warnings = lines
    .filter((l) => l.includes('"origin_refused"'))
    .map((l) => JSON.parse(l) as Record<string, unknown>);
  const evil = warnings.filter((w) => w['origin'] === 'http://evil.example');
  assert.equal(evil.length, 1, 'one line for five attempts');
  assert.equal(evil[0]!['level'], 40);
  assert.match(String(evil[0]!['msg']), /--origin http:\/\/evil\.example/);
  assert.match(String(evil[0]!['msg']), /"origins" in the config/);
});

test('POST /api/disconnect closes every connection of the user with 4504 and no reconnect; bad calls get 400/401/403/405', async (t) => {
  const { base, ws, token } = await start(t);
  const url = `${base}/api/disconnect`;
  const json = { 'Content-Type': 'application/json', 'X-API-Key': API_KEY };
  const alice = [await openRaw(t, ws), await openRaw(t, ws)];
  for (const c of alice) await c.request({ type: 'connect', token: await token('alice') });
  const bob = await openRaw(t, ws);
  await bob.request({ type: 'connect', token: await token('bob') });

  assert.equal(
    (await fetch(url, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{"user":"alice"}' }))
      .status,
    401,
  );
  assert.equal(
    (
      await fetch(url, {
        method: 'POST',
        headers: { ...json, 'X-API-Key': 'wrong-key-wrong-key' },
        body: '{"user":"alice"}',
      })
    ).status,
    403,
  );
  for (const body of [
    '{"user":""}',
    '{"user":7}',
    '{}',
    '{"user":"alice","ban":true}',
    `{"user":"${'u'.repeat(300)}"}`,
    '[]',
    '{nope',
  ]) {
    const answer = await fetch(url, { method: 'POST', headers: json, body });
    assert.equal(answer.status, 400, body);
  }
  assert.equal((await fetch(url, { headers: json })).status, 405);
  assert.equal(alice[0]!.closeCode, null, 'no bad call closed anything');

  const answer = await fetch(url, { method: 'POST', headers: json, body: '{"user":"alice"}' });
  assert.equal(answer.status, 200);
  assert.deepEqual(await answer.json(), { user: 'alice', disconnected: 2 });
  for (const c of alice) {
    const disconnect = await c.next((m) => m.type === 'disconnect');
    assert.deepEqual([disconnect['code'], disconnect['reconnect']], [4504, false]);
  }
  assert.equal((await bob.request({ type: 'ping' })).type, 'reply', 'other users stay');
  const none = await fetch(url, { method: 'POST', headers: json, body: '{"user":"nobody"}' });
  assert.deepEqual(await none.json(), { user: 'nobody', disconnected: 0 });
});
