// Tests of src/engine/client.ts: connect() over ws:// and wss://, headers, abort, timeouts, HandshakeError.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import https from 'node:https';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { connect, HandshakeError, WebSocketServer } from '../../src/engine/index.ts';
import { acceptFor } from '../helpers/raw.ts';
import { nextConnection, nextEvent, selfSignedCert, startServer } from '../helpers/engine-fixtures.ts';

/** A TCP server whose connection handler is the test's. */
async function rawServer(t: { after(fn: () => unknown): void }, onSocket: (s: net.Socket) => void): Promise<number> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((s) => {
    sockets.add(s);
    s.on('error', () => {});
    onSocket(s);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.after(
    () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  );
  return (server.address() as AddressInfo).port;
}

test('connect() over wss:// with a self-signed certificate made at test time', async (t) => {
  const { key, cert } = selfSignedCert();
  const server = https.createServer({ key, cert });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const wss = new WebSocketServer({ server });
  t.after(async () => {
    await wss.close({ timeoutMs: 100 });
    await new Promise<void>((r) => server.close(() => r()));
  });
  wss.on('connection', (ws) => {
    ws.onmessage = (e) => ws.send(e.data as string);
  });
  const port = (server.address() as AddressInfo).port;
  const ws = await connect(`wss://127.0.0.1:${port}/secure`, { tls: { ca: cert } });
  const reply = nextEvent<{ data: string }>(ws, 'message');
  ws.send('over tls');
  assert.equal((await reply).data, 'over tls');
  ws.close();
  await assert.rejects(connect(`wss://localhost:${port}/`), (err: Error) => /certificate/i.test(err.message));
});

test('connect() sends headers and origin; the server sees them', async (t) => {
  const { wss, url } = await startServer(t, { keepRequestHeaders: true });
  const conn = nextConnection(wss);
  const ws = await connect(url, { headers: { 'X-Trace': 'abc' }, origin: 'https://app.example' });
  const server = await conn;
  assert.equal(server.request?.headers['x-trace'], 'abc');
  assert.equal(server.request?.headers['origin'], 'https://app.example');
  assert.equal(ws.url, url);
  assert.equal(ws.isServer, false);
  ws.close();
});

test('HandshakeError carries the HTTP status of a refused upgrade', async (t) => {
  const { url } = await startServer(t, { accept: () => ({ status: 429, headers: { 'Retry-After': '3' } }) });
  const err = await connect(url).then(
    () => null,
    (e: unknown) => e,
  );
  assert.ok(err instanceof HandshakeError);
  assert.equal(err.status, 429);
  assert.equal(err.code, 'WS_ERR_UNEXPECTED_RESPONSE');
});

test('a 101 with a wrong Sec-WebSocket-Accept fails the connection (RFC 6455 §4.1, CLT-02)', async (t) => {
  const port = await rawServer(t, (s) => {
    s.once('data', () =>
      s.write(
        'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: AAAAAAAAAAAAAAAAAAAAAAAAAAA=\r\n\r\n',
      ),
    );
  });
  await assert.rejects(
    connect(`ws://127.0.0.1:${port}/`),
    (err: unknown) => err instanceof HandshakeError && err.code === 'WS_ERR_INVALID_ACCEPT',
  );
});

test('a server that never answers hits the handshake timeout (CLT-06)', async (t) => {
  const port = await rawServer(t, () => {});
  const started = Date.now();
  await assert.rejects(connect(`ws://127.0.0.1:${port}/`, { handshakeTimeoutMs: 150 }), /timed out/);
  assert.ok(Date.now() - started < 2_000);
});

test('a response head larger than the limit fails the handshake', async (t) => {
  const port = await rawServer(t, (s) => {
    s.once('data', () => s.write(`HTTP/1.1 101 Switching Protocols\r\nX-Big: ${'a'.repeat(40_000)}\r\n\r\n`));
  });
  await assert.rejects(
    connect(`ws://127.0.0.1:${port}/`),
    (err: unknown) => err instanceof HandshakeError && err.code === 'WS_ERR_INVALID_RESPONSE',
  );
});

test('a non-HTTP answer fails the handshake', async (t) => {
  const port = await rawServer(t, (s) => {
    s.once('data', () => s.write('SSH-2.0-OpenSSH\r\n\r\n'));
  });
  await assert.rejects(
    connect(`ws://127.0.0.1:${port}/`),
    (err: unknown) => err instanceof HandshakeError && err.status === 0,
  );
});

test('AbortSignal aborts a pending handshake; an aborted signal rejects at once', async (t) => {
  const { url } = await startServer(t, { accept: () => new Promise(() => {}), handshakeTimeoutMs: 2_000 });
  const controller = new AbortController();
  const pending = connect(url, { signal: controller.signal });
  setTimeout(() => controller.abort(), 30);
  await assert.rejects(pending, (err: Error) => err.name === 'AbortError');
  await assert.rejects(connect(url, { signal: AbortSignal.abort() }), (err: Error) => err.name === 'AbortError');
});

test('invalid URLs are rejected: bad scheme, fragment (RFC 6455 §3)', async () => {
  await assert.rejects(connect('ftp://127.0.0.1/'), SyntaxError);
  await assert.rejects(connect('ws://127.0.0.1/#frag'), SyntaxError);
  await assert.rejects(connect('not a url'), SyntaxError);
});

test('the client reads frames that arrive in the same segment as the 101', async (t) => {
  const port = await rawServer(t, (s) => {
    let buf = '';
    s.on('data', (d: Buffer) => {
      buf += d.toString('latin1');
      const m = /Sec-WebSocket-Key: (\S+)/i.exec(buf);
      if (m === null || !buf.includes('\r\n\r\n')) return;
      s.removeAllListeners('data');
      s.write(
        Buffer.concat([
          Buffer.from(
            `HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${acceptFor(m[1]!)}\r\n\r\n`,
            'latin1',
          ),
          Buffer.from([0x81, 0x05, ...Buffer.from('early')]),
        ]),
      );
    });
  });
  const ws = await connect(`ws://127.0.0.1:${port}/`);
  const msg = await nextEvent<{ data: string }>(ws, 'message');
  assert.equal(msg.data, 'early');
  ws.terminate();
});

test('a masked frame from the server fails the client with 1002 (RFC 6455 §5.1, CLT-01)', async (t) => {
  const port = await rawServer(t, (s) => {
    let buf = '';
    s.on('data', (d: Buffer) => {
      buf += d.toString('latin1');
      const m = /Sec-WebSocket-Key: (\S+)/i.exec(buf);
      if (m === null || !buf.includes('\r\n\r\n')) return;
      s.removeAllListeners('data');
      s.write(
        `HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${acceptFor(m[1]!)}\r\n\r\n`,
      );
      setTimeout(() => s.write(Buffer.from([0x81, 0x81, 1, 2, 3, 4, 0x61 ^ 1])), 20);
    });
  });
  const ws = await connect(`ws://127.0.0.1:${port}/`, { closeTimeoutMs: 100 });
  const closed = await nextEvent<{ code: number; wasClean: boolean }>(ws, 'close');
  assert.deepEqual([closed.code, closed.wasClean], [1002, false]);
});

test('the client waits for the server to close TCP, bounded by closeTimeoutMs (CLT-06)', async (t) => {
  const port = await rawServer(t, (s) => {
    let buf = Buffer.alloc(0);
    let upgraded = false;
    s.on('data', (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      if (!upgraded) {
        const text = buf.toString('latin1');
        const m = /Sec-WebSocket-Key: (\S+)/i.exec(text);
        if (m === null || !text.includes('\r\n\r\n')) return;
        upgraded = true;
        buf = Buffer.alloc(0);
        s.write(
          `HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${acceptFor(m[1]!)}\r\n\r\n`,
        );
        return;
      }
      // Echo the Close but never close TCP.
      if (buf.length >= 2 && (buf[0]! & 0x0f) === 0x8) s.write(Buffer.from([0x88, 0x02, 0x03, 0xe8]));
    });
  });
  const ws = await connect(`ws://127.0.0.1:${port}/`, { closeTimeoutMs: 150 });
  const started = Date.now();
  const closed = nextEvent<{ code: number }>(ws, 'close');
  ws.close(1000);
  assert.equal((await closed).code, 1000);
  assert.ok(Date.now() - started >= 100, 'the client waited for the server first');
});

test('a refusal carries the response headers; onResponse sees the answer before it is checked', async (t) => {
  const { url } = await startServer(t, { accept: () => ({ status: 503, headers: { 'Retry-After': '9' } }) });
  const seen: number[] = [];
  const err = await connect(url, { onResponse: (res) => void seen.push(res.statusCode) }).then(
    () => null,
    (e: unknown) => e,
  );
  assert.ok(err instanceof HandshakeError);
  assert.equal(err.headers['retry-after'], '9');
  assert.deepEqual(seen, [503]);
  const { url: okUrl } = await startServer(t, { accept: () => ({ headers: { 'X-Session': 's1' } }) });
  let sessionHeader: unknown;
  const ws = await connect(okUrl, { onResponse: (res) => (sessionHeader = res.headers['x-session']) });
  assert.equal(sessionHeader, 's1');
  ws.close();
});

test('localAddress: the server sees the connection come from 127.0.0.2, over ws:// and wss://', async (t) => {
  const { wss, url } = await startServer(t);
  const conn = nextConnection(wss);
  const ws = await connect(url, { localAddress: '127.0.0.2' });
  assert.equal((await conn).remoteAddress, '127.0.0.2');
  ws.close();
  const { key, cert } = selfSignedCert();
  const secure = await startServer(t, { tls: { key, cert } });
  const secureConn = nextConnection(secure.wss);
  const wssClient = await connect(`wss://localhost:${secure.port}/`, { localAddress: '127.0.0.3', tls: { ca: cert } });
  assert.equal((await secureConn).remoteAddress, '127.0.0.3');
  wssClient.close();
});

test('family and lookup: a made-up host name resolves through the given lookup, as IPv4', async (t) => {
  const { wss, port } = await startServer(t, { keepRequestHeaders: true });
  const asked: Array<{ hostname: string; family: unknown }> = [];
  const lookup = ((
    hostname: string,
    opts: { family?: unknown; all?: boolean },
    cb: (...args: unknown[]) => void,
  ): void => {
    asked.push({ hostname, family: opts.family });
    if (hostname !== 'switchboard.test') cb(Object.assign(new Error('not found'), { code: 'ENOTFOUND' }));
    else if (opts.all === true) cb(null, [{ address: '127.0.0.1', family: 4 }]);
    else cb(null, '127.0.0.1', 4);
  }) as unknown as net.LookupFunction;
  const conn = nextConnection(wss);
  const ws = await connect(`ws://switchboard.test:${port}/`, { family: 4, lookup });
  const server = await conn;
  assert.equal(server.request?.headers.host, `switchboard.test:${port}`);
  assert.deepEqual(asked, [{ hostname: 'switchboard.test', family: 4 }]);
  ws.close();
  await assert.rejects(connect(`ws://other.test:${port}/`, { family: 4, lookup }), (err: NodeJS.ErrnoException) => {
    assert.match(err.message, /cannot resolve other\.test/);
    assert.equal(err.code, 'ENOTFOUND');
    return true;
  });
});

test('a localAddress this host does not have rejects connect() with EADDRNOTAVAIL, before any packet leaves', async (t) => {
  const { url } = await startServer(t);
  await assert.rejects(connect(url, { localAddress: '10.255.255.1' }), (err: NodeJS.ErrnoException) => {
    assert.match(
      err.message,
      /^Cannot open the WebSocket: cannot connect from local address 10\.255\.255\.1 \(EADDRNOTAVAIL\)$/,
    );
    assert.equal(err.code, 'EADDRNOTAVAIL');
    return true;
  });
});

test('invalid localAddress, family or lookup are caller errors, thrown before dialling', async () => {
  await assert.rejects(connect('ws://127.0.0.1:1/', { localAddress: 'localhost' }), TypeError);
  await assert.rejects(connect('ws://127.0.0.1:1/', { localAddress: '999.1.1.1' }), TypeError);
  await assert.rejects(connect('ws://127.0.0.1:1/', { family: 5 }), RangeError);
  await assert.rejects(connect('ws://127.0.0.1:1/', { lookup: 'dns' as unknown as net.LookupFunction }), TypeError);
});

test('an unknown slow-consumer policy or close code is refused before dialling, as the server refuses it', async () => {
  await assert.rejects(
    connect('ws://127.0.0.1:1/', { slowConsumerPolicy: 'explode' as unknown as 'wait' }),
    /Cannot use slowConsumerPolicy "explode"/,
  );
  await assert.rejects(
    connect('ws://127.0.0.1:1/', { slowConsumerCloseCode: 1006 as unknown as 1008 }),
    (err: unknown) => err instanceof RangeError && /slowConsumerCloseCode "1006"/.test(err.message),
  );
  assert.throws(
    () => new WebSocketServer({ noServer: true, slowConsumerCloseCode: 1006 as unknown as 1008 }),
    RangeError,
  );
  assert.throws(
    () => new WebSocketServer({ noServer: true, slowConsumerPolicy: 'explode' as unknown as 'wait' }),
    TypeError,
  );
});

test('a refused connection names the target and keeps the code', async () => {
  const probe = net.createServer();
  await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
  const port = (probe.address() as AddressInfo).port;
  await new Promise<void>((r) => probe.close(() => r()));
  await assert.rejects(
    connect(`ws://127.0.0.1:${port}/`),
    (err: NodeJS.ErrnoException) => err.code === 'ECONNREFUSED' && err.message.includes(`127.0.0.1:${port}`),
  );
});

test('the client reads the head with the protocol parser: a duplicate Sec-WebSocket-Accept fails, a folded header fails', async (t) => {
  const answer =
    (extra: string) =>
    (s: net.Socket): void => {
      let buf = '';
      s.on('data', (d: Buffer) => {
        buf += d.toString('latin1');
        const m = /Sec-WebSocket-Key: (\S+)/i.exec(buf);
        if (m === null || !buf.includes('\r\n\r\n')) return;
        s.write(
          `HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${acceptFor(m[1]!)}\r\n${extra.replace('ACCEPT', acceptFor(m[1]!))}\r\n`,
        );
      });
    };
  const dup = await rawServer(t, answer('Sec-WebSocket-Accept: ACCEPT\r\n'));
  await assert.rejects(
    connect(`ws://127.0.0.1:${dup}/`),
    (err: unknown) => err instanceof HandshakeError && err.code === 'WS_ERR_INVALID_ACCEPT' && err.status === 101,
  );
  const folded = await rawServer(t, answer('X-A: 1\r\n  continued\r\n'));
  await assert.rejects(
    connect(`ws://127.0.0.1:${folded}/`),
    (err: unknown) =>
      err instanceof HandshakeError && err.code === 'WS_ERR_INVALID_RESPONSE' && /folded/.test(err.message),
  );
});

test('a refusal with a body: the status and headers reach the HandshakeError, the body is not read as frames', async (t) => {
  const port = await rawServer(t, (s) => {
    s.once('data', () =>
      s.end('HTTP/1.1 503 Service Unavailable\r\nRetry-After: 7\r\nContent-Length: 11\r\n\r\nplease wait'),
    );
  });
  await assert.rejects(
    connect(`ws://127.0.0.1:${port}/`),
    (err: unknown) =>
      err instanceof HandshakeError &&
      err.code === 'WS_ERR_UNEXPECTED_RESPONSE' &&
      err.status === 503 &&
      err.headers['retry-after'] === '7',
  );
});

test('the ws-compat client passes localAddress through, as ws passes it to http.request', async (t) => {
  const { WebSocket: WsCompat } = await import('../../src/engine/ws-compat.ts');
  const { wss, url } = await startServer(t);
  const conn = nextConnection(wss);
  const ws = new WsCompat(url, { localAddress: '127.0.0.4' });
  const opened = new Promise((resolve) => ws.once('open', resolve));
  assert.equal((await conn).remoteAddress, '127.0.0.4');
  await opened;
  ws.close();
});
