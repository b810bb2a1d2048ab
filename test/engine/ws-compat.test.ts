// ws adapter: a subset of ws's own behavioural expectations (websocket.test.js, websocket-server.test.js), run against both clients.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import RealWebSocket from 'ws';
import DefaultExport, {
  createWebSocketStream,
  WebSocket,
  WebSocketServer,
  type WsServerOptions,
} from '../../src/engine/ws-compat.ts';
import { CLIENTS, MessageLog, nextEmit, openClient, until } from '../helpers/ws-compat.ts';

/** A standalone adapter server on 127.0.0.1:0; its connections are terminated and it is closed after the test. */
async function startWss(
  t: TestContext,
  options: Omit<WsServerOptions, 'port'> = {},
): Promise<{ wss: WebSocketServer; url: string; port: number }> {
  const wss = new WebSocketServer({ port: 0, host: '127.0.0.1', ...options });
  t.after(async () => {
    for (const ws of wss.clients) ws.terminate();
    await new Promise<void>((resolve) => wss.close(() => resolve()));
  });
  await nextEmit(wss, 'listening');
  const { port } = wss.address() as net.AddressInfo;
  return { wss, url: `ws://127.0.0.1:${port}`, port };
}

/** The next server-side socket of `wss`. */
function nextServerSocket(wss: WebSocketServer): Promise<WebSocket> {
  return nextEmit<[WebSocket]>(wss, 'connection').then(([ws]) => ws);
}

test("the default export has ws's shape and the ready-state constants are static and per instance", () => {
  assert.equal(DefaultExport, WebSocket);
  assert.equal(DefaultExport.WebSocket, WebSocket);
  assert.equal(DefaultExport.WebSocketServer, WebSocketServer);
  assert.equal(DefaultExport.Server, WebSocketServer);
  assert.equal(DefaultExport.createWebSocketStream, createWebSocketStream);
  assert.deepEqual([WebSocket.CONNECTING, WebSocket.OPEN, WebSocket.CLOSING, WebSocket.CLOSED], [0, 1, 2, 3]);
  const ws = new WebSocket(null);
  assert.deepEqual([ws.CONNECTING, ws.OPEN, ws.CLOSING, ws.CLOSED], [0, 1, 2, 3]);
  assert.equal(ws.readyState, WebSocket.CONNECTING);
});

test("WebSocketServer needs exactly one of port, server and noServer (ws's TypeError)", () => {
  const message = {
    name: 'TypeError',
    message: 'One and only one of the "port", "server", or "noServer" options must be specified',
  };
  assert.throws(() => new WebSocketServer({}), message);
  assert.throws(() => new WebSocketServer({ port: 0, noServer: true }), message);
  assert.throws(() => new WebSocketServer({ server: http.createServer(), noServer: true }), message);
  assert.throws(() => new WebSocketServer({ noServer: true }).address(), {
    message: 'The server is operating in "noServer" mode',
  });
});

test('a plain HTTP request to a standalone server gets 426, as in ws', async (t) => {
  const { port } = await startWss(t);
  const res = await new Promise<http.IncomingMessage>((resolve, reject) =>
    http.get({ host: '127.0.0.1', port }, resolve).on('error', reject),
  );
  res.resume();
  assert.equal(res.statusCode, 426);
});

for (const kind of CLIENTS) {
  test(`${kind.name} client: text arrives as a Buffer with isBinary false, binary with true; options.binary overrides the type`, async (t) => {
    const { wss, url } = await startWss(t);
    const accepted = nextServerSocket(wss);
    const { peer, log } = await openClient(t, kind, url);
    const ws = await accepted;
    const serverLog = new MessageLog(ws);
    peer.send('héllo');
    peer.send(Buffer.from([1, 2]));
    peer.send(Buffer.from('sent as text'), { binary: false });
    peer.send('sent as binary', { binary: true });
    peer.send(42 as unknown as string);
    const got = [
      await serverLog.next(),
      await serverLog.next(),
      await serverLog.next(),
      await serverLog.next(),
      await serverLog.next(),
    ];
    assert.deepEqual(
      got.map((m) => [m.data.toString(), m.isBinary]),
      [
        ['héllo', false],
        ['\u0001\u0002', true],
        ['sent as text', false],
        ['sent as binary', true],
        ['42', false],
      ],
    );
    assert.ok(got.every((m) => Buffer.isBuffer(m.data)));

    ws.send('to client');
    ws.send(new Uint8Array([7, 8, 9]));
    ws.send(Buffer.from('text bytes'), { binary: false });
    assert.deepEqual(
      [await log.next(), await log.next(), await log.next()].map((m) => [m.data.toString('hex'), m.isBinary]),
      [
        [Buffer.from('to client').toString('hex'), false],
        ['070809', true],
        [Buffer.from('text bytes').toString('hex'), false],
      ],
    );
  });

  test(`${kind.name} client: send(data, cb) calls back after the data was written out, then the peer has it`, async (t) => {
    const { wss, url } = await startWss(t);
    const accepted = nextServerSocket(wss);
    const { log } = await openClient(t, kind, url);
    const ws = await accepted;
    const order: string[] = [];
    const big = Buffer.alloc(256 * 1024, 0x61);
    await new Promise<void>((resolve, reject) => {
      ws.send(big, (err) => {
        if (err) reject(err);
        order.push('callback');
        resolve();
      });
      order.push('send returned');
    });
    assert.deepEqual(order, ['send returned', 'callback'], 'the callback is asynchronous');
    assert.equal(ws.bufferedAmount, 0, 'nothing is left in our buffers when the callback runs');
    assert.equal((await log.next()).data.length, big.length);
  });

  test(`${kind.name} client: fragments sent with { fin: false } form one message`, async (t) => {
    const { wss, url } = await startWss(t);
    const accepted = nextServerSocket(wss);
    const { peer, log } = await openClient(t, kind, url);
    const ws = await accepted;
    const serverLog = new MessageLog(ws);
    ws.send('frag', { fin: false });
    ws.send('men', { fin: false });
    ws.send('ted', { fin: true });
    ws.send(Buffer.from([1]), { fin: false });
    ws.send(Buffer.from([2]));
    assert.deepEqual(
      [await log.next(), await log.next()].map((m) => [m.data.toString('hex'), m.isBinary]),
      [
        [Buffer.from('fragmented').toString('hex'), false],
        ['0102', true],
      ],
    );
    if (kind.name === 'switchboard/ws') {
      peer.send('cli', { fin: false });
      peer.send('ent');
      assert.equal((await serverLog.next()).data.toString(), 'client');
    }
  });

  test(`${kind.name} client: close(code, reason) reaches the peer as (code, reason Buffer); no code is 1005 (RFC 6455 §7.1.5)`, async (t) => {
    const { wss, url } = await startWss(t);
    let accepted = nextServerSocket(wss);
    const first = await openClient(t, kind, url);
    let ws = await accepted;
    const serverClosed = nextEmit<[number, Buffer]>(ws, 'close');
    ws.close(4001, 'going');
    assert.equal(ws.readyState, WebSocket.CLOSING);
    const [code, reason] = await first.closed;
    assert.equal(code, 4001);
    assert.ok(Buffer.isBuffer(reason));
    assert.equal(reason.toString(), 'going');
    const [serverCode, serverReason] = await serverClosed;
    assert.equal(serverCode, 4001);
    assert.ok(Buffer.isBuffer(serverReason));
    assert.equal(ws.readyState, WebSocket.CLOSED);

    accepted = nextServerSocket(wss);
    const second = await openClient(t, kind, url);
    ws = await accepted;
    const closedByClient = nextEmit<[number, Buffer]>(ws, 'close');
    second.peer.close();
    const [c2, r2] = await closedByClient;
    assert.equal(c2, 1005);
    assert.equal(r2.length, 0);
    assert.equal((await second.closed)[0], 1005);
  });

  test(`${kind.name} client: terminate() closes with 1006 on both sides`, async (t) => {
    const { wss, url } = await startWss(t);
    const accepted = nextServerSocket(wss);
    const { closed } = await openClient(t, kind, url);
    const ws = await accepted;
    const serverClosed = nextEmit<[number]>(ws, 'close');
    ws.terminate();
    assert.equal((await closed)[0], 1006);
    assert.equal((await serverClosed)[0], 1006);
  });

  test(`${kind.name} client: ping and pong carry their payloads both ways (RFC 6455 §5.5.2, §5.5.3)`, async (t) => {
    const { wss, url } = await startWss(t);
    const accepted = nextServerSocket(wss);
    const { peer } = await openClient(t, kind, url);
    const ws = await accepted;

    const clientPing = nextEmit<[Buffer]>(peer, 'ping');
    const serverPong = nextEmit<[Buffer]>(ws, 'pong');
    let pingWritten = false;
    ws.ping('abc', undefined, (err) => {
      assert.equal(err, undefined);
      pingWritten = true;
    });
    assert.equal((await clientPing)[0].toString(), 'abc');
    assert.equal((await serverPong)[0].toString(), 'abc', 'the automatic pong echoes the payload');
    assert.ok(pingWritten);

    const serverPing = nextEmit<[Buffer]>(ws, 'ping');
    const autoPong = nextEmit<[Buffer]>(peer, 'pong');
    peer.ping(Buffer.from([1, 2, 3]));
    assert.deepEqual([...(await serverPing)[0]], [1, 2, 3]);
    assert.deepEqual([...(await autoPong)[0]], [1, 2, 3], 'the server answers with the same payload');

    const unsolicited = nextEmit<[Buffer]>(ws, 'pong');
    peer.pong('beat');
    assert.equal((await unsolicited)[0].toString(), 'beat');

    const clientPong = nextEmit<[Buffer]>(peer, 'pong');
    ws.pong(7 as unknown as string);
    assert.equal((await clientPong)[0].toString(), '7', 'numbers are sent as text, as in ws');

    assert.throws(() => ws.ping(Buffer.alloc(126)), {
      name: 'RangeError',
      message: 'The data size must not be greater than 125 bytes',
    });
  });

  test(`${kind.name} client: maxPayload on the server emits 'error' and closes with 1009`, async (t) => {
    const { wss, url } = await startWss(t, { maxPayload: 16 });
    const accepted = nextServerSocket(wss);
    const { peer, closed } = await openClient(t, kind, url);
    const ws = await accepted;
    const failed = nextEmit<[Error & { code?: string; closeCode?: number }]>(ws, 'error');
    peer.send(Buffer.alloc(16));
    peer.send(Buffer.alloc(17));
    const [err] = await failed;
    assert.equal(err.code, 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH');
    assert.equal((await closed)[0], 1009);
  });
}

test('switchboard/ws client: maxPayload emits error and closes with 1009 (the server sees 1009)', async (t) => {
  const { wss, url } = await startWss(t);
  const accepted = nextServerSocket(wss);
  const { peer } = await openClient(t, CLIENTS[1]!, url, undefined, { maxPayload: 8 });
  const ws = await accepted;
  const failed = nextEmit<[Error & { code?: string }]>(peer, 'error');
  const serverClosed = nextEmit<[number]>(ws, 'close');
  ws.send('123456789');
  assert.equal((await failed)[0].code, 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH');
  assert.equal((await serverClosed)[0], 1009);
});

test('close() rejects codes that may not go on the wire and reasons over 123 bytes (RFC 6455 §7.4, §5.5)', async (t) => {
  const { wss, url } = await startWss(t);
  const accepted = nextServerSocket(wss);
  const { peer } = await openClient(t, CLIENTS[1]!, url);
  const ws = await accepted;
  for (const target of [ws, peer]) {
    for (const code of [0, 999, 1004, 1005, 1006, 1015, 1016, 2999, 5000, '1000' as unknown as number]) {
      assert.throws(
        () => target.close(code),
        { name: 'TypeError', message: 'First argument must be a valid error code number' },
        String(code),
      );
    }
    assert.throws(() => target.close(1000, 'x'.repeat(124)), {
      name: 'RangeError',
      message: 'The message must not be greater than 123 bytes',
    });
    assert.throws(() => target.close(1000, 'é'.repeat(62)), { name: 'RangeError' }, 'the limit counts UTF-8 bytes');
    assert.equal(target.readyState, WebSocket.OPEN, 'a refused close() changes nothing');
  }
  const closed = nextEmit<[number, Buffer]>(peer, 'close');
  ws.close(1000, Buffer.from('x'.repeat(123)) as unknown as string);
  const [code, reason] = await closed;
  assert.equal(code, 1000);
  assert.equal(reason.length, 123);
});

test('send() throws while CONNECTING; after close its callback gets ws\'s "not open" error', async (t) => {
  const { wss, url } = await startWss(t);
  const accepted = nextServerSocket(wss);
  const client = new WebSocket(url);
  t.after(() => client.terminate());
  assert.throws(() => client.send('early'), { message: 'WebSocket is not open: readyState 0 (CONNECTING)' });
  assert.throws(() => client.ping(), { message: 'WebSocket is not open: readyState 0 (CONNECTING)' });
  await nextEmit(client, 'open');
  const ws = await accepted;
  ws.close();
  const errors = await Promise.all([
    new Promise<Error | undefined>((resolve) => ws.send('late', resolve)),
    new Promise<Error | undefined>((resolve) => ws.ping(undefined, undefined, resolve)),
  ]);
  assert.deepEqual(
    errors.map((e) => e?.message),
    ['WebSocket is not open: readyState 2 (CLOSING)', 'WebSocket is not open: readyState 2 (CLOSING)'],
  );
  await nextEmit(ws, 'close');
  const afterClose = await new Promise<Error | undefined>((resolve) => ws.send('later', resolve));
  assert.equal(afterClose?.message, 'WebSocket is not open: readyState 3 (CLOSED)');
});

test("client: close() while CONNECTING emits ws's error, then close 1006", async (t) => {
  const { url } = await startWss(t);
  const client = new WebSocket(url);
  const failed = nextEmit<[Error]>(client, 'error');
  const closed = nextEmit<[number]>(client, 'close');
  client.close();
  assert.equal((await failed)[0].message, 'WebSocket was closed before the connection was established');
  assert.equal((await closed)[0], 1006);
  assert.equal(client.readyState, WebSocket.CLOSED);
});

test('client: a refused TCP connection emits error then close 1006; protocolVersion other than 13 throws', async () => {
  const port = await new Promise<number>((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const p = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(p));
    });
  });
  const client = new WebSocket(`ws://127.0.0.1:${port}`);
  const failed = nextEmit<[Error & { code?: string }]>(client, 'error');
  const closed = nextEmit<[number]>(client, 'close');
  assert.equal((await failed)[0].code, 'ECONNREFUSED');
  assert.equal((await closed)[0], 1006);
  assert.throws(() => new WebSocket('ws://127.0.0.1:1', { protocolVersion: 8 }), { name: 'RangeError' });
  assert.throws(() => new WebSocket('ws://127.0.0.1:1', ['a', 'a']), { name: 'SyntaxError' });
  assert.throws(() => new WebSocket('not a url'), { name: 'SyntaxError' });
});

test('client: emits upgrade then open; unexpected-response replaces error when listened to', async (t) => {
  const { url } = await startWss(t, { path: '/only' });
  const client = new WebSocket(`${url}/only`);
  t.after(() => client.terminate());
  const events: string[] = [];
  client.on('upgrade', (res: { statusCode: number }) => events.push(`upgrade ${res.statusCode}`));
  await new Promise<void>((resolve) => client.on('open', () => resolve(void events.push('open'))));
  assert.deepEqual(events, ['upgrade 101', 'open']);

  const refused = new WebSocket(`${url}/elsewhere`);
  const [, res] = await nextEmit<[unknown, { statusCode: number; headers: Record<string, unknown> }]>(
    refused,
    'unexpected-response',
  );
  assert.equal(res.statusCode, 400, 'ws answers 400 when shouldHandle() refuses');
  assert.equal(res.headers.connection, 'close', 'the response headers come along');
  const plain = new WebSocket(`${url}/elsewhere`);
  const [err] = await nextEmit<[Error]>(plain, 'error');
  assert.equal(err.message, 'Unexpected server response: 400');
});

test("path: the query is ignored; other paths get 400 (ws's shouldHandle)", async (t) => {
  const { url } = await startWss(t, { path: '/chat' });
  await openClient(t, CLIENTS[0]!, `${url}/chat?room=1`);
  const refused = new RealWebSocket(`${url}/chat/x`);
  t.after(() => refused.terminate());
  const [, res] = await nextEmit<[unknown, http.IncomingMessage]>(refused, 'unexpected-response');
  assert.equal(res.statusCode, 400);
  refused.on('error', () => {});
});

test('verifyClient (sync): false answers 401; info has origin, secure and req', async (t) => {
  const infos: { origin: string | undefined; secure: boolean; url: string | undefined }[] = [];
  const { url } = await startWss(t, {
    verifyClient: (info: { origin: string | undefined; secure: boolean; req: http.IncomingMessage }) => {
      infos.push({ origin: info.origin, secure: info.secure, url: info.req.url });
      return info.origin === 'https://good.example';
    },
  });
  await openClient(t, CLIENTS[0]!, `${url}/a`, undefined, { origin: 'https://good.example' });
  const bad = new RealWebSocket(`${url}/b`, { origin: 'https://evil.example' });
  t.after(() => bad.terminate());
  bad.on('error', () => {});
  const [, res] = await nextEmit<[unknown, http.IncomingMessage]>(bad, 'unexpected-response');
  assert.equal(res.statusCode, 401);
  assert.deepEqual(infos, [
    { origin: 'https://good.example', secure: false, url: '/a' },
    { origin: 'https://evil.example', secure: false, url: '/b' },
  ]);
});

test('verifyClient (async, 2 arguments): cb(false, code, message, headers) refuses with them; cb(true) accepts', async (t) => {
  const { wss, url } = await startWss(t, {
    verifyClient: (
      info: { req: http.IncomingMessage },
      cb: (ok: boolean, code?: number, message?: string, headers?: http.OutgoingHttpHeaders) => void,
    ) => {
      setTimeout(() => {
        if (info.req.headers.authorization === 'Bearer ok') cb(true);
        else cb(false, 403, 'Go away', { 'X-Reason': 'token', 'Retry-After': 5 });
      }, 5);
    },
  });
  await openClient(t, CLIENTS[1]!, url, undefined, { headers: { Authorization: 'Bearer ok' } });
  assert.equal(wss.clients.size, 1);
  const refused = new RealWebSocket(url);
  t.after(() => refused.terminate());
  refused.on('error', () => {});
  const [, res] = await nextEmit<[unknown, http.IncomingMessage]>(refused, 'unexpected-response');
  assert.equal(res.statusCode, 403);
  assert.equal(res.headers['x-reason'], 'token');
  assert.equal(res.headers['retry-after'], '5');
  const body = await new Promise<string>((resolve) => {
    let text = '';
    res
      .setEncoding('utf8')
      .on('data', (c: string) => (text += c))
      .on('end', () => resolve(text));
  });
  assert.equal(body, 'Go away');
});

test('handleProtocols gets a Set and the request; without it the first offered protocol is chosen (ws)', async (t) => {
  const seen: [string[], string | undefined][] = [];
  const picky = await startWss(t, {
    handleProtocols: (protocols: Set<string>, req: http.IncomingMessage) => {
      seen.push([[...protocols], req.url]);
      return protocols.has('v2') ? 'v2' : false;
    },
  });
  const { peer } = await openClient(t, CLIENTS[0]!, `${picky.url}/p`, ['v1', 'v2']);
  assert.equal(peer.protocol, 'v2');
  assert.deepEqual(seen, [[['v1', 'v2'], '/p']]);

  const plain = await startWss(t);
  const accepted = nextServerSocket(plain.wss);
  for (const kind of CLIENTS) {
    const { peer: p } = await openClient(t, kind, plain.url, ['first', 'second']);
    assert.equal(p.protocol, 'first');
  }
  assert.equal((await accepted).protocol, 'first');
});

test("'headers' lets listeners add lines to the 101 (e.g. Set-Cookie)", async (t) => {
  const { wss, url } = await startWss(t);
  let request: http.IncomingMessage | undefined;
  wss.on('headers', (headers: string[], req: http.IncomingMessage) => {
    assert.equal(headers[0], 'HTTP/1.1 101 Switching Protocols');
    assert.ok(headers.some((h) => h.startsWith('Sec-WebSocket-Accept: ')));
    headers.push('Set-Cookie: session=abc; HttpOnly');
    headers.push('X-Served-By: switchboard');
    request = req;
  });
  for (const kind of CLIENTS) {
    const client = kind.create(`${url}/h`);
    t.after(() => client.terminate());
    const [res] = await nextEmit<[{ headers: http.IncomingHttpHeaders }]>(client, 'upgrade');
    assert.deepEqual(res.headers['set-cookie'], ['session=abc; HttpOnly'], kind.name);
    assert.equal(res.headers['x-served-by'], 'switchboard');
    assert.equal(request?.url, '/h');
  }
});

test('noServer + handleUpgrade(cb): cb gets (ws, req); clients is tracked unless clientTracking is false', async (t) => {
  const tracked = new WebSocketServer({ noServer: true });
  const untracked = new WebSocketServer({ noServer: true, clientTracking: false });
  const server = http.createServer();
  const cbArgs: string[] = [];
  server.on('upgrade', (req: http.IncomingMessage, socket, head: Buffer) => {
    const target = req.url === '/untracked' ? untracked : tracked;
    target.handleUpgrade(req, socket, head, (ws, request) => {
      cbArgs.push(`${request.url} ${ws.readyState}`);
      target.emit('connection', ws, request);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(
    () =>
      new Promise<void>((resolve) => {
        for (const ws of tracked.clients) ws.terminate();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  );
  const { port } = server.address() as net.AddressInfo;
  const a = await openClient(t, CLIENTS[0]!, `ws://127.0.0.1:${port}/tracked`);
  const b = await openClient(t, CLIENTS[1]!, `ws://127.0.0.1:${port}/untracked`);
  assert.deepEqual(cbArgs, ['/tracked 1', '/untracked 1']);
  assert.equal(tracked.clients.size, 1);
  assert.equal(untracked.clients.size, 0);
  b.peer.terminate();
  a.peer.close();
  await until(() => tracked.clients.size === 0, 'a closed client to leave clients');
});

test('close(cb) stops accepting (503) but leaves open connections alone; close is emitted when the last one closed (ws 8)', async (t) => {
  const wss = new WebSocketServer({ noServer: true });
  const server = http.createServer();
  server.on('upgrade', (req: http.IncomingMessage, socket, head: Buffer) => {
    wss.handleUpgrade(req, socket, head, (ws, request) => wss.emit('connection', ws, request));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(
    () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  );
  const url = `ws://127.0.0.1:${(server.address() as net.AddressInfo).port}`;
  wss.on('connection', (ws: WebSocket) => ws.on('message', (data: Buffer) => ws.send(data)));
  const { peer, log } = await openClient(t, CLIENTS[0]!, url);

  let closed = false;
  wss.close(() => {
    closed = true;
  });
  const late = new RealWebSocket(url);
  t.after(() => late.terminate());
  late.on('error', () => {});
  const [, res] = await nextEmit<[unknown, http.IncomingMessage]>(late, 'unexpected-response');
  assert.equal(res.statusCode, 503);

  peer.send('still here');
  assert.equal((await log.next()).data.toString(), 'still here');
  assert.equal(closed, false);
  peer.close();
  await until(() => closed, "the server's close callback");
  const again = await new Promise<Error | undefined>((resolve) => wss.close(resolve));
  assert.equal(again?.message, 'The server is not running');
});

test('standalone close(cb): the http.Server stops listening', async (t) => {
  const wss = new WebSocketServer({ port: 0, host: '127.0.0.1' });
  await nextEmit(wss, 'listening');
  const { port } = wss.address() as net.AddressInfo;
  await new Promise<void>((resolve, reject) => wss.close((err) => (err ? reject(err) : resolve())));
  assert.equal(wss.address(), null);
  const refused = await new Promise<string>((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    s.on('error', (err: Error & { code?: string }) => resolve(err.code ?? ''));
    s.on('connect', () => {
      s.destroy();
      resolve('connected');
    });
  });
  t.diagnostic(`connect after close: ${refused}`);
  assert.equal(refused, 'ECONNREFUSED');
});

test('binaryType: arraybuffer, fragments and blob change binary messages only (text stays a Buffer, ws 8)', async (t) => {
  const { wss, url } = await startWss(t);
  const accepted = nextServerSocket(wss);
  const client = new WebSocket(url);
  t.after(() => client.terminate());
  await nextEmit(client, 'open');
  const ws = await accepted;
  const got: [string, boolean][] = [];
  client.on('message', (data: unknown, isBinary: boolean) => {
    const kind = Buffer.isBuffer(data)
      ? 'Buffer'
      : data instanceof ArrayBuffer
        ? 'ArrayBuffer'
        : Array.isArray(data)
          ? 'Buffer[]'
          : data instanceof Blob
            ? 'Blob'
            : typeof data;
    got.push([kind, isBinary]);
  });
  for (const type of ['arraybuffer', 'fragments', 'blob', 'nodebuffer'] as const) {
    const n = got.length;
    client.binaryType = type;
    assert.equal(client.binaryType, type);
    ws.send(Buffer.from([1, 2, 3]));
    ws.send('text');
    await until(() => got.length === n + 2, `two messages with binaryType ${type}`);
  }
  assert.deepEqual(got, [
    ['ArrayBuffer', true],
    ['Buffer', false],
    ['Buffer[]', true],
    ['Buffer', false],
    ['Blob', true],
    ['Buffer', false],
    ['Buffer', true],
    ['Buffer', false],
  ]);
});

test('pause() holds messages back until resume(); isPaused reports it', async (t) => {
  const { wss, url } = await startWss(t);
  const accepted = nextServerSocket(wss);
  const { peer, log } = await openClient(t, CLIENTS[1]!, url);
  const ws = await accepted;
  peer.pause();
  assert.equal(peer.isPaused, true);
  ws.send('one');
  ws.send('two');
  await new Promise<void>((resolve) => ws.ping(undefined, undefined, () => resolve()));
  await new Promise((r) => setTimeout(r, 50));
  assert.equal(log.items.length, 0, 'nothing is read while paused');
  peer.resume();
  assert.equal(peer.isPaused, false);
  assert.deepEqual([(await log.next()).data.toString(), (await log.next()).data.toString()], ['one', 'two']);
});

test('a listener that throws does not break the connection (the error is rethrown as uncaught)', async (t) => {
  const { wss, url } = await startWss(t);
  const accepted = nextServerSocket(wss);
  const { peer } = await openClient(t, CLIENTS[0]!, url);
  const ws = await accepted;
  const uncaught: unknown[] = [];
  const listeners = process.listeners('uncaughtException');
  process.removeAllListeners('uncaughtException');
  const onUncaught = (err: unknown): void => void uncaught.push(err);
  process.on('uncaughtException', onUncaught);
  t.after(() => {
    process.removeListener('uncaughtException', onUncaught);
    for (const l of listeners) process.on('uncaughtException', l);
  });
  const log = new MessageLog(ws);
  ws.once('message', () => {
    throw new Error('listener bug');
  });
  peer.send('first');
  peer.send('second');
  assert.equal((await log.next()).data.toString(), 'first');
  assert.equal((await log.next()).data.toString(), 'second');
  await until(() => uncaught.length === 1, 'the rethrown listener error');
  assert.equal((uncaught[0] as Error).message, 'listener bug');
});

test("createWebSocketStream: a Duplex whose writes are messages and whose reads are the peer's messages", async (t) => {
  const { wss, url } = await startWss(t);
  wss.on('connection', (ws: WebSocket) =>
    ws.on('message', (data: Buffer) => ws.send(Buffer.concat([Buffer.from('echo:'), data]))),
  );
  const client = new WebSocket(url);
  const duplex = createWebSocketStream(client, { encoding: 'utf8' });
  t.after(() => duplex.destroy());
  duplex.write('abc'); // written while CONNECTING: sent once open
  const [chunk] = await nextEmit<[string]>(duplex, 'data');
  assert.equal(chunk, 'echo:abc');
  const ended = nextEmit(duplex, 'end');
  duplex.end();
  duplex.resume();
  await ended;
  assert.equal(client.readyState, WebSocket.CLOSED);
});

test('EventTarget surface (as ws): onmessage gets text as a string, addEventListener dedupes, close has wasClean', async (t) => {
  const { wss, url } = await startWss(t);
  wss.on('connection', (ws: WebSocket) => {
    ws.send('text');
    ws.send(Buffer.from([1]));
  });
  const client = new WebSocket(url);
  t.after(() => client.terminate());
  const seen: string[] = [];
  client.onopen = (event: { type: string }) => seen.push(event.type);
  const onMessage = (event: { data: unknown }): void =>
    void seen.push(
      typeof event.data === 'string' ? `string ${event.data}` : `binary ${String(Buffer.isBuffer(event.data))}`,
    );
  client.addEventListener('message', onMessage);
  client.addEventListener('message', onMessage);
  const handler = { handleEvent: (event: { type: string }) => seen.push(`handleEvent ${event.type}`) };
  client.addEventListener('open', handler, { once: true });
  await until(() => seen.length === 4, 'open and two messages');
  assert.deepEqual(seen, ['open', 'handleEvent open', 'string text', 'binary true']);
  assert.equal(typeof client.onopen, 'function');
  client.onopen = null;
  assert.equal(client.onopen, null);
  client.removeEventListener('message', onMessage);
  const closed = new Promise<{ code: number; reason: string; wasClean: boolean }>((resolve) => {
    client.onclose = (event: { code: number; reason: string; wasClean: boolean }) => resolve(event);
  });
  for (const ws of wss.clients) ws.close(4000, 'done');
  const event = await closed;
  assert.deepEqual(
    { code: event.code, reason: event.reason, wasClean: event.wasClean },
    { code: 4000, reason: 'done', wasClean: true },
  );
});

test("standalone server keeps the engine's head limit: a 20 KiB request head gets 431 (HS-12)", async (t) => {
  const { port } = await startWss(t);
  const answer = await new Promise<string>((resolve, reject) => {
    const s = net.connect(port, '127.0.0.1', () => {
      s.write(`GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: ${'a'.repeat(20 * 1024)}\r\n\r\n`);
    });
    let text = '';
    s.setEncoding('latin1')
      .on('data', (c: string) => (text += c))
      .on('close', () => resolve(text))
      .on('error', reject);
    setTimeout(() => s.destroy(), 3_000).unref();
  });
  assert.match(answer, /^HTTP\/1\.1 431 /);
});

for (const kind of CLIENTS) {
  test(`${kind.name} client: permessage-deflate (RFC 7692) is negotiated by default against a server with perMessageDeflate: true`, async (t) => {
    const { wss, url } = await startWss(t, { perMessageDeflate: { threshold: 0, serverNoContextTakeover: true } });
    const accepted = nextServerSocket(wss);
    const client = kind.create(url);
    t.after(() => client.terminate());
    const upgraded = nextEmit<[{ headers: http.IncomingHttpHeaders }]>(client, 'upgrade');
    const opened = nextEmit(client, 'open'); // emitted in the same tick as 'upgrade'
    const [res] = await upgraded;
    assert.match(String(res.headers['sec-websocket-extensions']), /^permessage-deflate.*server_no_context_takeover/);
    await opened;
    const ws = await accepted;
    assert.equal(ws.extensions, 'permessage-deflate', 'extension names only, as ws');
    assert.equal((client as unknown as { extensions: string }).extensions, 'permessage-deflate');

    const log = new MessageLog(client);
    const serverLog = new MessageLog(ws);
    const big = 'compressible '.repeat(20_000);
    const order: string[] = [];
    ws.send(big, () => order.push('big written'));
    ws.send('part 1 ', { fin: false });
    ws.send('part 2', { fin: true }, () => order.push('fragments written'));
    ws.send(Buffer.from([9, 9]), { compress: false });
    const pong = nextEmit<[Buffer]>(ws, 'pong');
    ws.ping('after the messages');
    const got = [await log.next(), await log.next(), await log.next()];
    assert.deepEqual(
      got.map((m) => [m.data.length, m.isBinary]),
      [
        [big.length, false],
        [13, false],
        [2, true],
      ],
    );
    assert.equal(got[1]!.data.toString(), 'part 1 part 2');
    assert.equal((await pong)[0].toString(), 'after the messages');
    await until(() => order.length === 2, 'both send callbacks');
    assert.deepEqual(order, ['big written', 'fragments written'], 'callbacks follow the send order');

    client.send(big);
    client.send(Buffer.alloc(3000, 1));
    const back = [await serverLog.next(), await serverLog.next()];
    assert.equal(back[0]!.data.toString(), big);
    assert.equal(back[1]!.data.length, 3000);
  });
}

test('perMessageDeflate: a server without it (the ws default) declines the offer; a client with false offers nothing', async (t) => {
  const plain = await startWss(t);
  const { peer } = await openClient(t, CLIENTS[1]!, plain.url);
  assert.equal((peer as unknown as { extensions: string }).extensions, '');
  const seen: (string | undefined)[] = [];
  const compressing = await startWss(t, { perMessageDeflate: true });
  compressing.wss.on('headers', (_lines: string[], req: http.IncomingMessage) =>
    seen.push(req.headers['sec-websocket-extensions']),
  );
  const quiet = await openClient(t, CLIENTS[1]!, compressing.url, undefined, { perMessageDeflate: false });
  assert.equal((quiet.peer as unknown as { extensions: string }).extensions, '');
  assert.deepEqual(seen, [undefined], 'no offer was sent');
});
