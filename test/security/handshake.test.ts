// docs/security-cases.md §4.1 (HS-01..HS-23): hostile upgrade requests against a real server over TCP, each checked for its HTTP answer, socket release and a healthy control client.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import https from 'node:https';
import tls from 'node:tls';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { RawClient, acceptFor, expectHttpStatus, frames, handshakeRequest, newKey } from '../helpers/raw.ts';
import { hostile } from '../helpers/hostile.ts';

/** Sends `request` on a fresh socket and expects one of `status`, then the socket closed by the server. */
async function expectStatus(port: number, request: string, status: number | number[]) {
  const c = await RawClient.connect(port);
  try {
    await c.write(request);
    return await expectHttpStatus(c, status);
  } finally {
    c.destroy();
  }
}

/** Sends `request` and expects a 101 with the right accept key; returns the head. */
async function expect101(port: number, request: string, key: string) {
  const c = await RawClient.connect(port);
  try {
    await c.write(request);
    const head = await c.readHttpHead();
    assert.equal(head.status, 101, head.statusLine);
    assert.equal(head.headers['sec-websocket-accept'], acceptFor(key));
    return head;
  } finally {
    c.destroy();
  }
}

test('HS-01 server rejects an HTTP/1.0 upgrade with 400 and closes (RFC 6455 §4.2.1 "HTTP/1.1 or higher")', async (t) => {
  const fx = await hostile(t);
  await expectStatus(fx.server.port, handshakeRequest({ httpVersion: '1.0' }, fx.server.port), 400);
  await fx.verify();
});

test('HS-02 server rejects POST and PUT upgrades with 400/405 (RFC 6455 §4.2.1 "GET")', async (t) => {
  const fx = await hostile(t);
  for (const method of ['POST', 'PUT']) {
    const head = await expectStatus(fx.server.port, handshakeRequest({ method }, fx.server.port), [400, 405]);
    if (head.status === 405) assert.match(head.headers['allow'] ?? '', /GET/);
  }
  await fx.verify();
});

test('HS-03 server rejects a missing Host and a doubled Host with 400 (RFC 6455 §4.2.1 (2))', async (t) => {
  const fx = await hostile(t);
  await expectStatus(fx.server.port, handshakeRequest({ host: null }, fx.server.port), 400);
  await expectStatus(fx.server.port, handshakeRequest({ extra: [['Host', 'evil.example']] }, fx.server.port), 400);
  await fx.verify();
});

test('HS-04 server rejects a missing/h2c/websocketx Upgrade and accepts "WebSocket" in any case (RFC 6455 §4.2.1 (3))', async (t) => {
  const fx = await hostile(t);
  const p = fx.server.port;
  await expectStatus(p, handshakeRequest({ upgrade: null }, p), [400, 426]);
  await expectStatus(p, handshakeRequest({ upgrade: 'h2c' }, p), 400);
  await expectStatus(p, handshakeRequest({ upgrade: 'websocketx' }, p), 400);
  const key = newKey();
  await expect101(p, handshakeRequest({ upgrade: 'WebSocket', key }, p), key);
  await fx.verify();
});

test('HS-05 server accepts Connection token lists case-insensitively and refuses keep-alive alone (RFC 6455 §4.2.1 (4))', async (t) => {
  const fx = await hostile(t);
  const p = fx.server.port;
  for (const connection of ['keep-alive, Upgrade', 'UPGRADE']) {
    const key = newKey();
    await expect101(p, handshakeRequest({ connection, key }, p), key);
  }
  await expectStatus(p, handshakeRequest({ connection: 'keep-alive' }, p), [400, 426]);
  await fx.verify();
});

test('HS-06 server rejects missing, non-base64, short, spaced and doubled Sec-WebSocket-Key with 400 (RFC 6455 §4.2.1 (5))', async (t) => {
  const fx = await hostile(t);
  const p = fx.server.port;
  const cases: Array<[string, string]> = [
    ['missing', handshakeRequest({ key: null }, p)],
    ['not base64', handshakeRequest({ key: '!!!!!!!!!!!!!!!!!!!!!!==' }, p)],
    ['4 bytes', handshakeRequest({ key: 'dGVzdA==' }, p)],
    ['inner space', handshakeRequest({ key: 'dGhlIHNhbXBs ZSBub25jZQ==' }, p)],
    ['twice', handshakeRequest({ extra: [['Sec-WebSocket-Key', newKey()]] }, p)],
  ];
  for (const [name, req] of cases) {
    await t.test(name, () => expectStatus(p, req, 400).then(() => undefined));
  }
  await fx.verify();
});

test('HS-07 server answers unsupported Sec-WebSocket-Version with 426 and "Sec-WebSocket-Version: 13" (RFC 6455 §4.2.2, §4.4)', async (t) => {
  const fx = await hostile(t);
  const p = fx.server.port;
  for (const version of [null, '8', '12', '13, 8', 'abc']) {
    const head = await expectStatus(p, handshakeRequest({ version }, p), 426);
    assert.match(head.headers['sec-websocket-version'] ?? '', /^13$/, `version ${version}`);
  }
  await fx.verify();
});

test('HS-08 server accepts the RFC sample key with the RFC accept value (RFC 6455 §1.3)', async (t) => {
  const fx = await hostile(t);
  const p = fx.server.port;
  const head = await expect101(p, handshakeRequest({ key: 'dGhlIHNhbXBsZSBub25jZQ==' }, p), 'dGhlIHNhbXBsZSBub25jZQ==');
  assert.equal(head.headers['sec-websocket-accept'], 's3pPLMBiTxaQ9kYGzzhZRbK+xOo=');
  assert.match(head.headers['upgrade'] ?? '', /^websocket$/i);
  assert.match(head.headers['connection'] ?? '', /upgrade/i);
  await fx.verify();
});

test('HS-09 server answers a plain GET without upgrade headers with 426 or 400 and never hangs', async (t) => {
  const fx = await hostile(t);
  const p = fx.server.port;
  const head = await expectStatus(p, `GET / HTTP/1.1\r\nHost: 127.0.0.1:${p}\r\nConnection: close\r\n\r\n`, [400, 426]);
  if (head.status === 426) assert.match(head.headers['upgrade'] ?? '', /websocket/i);
  await fx.verify();
});

test('HS-10 server with a path answers upgrades to other paths with 404/400 and closes the socket (no leak)', async (t) => {
  const fx = await hostile(t, { path: '/ws' });
  const p = fx.server.port;
  for (const path of ['/metrics', '/health', '/nope', '/wsx', '/ws/extra']) {
    await expectStatus(p, handshakeRequest({ path }, p), [400, 404]);
  }
  const key = newKey();
  await expect101(p, handshakeRequest({ path: '/ws?x=1', key }, p), key);
  await fx.verify();
});

test('HS-11 server survives 2000 extra headers (CVE-2024-37890 style) with 431/400, never 101 with a dropped key', async (t) => {
  const fx = await hostile(t);
  const p = fx.server.port;
  const chars = "!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyz";
  const extra: Array<[string, string]> = [];
  for (let i = 0; i < chars.length && extra.length < 2000; i++) {
    for (let j = 0; j < chars.length && extra.length < 2000; j++) extra.push([chars[i]! + chars[j]!, '']);
  }
  // The WebSocket headers come after the flood, so a server that keeps only the first 2000 headers loses them.
  const flood = `GET / HTTP/1.1\r\n${extra.map(([n, v]) => `${n}: ${v}`).join('\r\n')}\r\nHost: 127.0.0.1:${p}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ${newKey()}\r\nSec-WebSocket-Version: 13\r\n\r\n`;
  await expectStatus(p, flood, [400, 431]);
  await fx.verify();
});

test('HS-12 server answers a 64 KiB header and > 16 KiB of headers with 431', async (t) => {
  const fx = await hostile(t);
  const p = fx.server.port;
  await expectStatus(p, handshakeRequest({ extra: [['X-Big', 'a'.repeat(64 * 1024)]] }, p), [431, 400]);
  const many: Array<[string, string]> = [];
  for (let i = 0; i < 40; i++) many.push([`X-H${i}`, 'b'.repeat(500)]);
  await expectStatus(p, handshakeRequest({ extra: many }, p), [431, 400]);
  await fx.verify();
});

test('HS-13 server parses "b" + spaces + "x" in Sec-WebSocket-Protocol in linear time and answers 400/431 (ReDoS, CVE-2021-32640)', async (t) => {
  const fx = await hostile(t, { handleProtocols: (list: string[]) => list[0] ?? null });
  const p = fx.server.port;
  // 32 000 spaces exceed Node's 16 KiB header limit (431); 15 000 fit and must reach our token-list parser (400).
  for (const [spaces, statuses] of [
    [32_000, [400, 431]],
    [15_000, [400]],
  ] as const) {
    const started = process.hrtime.bigint();
    await expectStatus(p, handshakeRequest({ protocols: `b${' '.repeat(spaces)}x` }, p), [...statuses]);
    const ms = Number(process.hrtime.bigint() - started) / 1e6;
    // Generous: a backtracking parser takes seconds to minutes here; a linear one well under 100 ms.
    assert.ok(ms < 2_000, `took ${ms.toFixed(0)} ms for ${spaces} spaces`);
  }
  await fx.verify();
});

test('HS-14 server rejects malformed or duplicate subprotocol lists with 400 and never selects an unoffered protocol (RFC 6455 §4.2.2)', async (t) => {
  const fx = await hostile(t, { handleProtocols: (list: string[]) => (list.includes('chat') ? 'chat' : 'evil') });
  const p = fx.server.port;
  await expectStatus(p, handshakeRequest({ protocols: 'a, a' }, p), 400);
  await expectStatus(p, handshakeRequest({ protocols: 'a b' }, p), 400);
  {
    // `a,,b`: RFC 7230 §7 says empty list elements are tolerated; either 400 or a 101 that selects nothing unoffered.
    const c = await RawClient.connect(p);
    t.after(() => c.destroy());
    await c.write(handshakeRequest({ protocols: 'a,,b' }, p));
    const head = await c.readHttpHead();
    // 500 is acceptable: the application callback chose a value the client never offered.
    assert.ok([101, 400, 500].includes(head.status), head.statusLine);
    assert.notEqual(head.headers['sec-websocket-protocol'], 'evil');
    c.destroy();
  }
  {
    // The callback returns a value the client never offered: it must not reach the wire.
    const c = await RawClient.connect(p);
    t.after(() => c.destroy());
    await c.write(handshakeRequest({ protocols: 'x, y' }, p));
    const head = await c.readHttpHead();
    assert.ok([101, 500].includes(head.status), head.statusLine);
    assert.equal(head.headers['sec-websocket-protocol'], undefined, head.raw);
    c.destroy();
  }
  const key = newKey();
  const head = await expect101(p, handshakeRequest({ protocols: 'x, chat', key }, p), key);
  assert.equal(head.headers['sec-websocket-protocol'], 'chat');
  // The server may report the application's bad choice as an error event; anything else is a failure.
  assert.ok(
    fx.server.errors.every((e) => /evil/.test(String(e))),
    fx.server.errors.map(String).join('\n'),
  );
  fx.server.errors.length = 0;
  await fx.verify();
});

test('HS-15 server does not crash on prototype-named extensions and never accepts an extension it did not enable', async (t) => {
  const fx = await hostile(t);
  const p = fx.server.port;
  for (const extensions of [
    'constructor',
    ',;constructor',
    'permessage-deflate; __proto__=1',
    'toString',
    '__proto__',
    'hasOwnProperty; hasOwnProperty',
  ]) {
    const c = await RawClient.connect(p);
    t.after(() => c.destroy());
    await c.write(handshakeRequest({ extensions }, p));
    const head = await c.readHttpHead();
    assert.ok([101, 400].includes(head.status), `${extensions}: ${head.statusLine}`);
    assert.equal(head.headers['sec-websocket-extensions'], undefined, `${extensions}: ${head.raw}`);
    c.destroy();
  }
  await fx.verify();
});

test('HS-16 server parses an unclosed quoted-string extension parameter flood in linear time and answers 400 (RFC 6455 §9.1)', async (t) => {
  const fx = await hostile(t);
  const p = fx.server.port;
  for (const [pairs, statuses] of [
    [50_000, [400, 431]],
    [7_000, [400]],
  ] as const) {
    const started = process.hrtime.bigint();
    await expectStatus(p, handshakeRequest({ extensions: `a; b="${'\\c'.repeat(pairs)}` }, p), [...statuses]);
    const ms = Number(process.hrtime.bigint() - started) / 1e6;
    assert.ok(ms < 2_000, `took ${ms.toFixed(0)} ms for ${pairs} pairs`);
  }
  await fx.verify();
});

test('HS-17 server closes a slowloris handshake (one header byte at a time) at the handshake deadline', async (t) => {
  const fx = await hostile(t, { handshakeTimeoutMs: 1_000 });
  const c = await fx.connect();
  const req = handshakeRequest({}, fx.server.port);
  let sent = 0;
  const started = Date.now();
  // One byte every 100 ms: the request would take minutes to complete.
  while (!c.ended && !c.closed && Date.now() - started < 6_000 && sent < req.length - 4) {
    await c.write(req[sent++]!);
    await new Promise((r) => setTimeout(r, 100));
  }
  assert.ok(
    await c.waitEnd(1_000),
    `socket still open ${Date.now() - started} ms after connecting, ${sent} bytes sent`,
  );
  assert.ok(Date.now() - started < 6_000);
  await fx.verify();
});

test('HS-18 server closes an idle TCP connection that sends nothing at the handshake deadline', async (t) => {
  const fx = await hostile(t, { handshakeTimeoutMs: 1_000 });
  const c = await fx.connect();
  assert.ok(await c.waitEnd(5_000), 'idle socket not closed within 5 s with handshakeTimeoutMs 1000');
  await fx.verify();
});

test('HS-19 an attached https server closes a TLS client that never sends ClientHello at the handshake deadline', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'sb-tls-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      join(dir, 'key.pem'),
      '-out',
      join(dir, 'cert.pem'),
      '-days',
      '1',
      '-subj',
      '/CN=127.0.0.1',
    ],
    { stdio: 'ignore', timeout: 30_000 },
  );
  const key = readFileSync(join(dir, 'key.pem'));
  const cert = readFileSync(join(dir, 'cert.pem'));
  const httpsServer = https.createServer({ key, cert });
  const engine = await import('../../src/engine/index.ts');
  const wss = new engine.WebSocketServer({ server: httpsServer, handshakeTimeoutMs: 1_000 });
  wss.on('connection', (ws: InstanceType<typeof engine.WebSocket>) =>
    ws.addEventListener('message', (e: { data: unknown }) => ws.send(e.data as string)),
  );
  const sockets = new Set<import('node:net').Socket>();
  httpsServer.on('connection', (s: import('node:net').Socket) => sockets.add(s));
  await new Promise<void>((r) => httpsServer.listen(0, '127.0.0.1', () => r()));
  t.after(async () => {
    await wss.close({ timeoutMs: 500 });
    for (const s of sockets) s.destroy();
    await new Promise((r) => httpsServer.close(r));
  });
  const port = (httpsServer.address() as AddressInfo).port;
  // Positive control: a real wss client still works through the attached server.
  {
    const conn = tls.connect({ port, host: '127.0.0.1', rejectUnauthorized: false });
    await new Promise<void>((r, j) => conn.once('secureConnect', () => r()).once('error', j));
    conn.destroy();
  }
  const idle = await RawClient.connect(port);
  t.after(() => idle.destroy());
  assert.ok(await idle.waitEnd(5_000), 'TLS socket without ClientHello still open after 5 s (handshakeTimeoutMs 1000)');
});

test('HS-20 server delivers a frame pipelined with the handshake, and never interprets bytes after a rejected handshake (RFC 6455 §4)', async (t) => {
  const fx = await hostile(t);
  const p = fx.server.port;
  {
    const c = await fx.connect();
    const key = newKey();
    await c.write(Buffer.concat([Buffer.from(handshakeRequest({ key }, p)), frames.text('pipelined')]));
    const head = await c.readHttpHead();
    assert.equal(head.status, 101);
    assert.equal((await c.readMessage()).data.toString(), 'pipelined');
    c.destroy();
  }
  {
    const c = await fx.connect();
    await c.write(
      Buffer.concat([
        Buffer.from(handshakeRequest({ version: '8' }, p)),
        frames.text('smuggled'),
        Buffer.from(`GET /x HTTP/1.1\r\nHost: a\r\n\r\n`),
      ]),
    );
    const res = await c.readHttpResponse();
    assert.equal(res.status, 426);
    assert.ok(await c.waitEnd(), 'socket not closed after the rejection');
    assert.equal(c.buffered, 0, 'bytes after the rejected handshake produced an answer');
    c.destroy();
  }
  await fx.verify();
});

test('HS-21 server survives RST at every step: after the request, after 101, mid-frame, mid-close (no unhandled error)', async (t) => {
  const fx = await hostile(t);
  const p = fx.server.port;
  {
    const c = await fx.connect();
    await c.write(handshakeRequest({}, p));
    c.reset();
  }
  {
    const c = await fx.open();
    c.reset();
  }
  {
    const c = await fx.open();
    await c.write(frames.binary(Buffer.alloc(1000)).subarray(0, 500));
    await new Promise((r) => setTimeout(r, 20));
    c.reset();
  }
  {
    const c = await fx.open();
    await c.write(frames.close(1000).subarray(0, 3));
    await new Promise((r) => setTimeout(r, 20));
    c.reset();
  }
  {
    const c = await fx.open();
    await c.write(frames.close(1000));
    c.reset();
  }
  await fx.verify();
  // Every connection that reached OPEN is reported closed; an abrupt loss is 1006 locally.
  const closes = await fx.server.waitCloses(4);
  assert.ok(
    closes.slice(0, 3).every((c) => c.code === 1006),
    JSON.stringify(closes),
  );
});

test('HS-22 server does not crash on hostile query strings', async (t) => {
  const fx = await hostile(t);
  const p = fx.server.port;
  for (const path of ['/?token=', '/?token=%ZZ', '/?__proto__=1&constructor=2', '/?token=a&token=b', '/?%00=%00']) {
    const c = await fx.connect();
    await c.write(handshakeRequest({ path }, p));
    const head = await c.readHttpHead();
    assert.ok([101, 400, 401].includes(head.status), `${path}: ${head.statusLine}`);
    c.destroy();
  }
  await expectStatus(p, handshakeRequest({ path: `/?q=${'a'.repeat(100_000)}` }, p), [400, 414, 431]);
  await fx.verify();
});

test('HS-23 server at its connection cap answers 503 with Retry-After and leaves existing connections untouched', async (t) => {
  // The control client is connection 1 of 2.
  const fx = await hostile(t, { maxConnections: 2 });
  const p = fx.server.port;
  const second = await fx.open();
  const head = await expectStatus(p, handshakeRequest({}, p), 503);
  assert.ok(head.headers['retry-after'] !== undefined, head.raw);
  await second.write(frames.text('second'));
  assert.equal((await second.readMessage()).data.toString(), 'second');
  second.destroy();
  await fx.verify();
});

test('HS-23 server that is draining refuses new handshakes (503 or refused) while closing existing ones with 1001', async (t) => {
  const fx = await hostile(t);
  const p = fx.server.port;
  const c = await fx.open();
  const server = fx.server.server as { close(o?: { timeoutMs?: number }): Promise<void> };
  const closing = server.close({ timeoutMs: 2_000 });
  const close = await c.readClose();
  assert.equal(close.code, 1001);
  try {
    const late = await RawClient.connect(p);
    t.after(() => late.destroy());
    await late.write(handshakeRequest({}, p));
    const h = await late.readHttpHead(3_000).catch(() => null);
    assert.ok(h === null || h.status === 503, h?.statusLine);
  } catch (err) {
    assert.equal((err as NodeJS.ErrnoException).code, 'ECONNREFUSED');
  }
  await c.finishClose();
  await closing;
});
