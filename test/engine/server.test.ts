// Tests of src/engine/server.ts: modes, paths, plain HTTP, caps, broadcast, graceful close.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import net, { type AddressInfo } from 'node:net';
import { connect, HandshakeError, WebSocketServer, type WebSocket } from '../../src/engine/index.ts';
import { RawClient, expectHttpStatus, handshakeRequest, frames } from '../helpers/raw.ts';
import { nextConnection, nextEvent, selfSignedCert, startServer, waitFor, sleep } from '../helpers/engine-fixtures.ts';

function echo(wss: WebSocketServer): void {
  wss.on('connection', (ws) => {
    ws.onmessage = (e) => ws.send(e.data as string | Buffer);
  });
}

async function roundTrip(
  url: string,
  message: string | Buffer,
  options: Parameters<typeof connect>[1] = {},
): Promise<unknown> {
  const ws = await connect(url, options);
  try {
    const got = nextEvent<{ data: unknown }>(ws, 'message');
    ws.send(message);
    return (await got).data;
  } finally {
    ws.close();
  }
}

test('standalone server echoes text as text and binary as binary', async (t) => {
  const { wss, url } = await startServer(t);
  echo(wss);
  assert.equal(await roundTrip(url, 'héllo €'), 'héllo €');
  assert.deepEqual(await roundTrip(url, Buffer.from([0, 1, 255])), Buffer.from([0, 1, 255]));
});

test('constructor requires exactly one of port, server, noServer', () => {
  assert.throws(() => new WebSocketServer({}), TypeError);
  assert.throws(() => new WebSocketServer({ noServer: true, port: 0 }), TypeError);
  assert.throws(() => new WebSocketServer({ noServer: true, path: 'x' }), TypeError);
});

test('standalone server answers a plain HTTP request with 426 Upgrade Required and closes (HS-09)', async (t) => {
  const { port } = await startServer(t);
  const client = await RawClient.connect(port);
  await client.write(`GET / HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n\r\n`);
  const head = await expectHttpStatus(client, 426);
  assert.equal(head.headers['upgrade'], 'websocket');
  assert.equal(head.headers['sec-websocket-version'], '13');
});

test('standalone server with a path answers 404 to other paths and accepts the path with a query (HS-10)', async (t) => {
  const { wss, port } = await startServer(t, { path: '/ws' });
  echo(wss);
  const bad = await RawClient.connect(port);
  await bad.write(handshakeRequest({ path: '/metrics' }, port));
  await expectHttpStatus(bad, 404);
  assert.equal(await roundTrip(`ws://127.0.0.1:${port}/ws?room=1`, 'ok'), 'ok');
  await assert.rejects(
    connect(`ws://127.0.0.1:${port}/nope`),
    (err: unknown) => err instanceof HandshakeError && err.status === 404,
  );
});

test('standalone server answers 431 to oversized headers (HS-12)', async (t) => {
  const { port } = await startServer(t);
  const client = await RawClient.connect(port);
  await client.write(handshakeRequest({ extra: [['X-Big', 'a'.repeat(20_000)]] }, port));
  await expectHttpStatus(client, 431);
});

test('standalone server answers an invalid upgrade with the validator status (426 + Sec-WebSocket-Version: 13)', async (t) => {
  const { port } = await startServer(t);
  const client = await RawClient.connect(port);
  await client.write(handshakeRequest({ version: '8' }, port));
  const head = await expectHttpStatus(client, 426);
  assert.equal(head.headers['sec-websocket-version'], '13');
});

async function httpServer(
  t: { after(fn: () => unknown): void },
  handler?: http.RequestListener,
): Promise<{ server: http.Server; port: number }> {
  const server = http.createServer(handler ?? ((_req, res) => res.end('app')));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.after(
    () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  );
  return { server, port: (server.address() as AddressInfo).port };
}

test('attached server handles its path and leaves plain HTTP requests to the application', async (t) => {
  const { server, port } = await httpServer(t);
  const wss = new WebSocketServer({ server, path: '/ws' });
  t.after(() => wss.close({ timeoutMs: 100 }));
  echo(wss);
  assert.equal((await wss.listen()).port, port);
  assert.equal(await roundTrip(`ws://127.0.0.1:${port}/ws`, 'attached'), 'attached');
  const body = await new Promise<string>((resolve, reject) => {
    http
      .get(`http://127.0.0.1:${port}/`, (res) => {
        let s = '';
        res.on('data', (d: Buffer) => (s += d.toString()));
        res.on('end', () => resolve(s));
      })
      .on('error', reject);
  });
  assert.equal(body, 'app');
});

test('attached server answers 404 to an upgrade for another path when no other upgrade listener exists (HS-10)', async (t) => {
  const { server, port } = await httpServer(t);
  const wss = new WebSocketServer({ server, path: '/ws' });
  t.after(() => wss.close({ timeoutMs: 100 }));
  const client = await RawClient.connect(port);
  await client.write(handshakeRequest({ path: '/other' }, port));
  await expectHttpStatus(client, 404);
});

test('two attached servers on one http.Server each get their own path', async (t) => {
  const { server, port } = await httpServer(t);
  const a = new WebSocketServer({ server, path: '/a' });
  const b = new WebSocketServer({ server, path: '/b' });
  t.after(() => Promise.all([a.close({ timeoutMs: 100 }), b.close({ timeoutMs: 100 })]));
  a.on('connection', (ws) => ws.send('from a'));
  b.on('connection', (ws) => ws.send('from b'));
  for (const name of ['a', 'b']) {
    const ws = await connect(`ws://127.0.0.1:${port}/${name}`);
    const msg = await nextEvent<{ data: string }>(ws, 'message');
    assert.equal(msg.data, `from ${name}`);
    ws.close();
  }
});

test('attached server leaves other paths to another upgrade listener', async (t) => {
  const { server, port } = await httpServer(t);
  const wss = new WebSocketServer({ server, path: '/ws' });
  t.after(() => wss.close({ timeoutMs: 100 }));
  const seen: string[] = [];
  server.on('upgrade', (req, socket) => {
    if (req.url === '/ws') return;
    seen.push(req.url ?? '');
    socket.end('HTTP/1.1 418 I am a teapot\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
  });
  const client = await RawClient.connect(port);
  await client.write(handshakeRequest({ path: '/tea' }, port));
  await expectHttpStatus(client, 418);
  assert.deepEqual(seen, ['/tea']);
});

test('noServer mode: the application routes upgrades to handleUpgrade', async (t) => {
  const wss = new WebSocketServer({ noServer: true });
  t.after(() => wss.close({ timeoutMs: 100 }));
  echo(wss);
  const { server, port } = await httpServer(t);
  server.on('upgrade', (req, socket, head) => wss.handleUpgrade(req, socket, head));
  assert.equal(wss.address(), null);
  await assert.rejects(wss.listen(), TypeError);
  assert.equal(await roundTrip(`ws://127.0.0.1:${port}/any`, 'routed'), 'routed');
});

test('maxConnections: a handshake over the cap gets 503 with Retry-After (RX-10, HS-23)', async (t) => {
  const { wss, port, url } = await startServer(t, { maxConnections: 1, retryAfterSeconds: 7 });
  const first = await connect(url);
  await waitFor(() => wss.clients.size === 1, 'first client');
  const client = await RawClient.connect(port);
  await client.write(handshakeRequest({}, port));
  const head = await expectHttpStatus(client, 503);
  assert.equal(head.headers['retry-after'], '7');
  first.close();
  await waitFor(() => wss.clients.size === 0, 'first client gone');
  const second = await connect(url);
  second.close();
});

test('maxConnectionsPerIp: one address over its cap gets 503 (RX-08)', async (t) => {
  const { wss, url } = await startServer(t, { maxConnectionsPerIp: 2 });
  const a = await connect(url);
  const b = await connect(url);
  await assert.rejects(connect(url), (err: unknown) => err instanceof HandshakeError && err.status === 503);
  assert.equal(wss.clients.size, 2);
  a.close();
  b.close();
});

test('a rejected handshake is reported through the rejected event', async (t) => {
  const { wss, url } = await startServer(t, { path: '/only' });
  const rejected = new Promise<{ status: number; reason: string }>((resolve) => wss.once('rejected', resolve));
  await assert.rejects(connect(url.replace(/\/$/, '/else')));
  const info = await rejected;
  assert.equal(info.status, 404);
});

test('broadcast builds the frame once and reaches every open client (RX-14)', async (t) => {
  const { wss, url } = await startServer(t);
  const clients = await Promise.all([connect(url), connect(url), connect(url)]);
  await waitFor(() => wss.clients.size === 3, 'three clients');
  const got = clients.map((c) => nextEvent<{ data: unknown }>(c, 'message'));
  assert.equal(wss.broadcast('news'), 3);
  for (const m of await Promise.all(got)) assert.equal(m.data, 'news');
  const bin = clients.map((c) => nextEvent<{ data: unknown }>(c, 'message'));
  assert.equal(wss.broadcast(new Uint8Array([7, 8])), 3);
  for (const m of await Promise.all(bin)) assert.deepEqual(m.data, Buffer.from([7, 8]));
  // A closing connection is skipped.
  const first = [...wss.clients][0]!;
  first.close();
  assert.equal(wss.broadcast('later'), 2);
  for (const c of clients) c.close();
});

test('broadcast to a chosen subset', async (t) => {
  const { wss, url } = await startServer(t);
  const a = await connect(url);
  const b = await connect(url);
  await waitFor(() => wss.clients.size === 2, 'two clients');
  const [first] = [...wss.clients] as WebSocket[];
  assert.equal(wss.broadcast('only one', [first!]), 1);
  a.close();
  b.close();
});

test('close() sends 1001 to every client, refuses new handshakes and resolves (SD-01)', async (t) => {
  const { wss, url, port } = await startServer(t);
  const clients = await Promise.all([connect(url), connect(url)]);
  await waitFor(() => wss.clients.size === 2, 'two clients');
  const closes = clients.map((c) => nextEvent<{ code: number; wasClean: boolean }>(c, 'close'));
  const closedEvent = new Promise<void>((r) => wss.once('close', () => r()));
  await wss.close();
  for (const e of await Promise.all(closes)) {
    assert.equal(e.code, 1001);
    assert.equal(e.wasClean, true);
  }
  await closedEvent;
  assert.equal(wss.clients.size, 0);
  await assert.rejects(connect(`ws://127.0.0.1:${port}/`));
});

/** A port that was free a moment ago (bound on port 0, then released). */
async function freePort(): Promise<number> {
  const probe = net.createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as AddressInfo;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}

function connectOutcome(port: number): Promise<'connected' | string> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve('connected');
    });
    socket.once('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? err.message));
  });
}

test('close() right after construction stops the pending listen: the port stays free and listen() then rejects', async () => {
  const port = await freePort();
  const wss = new WebSocketServer({ port });
  await wss.close();
  // The host lookup of the listen started by the constructor has had time to finish.
  await sleep(50);
  assert.equal(wss.address(), null);
  assert.equal(await connectOutcome(port), 'ECONNREFUSED');
  await assert.rejects(wss.listen(), /Cannot listen: the WebSocketServer was closed/);
  // Nothing of the server holds the process open: the port can be bound again.
  const again = net.createServer();
  await new Promise<void>((resolve, reject) => again.once('error', reject).listen(port, '127.0.0.1', resolve));
  await new Promise<void>((resolve) => again.close(() => resolve()));
});

test('close() terminates peers that never answer the Close at the deadline (SD-02)', async (t) => {
  const { wss, port } = await startServer(t, { closeTimeoutMs: 10_000 });
  const raw = await RawClient.open(port);
  await waitFor(() => wss.clients.size === 1, 'raw client');
  const started = Date.now();
  await wss.close({ timeoutMs: 150 });
  assert.ok(Date.now() - started < 3_000);
  assert.equal(await raw.waitClosed(2_000), true);
});

test('close() of an attached server detaches it without closing the http.Server', async (t) => {
  const { server, port } = await httpServer(t);
  const wss = new WebSocketServer({ server, path: '/ws' });
  const ws = await connect(`ws://127.0.0.1:${port}/ws`);
  const closed = nextEvent<{ code: number }>(ws, 'close');
  await wss.close();
  assert.equal((await closed).code, 1001);
  assert.equal(server.listening, true);
  assert.equal(server.listenerCount('upgrade'), 0);
});

test('handshake and first frame in the same write: the frame is delivered (HS-20)', async (t) => {
  const { wss, port } = await startServer(t);
  const got = new Promise<string>((resolve) =>
    wss.once('connection', (ws) => {
      ws.onmessage = (e) => resolve(e.data as string);
    }),
  );
  const client = await RawClient.connect(port);
  await client.write(Buffer.concat([Buffer.from(handshakeRequest({}, port)), frames.text('pipelined')]));
  assert.equal(await got, 'pipelined');
  client.destroy();
});

test('a connection that resets right after the upgrade request leaves the server healthy (HS-21)', async (t) => {
  const { wss, port, url } = await startServer(t);
  const errors: unknown[] = [];
  wss.on('error', (e) => errors.push(e));
  for (let i = 0; i < 5; i++) {
    const client = await RawClient.connect(port);
    await client.write(handshakeRequest({}, port));
    client.reset();
  }
  await sleep(50);
  const ws = await connect(url);
  ws.close();
  await waitFor(() => wss.clients.size === 0, 'clients gone');
  assert.deepEqual(errors, []);
});

test('connection event gives the request; clients set tracks open sockets', async (t) => {
  const { wss, url } = await startServer(t);
  const conn = new Promise<{ ws: WebSocket; req: http.IncomingMessage }>((resolve) =>
    wss.once('connection', (ws, req) => resolve({ ws, req })),
  );
  const ws = await connect(`${url}?x=1`, { headers: { 'X-Test': 'yes' } });
  const { ws: server, req } = await conn;
  assert.equal(req.headers['x-test'], 'yes');
  // Not kept on the connection by default: an idle connection holds no copy of its headers.
  assert.equal(server.request, null);
  assert.equal(server.url, '/?x=1');
  assert.equal(server.isServer, true);
  assert.equal(server.remoteAddress, '127.0.0.1');
  assert.ok(wss.clients.has(server));
  ws.close();
  await waitFor(() => !wss.clients.has(server), 'removal from clients');
});

test('keepRequestHeaders: the connection keeps its request headers and target as ws.request', async (t) => {
  const { wss, url } = await startServer(t, { keepRequestHeaders: true });
  const conn = nextConnection(wss);
  const ws = await connect(`${url}?x=1`, { headers: { 'X-Test': 'yes' } });
  const server = await conn;
  assert.equal(server.request?.headers['x-test'], 'yes');
  assert.equal(server.request?.url, '/?x=1');
  ws.close();
});

test('standalone wss:// with the tls option; a client that never starts TLS is cut at the deadline (HS-19)', async (t) => {
  const { key, cert } = selfSignedCert();
  const { wss, port } = await startServer(t, { tls: { key, cert }, handshakeTimeoutMs: 300 });
  echo(wss);
  assert.equal(await roundTrip(`wss://localhost:${port}/`, 'secure', { tls: { ca: cert } }), 'secure');
  const silent = await RawClient.connect(port);
  assert.equal(await silent.waitClosed(3_000), true);
});
