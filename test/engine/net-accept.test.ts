// Tests of src/engine/net-accept.ts and head-request.ts: the 'net' accept path, standalone and in front of an http.Server, over real TCP.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import https from 'node:https';
import type net from 'node:net';
import type { AddressInfo } from 'node:net';
import { connect, WebSocketServer, type WebSocket } from '../../src/engine/index.ts';
import { RawClient, acceptFor, expectHttpStatus, frames, handshakeRequest, newKey } from '../helpers/raw.ts';
import { nextConnection, nextEvent, selfSignedCert, startServer, waitFor } from '../helpers/engine-fixtures.ts';

function echo(wss: WebSocketServer): void {
  wss.on('connection', (ws) => {
    ws.onmessage = (e) => ws.send(e.data as string | Buffer);
  });
}

async function statusOf(port: number, request: string | Buffer): Promise<number> {
  const c = await RawClient.connect(port);
  try {
    await c.write(request);
    return (await expectHttpStatus(c, [400, 404, 405, 426, 431])).status;
  } finally {
    c.destroy();
  }
}

/** An application http.Server with a request handler, fronted by a WebSocketServer on the 'net' path at /ws. */
async function fronted(t: TestContext, options: { upgradeListener?: boolean } = {}) {
  const requests: string[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      requests.push(`${req.method} ${req.url} ${Buffer.concat(chunks).toString()}`);
      const body = `hello ${req.url}`;
      res.writeHead(200, { 'Content-Type': 'text/plain', 'Content-Length': Buffer.byteLength(body) });
      res.end(body);
    });
  });
  const otherUpgrades: string[] = [];
  if (options.upgradeListener === true) {
    server.on('upgrade', (req: http.IncomingMessage, socket: net.Socket) => {
      otherUpgrades.push(req.url ?? '');
      socket.end('HTTP/1.1 418 I am a teapot\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
    });
  }
  const wss = new WebSocketServer({ server, path: '/ws', acceptPath: 'net' });
  echo(wss);
  const sockets = new Set<net.Socket>();
  server.on('connection', (s: net.Socket) => sockets.add(s));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  t.after(async () => {
    await wss.close({ timeoutMs: 100 });
    for (const s of sockets) s.destroy();
    await new Promise((r) => server.close(r));
  });
  return { server, wss, requests, otherUpgrades, port: (server.address() as AddressInfo).port };
}

test('a standalone server uses the net path by default: a bare net.Server, no node:http parser', async (t) => {
  const { wss, url } = await startServer(t);
  echo(wss);
  const ws = await connect(url);
  const got = nextEvent<{ data: unknown }>(ws, 'message');
  ws.send('hi');
  assert.equal((await got).data, 'hi');
  ws.close();
});

test('a handshake trickled a byte at a time is accepted, and a frame pipelined after it is delivered', async (t) => {
  const { wss, port } = await startServer(t);
  echo(wss);
  const c = await RawClient.connect(port);
  t.after(() => c.destroy());
  const key = newKey();
  const request = Buffer.from(handshakeRequest({ key }, port));
  await c.writeChopped(request.subarray(0, request.length - 1), 1);
  await c.write(Buffer.concat([request.subarray(request.length - 1), frames.text('first'), frames.text('second')]));
  const head = await c.readHttpHead();
  assert.equal(head.status, 101);
  assert.equal(head.headers['sec-websocket-accept'], acceptFor(key));
  assert.equal((await c.readMessage()).data.toString(), 'first');
  assert.equal((await c.readMessage()).data.toString(), 'second');
});

test('frames sent while an async accept hook runs reach the connection in order (HS-20)', async (t) => {
  const { wss, port } = await startServer(t, {
    accept: () => new Promise((resolve) => setTimeout(() => resolve(true), 50)),
  });
  echo(wss);
  const c = await RawClient.connect(port);
  t.after(() => c.destroy());
  await c.write(Buffer.concat([Buffer.from(handshakeRequest({}, port)), frames.text('a')]));
  await c.write(frames.text('b'));
  assert.equal((await c.readHttpHead()).status, 101);
  assert.equal((await c.readMessage()).data.toString(), 'a');
  assert.equal((await c.readMessage()).data.toString(), 'b');
});

test('the accept hook, handleProtocols and ws.request see the request: method, url, headers, socket', async (t) => {
  let seen: Record<string, unknown> = {};
  const { wss, url } = await startServer(t, {
    keepRequestHeaders: true,
    accept: (req, info) => {
      seen = {
        method: req.method,
        url: req.url,
        origin: req.headers.origin,
        cookie: req.headers.cookie,
        address: req.socket.remoteAddress,
      };
      assert.equal(info.origin, 'https://app.example');
      return { protocol: 'chat' };
    },
  });
  const opened = nextConnection(wss);
  const ws = await connect(`${url}room?x=1`, {
    protocols: ['chat'],
    origin: 'https://app.example',
    headers: { Cookie: 'sid=1' },
  });
  const server = await opened;
  assert.deepEqual(seen, {
    method: 'GET',
    url: '/room?x=1',
    origin: 'https://app.example',
    cookie: 'sid=1',
    address: '127.0.0.1',
  });
  assert.equal(ws.protocol, 'chat');
  assert.equal(server.request?.url, '/room?x=1');
  assert.equal(server.request?.headers['cookie'], 'sid=1');
  ws.close();
});

test('the net path refuses strict-HTTP violations and smuggling shapes with 400 and closes, like a refused upgrade (HS-20)', async (t) => {
  const { wss, port } = await startServer(t);
  echo(wss);
  const valid = handshakeRequest({}, port);
  const cases: Record<string, string> = {
    'bare LF line ends': valid.replaceAll('\r\n', '\n'),
    'obs-fold': valid.replace('Upgrade: websocket\r\n', 'Upgrade:\r\n websocket\r\n'),
    'space before colon': valid.replace('Upgrade:', 'Upgrade :'),
    'NUL in a value': valid.replace('Host: ', 'Host: a\0'),
    'Content-Length on an upgrade': valid.replace('\r\n\r\n', '\r\nContent-Length: 5\r\n\r\nhello'),
    'Transfer-Encoding on an upgrade': valid.replace('\r\n\r\n', '\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n'),
    'CL and TE': valid.replace('\r\n\r\n', '\r\nContent-Length: 0\r\nTransfer-Encoding: chunked\r\n\r\n'),
    'two Content-Length': valid.replace('\r\n\r\n', '\r\nContent-Length: 0\r\nContent-Length: 0\r\n\r\n'),
    'HTTP/2.0 request line': valid.replace('HTTP/1.1', 'HTTP/2.0'),
  };
  for (const [name, request] of Object.entries(cases)) {
    const c = await RawClient.connect(port);
    await c.write(`${request}${handshakeRequest({}, port)}`);
    const res = await c.readHttpResponse();
    assert.equal(res.status, 400, name);
    assert.ok(await c.waitEnd(), `${name}: socket left open`);
    assert.equal(c.buffered, 0, `${name}: bytes after the refusal were answered`);
    c.destroy();
  }
  assert.equal(wss.clients.size, 0);
});

test('a head over 16 KiB or with more than 200 lines gets 431; a plain request gets 426 with Upgrade: websocket', async (t) => {
  const { port } = await startServer(t);
  assert.equal(await statusOf(port, handshakeRequest({ extra: [['X-Big', 'a'.repeat(17 * 1024)]] }, port)), 431);
  const many = Array.from({ length: 201 }, (_, i) => [`X-${i}`, 'v'] as const);
  assert.equal(await statusOf(port, handshakeRequest({ extra: many }, port)), 431);
  const c = await RawClient.connect(port);
  await c.write('GET / HTTP/1.1\r\nHost: a\r\n\r\n');
  const head = await expectHttpStatus(c, 426);
  assert.match(head.headers['upgrade'] ?? '', /websocket/);
  assert.equal(head.headers['sec-websocket-version'], '13');
});

test('close() destroys connections still sending their first request', async (t) => {
  const wss = new WebSocketServer({ port: 0, host: '127.0.0.1' });
  const { port } = await wss.listen();
  const c = await RawClient.connect(port);
  t.after(() => c.destroy());
  await c.write('GET / HTTP/1.1\r\nHost: a\r\n');
  await new Promise((r) => setTimeout(r, 20));
  await wss.close({ timeoutMs: 100 });
  assert.ok(await c.waitEnd(2_000), 'half-sent request still open after close()');
});

test('acceptPath is checked: net with tls or noServer, an unknown value, or an https server to front throw TypeError', () => {
  const { key, cert } = selfSignedCert();
  assert.throws(() => new WebSocketServer({ port: 0, tls: { key, cert }, acceptPath: 'net' }), TypeError);
  assert.throws(() => new WebSocketServer({ noServer: true, acceptPath: 'net' }), TypeError);
  assert.throws(() => new WebSocketServer({ noServer: true, acceptPath: 'tcp' as 'net' }), TypeError);
  assert.throws(() => new WebSocketServer({ server: https.createServer({ key, cert }), acceptPath: 'net' }), TypeError);
  const server = http.createServer();
  const first = new WebSocketServer({ server, acceptPath: 'net' });
  assert.throws(() => new WebSocketServer({ server, acceptPath: 'net' }), /already reads this server/);
  void first.close();
});

test('acceptPath http keeps node:http for a standalone server (the escape hatch)', async (t) => {
  const { wss, url, port } = await startServer(t, { acceptPath: 'http' });
  echo(wss);
  const ws = await connect(url);
  ws.close();
  // Node's parser takes 201 header lines (the net path answers 431): the two paths are really different.
  const many = Array.from({ length: 201 }, (_, i) => `X-${i}: v\r\n`).join('');
  const c = await RawClient.connect(port);
  t.after(() => c.destroy());
  await c.write(`GET / HTTP/1.1\r\nHost: a\r\n${many}\r\n`);
  assert.equal((await c.readHttpHead()).status, 426);
});

test('fronting an http.Server: plain HTTP reaches its handler, keep-alive requests and bodies included', async (t) => {
  const { port, requests } = await fronted(t);
  // Two keep-alive requests on one socket, the first split over several writes, the second with a body.
  const c = await RawClient.connect(port);
  t.after(() => c.destroy());
  await c.writeChopped(Buffer.from('GET /health HTTP/1.1\r\nHost: a\r\n\r\n'), 7);
  const first = await c.readHttpResponse();
  assert.equal(first.status, 200);
  assert.equal(first.body, 'hello /health');
  await c.write('POST /api/publish HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhel');
  await c.write('lo');
  const second = await c.readHttpResponse();
  assert.equal(second.status, 200);
  assert.deepEqual(requests, ['GET /health ', 'POST /api/publish hello']);
  // Node's fetch client against the same port.
  const res = await fetch(`http://127.0.0.1:${port}/page?x=1`);
  assert.equal(await res.text(), 'hello /page?x=1');
});

test('fronting an http.Server: an upgrade on a keep-alive connection that carried plain HTTP first is accepted', async (t) => {
  // What nginx does with upstream keepalive: requests for pages and the API, then the upgrade, on one connection.
  const { wss, port } = await fronted(t);
  const c = await RawClient.connect(port);
  t.after(() => c.destroy());
  await c.write('GET /ready HTTP/1.1\r\nHost: a\r\n\r\n');
  assert.equal((await c.readHttpResponse()).status, 200);
  const key = newKey();
  await c.write(handshakeRequest({ path: '/ws', key }, port));
  const head = await c.readHttpHead();
  assert.equal(head.status, 101);
  assert.equal(head.headers['sec-websocket-accept'], acceptFor(key));
  await c.write(frames.text('after keep-alive'));
  assert.equal((await c.readMessage()).data.toString(), 'after keep-alive');
  assert.equal(wss.clients.size, 1);
});

test('fronting an http.Server: upgrades to the path are answered by the engine, never by node:http', async (t) => {
  const { server, port } = await fronted(t);
  let nodeUpgrades = 0;
  server.prependListener('upgrade', () => nodeUpgrades++);
  const ws: WebSocket = await connect(`ws://127.0.0.1:${port}/ws`);
  const got = nextEvent<{ data: unknown }>(ws, 'message');
  ws.send('through the net path');
  assert.equal((await got).data, 'through the net path');
  ws.close();
  assert.equal(nodeUpgrades, 0);
});

test('fronting an http.Server: upgrades to other paths go to its upgrade listeners, or get 404 without any', async (t) => {
  const withListener = await fronted(t, { upgradeListener: true });
  const c = await RawClient.connect(withListener.port);
  t.after(() => c.destroy());
  await c.write(handshakeRequest({ path: '/other' }, withListener.port));
  assert.equal((await c.readHttpHead()).status, 418);
  assert.deepEqual(withListener.otherUpgrades, ['/other']);
  const without = await fronted(t);
  assert.equal(await statusOf(without.port, handshakeRequest({ path: '/other' }, without.port)), 404);
});

test('fronting an http.Server: close() gives the connections back to node:http', async (t) => {
  const { wss, port, server } = await fronted(t);
  await wss.close({ timeoutMs: 100 });
  let nodeUpgrades = 0;
  server.on('upgrade', (_req: http.IncomingMessage, socket: net.Socket) => {
    nodeUpgrades++;
    socket.destroy();
  });
  const res = await fetch(`http://127.0.0.1:${port}/after`);
  assert.equal(await res.text(), 'hello /after');
  const c = await RawClient.connect(port);
  t.after(() => c.destroy());
  await c.write(handshakeRequest({ path: '/ws' }, port));
  await waitFor(() => nodeUpgrades === 1, 'node:http upgrade event after close()');
});
