// permessage-deflate negotiation over real sockets (RFC 7692 §5, §7): server answers (docs/security-cases.md PD-01..PD-03), client offers and checks (CLT-03).
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { connect, HandshakeError, WebSocketServer, type ServerOptions } from '../../src/engine/index.ts';
import { RawClient, acceptFor, frame, handshakeRequest, type HttpHead } from '../helpers/raw.ts';
import { nextConnection, startServer } from '../helpers/engine-fixtures.ts';
import { deflateMessage, extensionParams, Inflater } from '../helpers/deflate.ts';

/** Opens a raw connection offering `extensions` and returns the server's answer head. */
async function offer(
  t: TestContext,
  port: number,
  extensions: string | null,
): Promise<{ raw: RawClient; head: HttpHead }> {
  const raw = await RawClient.connect(port);
  t.after(() => raw.destroy());
  await raw.write(handshakeRequest({ extensions }, port));
  const head = await raw.readHttpHead();
  return { raw, head };
}

async function server(t: TestContext, options: Omit<ServerOptions, 'port'> = {}): Promise<number> {
  const { port } = await startServer(t, { pingIntervalMs: 0, ...options });
  return port;
}

test('permessage-deflate is off by default: an offer is answered without the extension (docs/security-cases.md OW-3)', async (t) => {
  const port = await server(t);
  const { head } = await offer(t, port, 'permessage-deflate; client_max_window_bits');
  assert.equal(head.status, 101);
  assert.equal(head.headers['sec-websocket-extensions'], undefined);
  assert.doesNotThrow(() => new WebSocketServer({ noServer: true, perMessageDeflate: false }));
});

test('server accepts a plain offer and answers "permessage-deflate" (RFC 7692 §7.1)', async (t) => {
  const port = await server(t, { perMessageDeflate: true });
  const { head } = await offer(t, port, 'permessage-deflate');
  assert.equal(head.status, 101);
  assert.equal(head.headers['sec-websocket-extensions'], 'permessage-deflate');
});

test('server declines invalid offers with 101 and no extension, where ws answers 400 (RFC 7692 §7 "MUST decline", docs/security-cases.md PD-01)', async (t) => {
  const port = await server(t, { perMessageDeflate: true });
  const invalid = [
    'permessage-deflate; foo',
    'permessage-deflate; server_max_window_bits=7',
    'permessage-deflate; server_max_window_bits=16',
    'permessage-deflate; server_max_window_bits=09',
    'permessage-deflate; server_max_window_bits=abc',
    'permessage-deflate; server_max_window_bits',
    'permessage-deflate; server_no_context_takeover; server_no_context_takeover',
    'permessage-deflate; server_no_context_takeover=1',
    'permessage-deflate; client_max_window_bits=0',
    'permessage-deflate; client_no_context_takeover=x',
  ];
  for (const extensions of invalid) {
    const { raw, head } = await offer(t, port, extensions);
    assert.equal(head.status, 101, extensions);
    assert.equal(head.headers['sec-websocket-extensions'], undefined, extensions);
    // The connection works, uncompressed: RSV1 is still a protocol error on it (RFC 6455 §5.2).
    await raw.write(frame({ opcode: 1, rsv1: true, payload: deflateMessage('x') }));
    assert.equal((await raw.readClose()).code, 1002, extensions);
    raw.destroy();
  }
});

test('server declines an invalid first offer and accepts the next one (RFC 7692 §5, docs/security-cases.md PD-02)', async (t) => {
  const port = await server(t, { perMessageDeflate: true });
  const { head } = await offer(
    t,
    port,
    'permessage-deflate; server_max_window_bits=7, permessage-deflate; server_no_context_takeover',
  );
  assert.equal(head.headers['sec-websocket-extensions'], 'permessage-deflate; server_no_context_takeover');
  // Other extensions are ignored, a later valid offer still wins.
  const second = await offer(
    t,
    port,
    'x-webkit-deflate-frame, permessage-deflate; foo=1, permessage-deflate; client_max_window_bits',
  );
  assert.equal(second.head.headers['sec-websocket-extensions'], 'permessage-deflate');
});

test('server answer shape: client_max_window_bits only when offered, server_max_window_bits ≤ offered, no_context_takeover honoured (RFC 7692 §7.1.1-§7.1.2, docs/security-cases.md PD-03)', async (t) => {
  const cases: Array<[NonNullable<ServerOptions['perMessageDeflate']>, string, Record<string, string | true> | null]> =
    [
      [true, 'permessage-deflate; client_max_window_bits', {}],
      [true, 'permessage-deflate; client_max_window_bits=10', { client_max_window_bits: '10' }],
      [true, 'permessage-deflate; server_max_window_bits=10', { server_max_window_bits: '10' }],
      [{ serverMaxWindowBits: 12 }, 'permessage-deflate; server_max_window_bits=14', { server_max_window_bits: '12' }],
      [{ serverMaxWindowBits: 12 }, 'permessage-deflate', { server_max_window_bits: '12' }],
      [{ clientMaxWindowBits: 11 }, 'permessage-deflate; client_max_window_bits', { client_max_window_bits: '11' }],
      // §7.1.2.2: without client_max_window_bits in the offer the answer MUST NOT carry it: declined instead
      [{ clientMaxWindowBits: 11 }, 'permessage-deflate', null],
      [true, 'permessage-deflate; server_no_context_takeover', { server_no_context_takeover: true }],
      [true, 'permessage-deflate; client_no_context_takeover', { client_no_context_takeover: true }],
      [
        { serverNoContextTakeover: true, clientNoContextTakeover: true },
        'permessage-deflate',
        { server_no_context_takeover: true, client_no_context_takeover: true },
      ],
      // window bits 8: the server cannot compress with a 256-byte window, so that offer is declined
      [true, 'permessage-deflate; server_max_window_bits=8', null],
      [true, 'permessage-deflate; server_max_window_bits=8, permessage-deflate', {}],
      [true, 'permessage-deflate; client_max_window_bits=8', { client_max_window_bits: '8' }],
    ];
  for (const [option, extensions, expected] of cases) {
    await t.test(`${JSON.stringify(option)} + ${extensions}`, async (st) => {
      const port = await server(st, { perMessageDeflate: option });
      const { head } = await offer(st, port, extensions);
      assert.equal(head.status, 101);
      const params = extensionParams(head.headers['sec-websocket-extensions']);
      assert.deepEqual(params === null ? null : Object.fromEntries(params), expected);
    });
  }
});

test('invalid perMessageDeflate options throw at construction', () => {
  assert.throws(
    () => new WebSocketServer({ noServer: true, perMessageDeflate: { serverMaxWindowBits: 7 } }),
    RangeError,
  );
  assert.throws(
    () => new WebSocketServer({ noServer: true, perMessageDeflate: { clientMaxWindowBits: 16 } }),
    RangeError,
  );
  assert.throws(() => new WebSocketServer({ noServer: true, perMessageDeflate: { threshold: -1 } }), RangeError);
  assert.throws(() => new WebSocketServer({ noServer: true, perMessageDeflate: { concurrency: 0 } }), RangeError);
});

test('both ends see the negotiated value in `extensions`, and a compressed echo works both ways', async (t) => {
  const { wss, url } = await startServer(t, { pingIntervalMs: 0, perMessageDeflate: true });
  const accepted = nextConnection(wss);
  const client = await connect(url, { perMessageDeflate: true });
  t.after(() => client.terminate());
  const srv = await accepted;
  assert.equal(client.extensions, 'permessage-deflate');
  assert.equal(srv.extensions, 'permessage-deflate');
  srv.onmessage = (e) => srv.send(e.data as string);
  const text = 'round trip '.repeat(500);
  const echoed = new Promise<unknown>((r) => (client.onmessage = (e) => r(e.data)));
  client.send(text);
  assert.equal(await echoed, text);
  // Without the option the client offers nothing.
  const plain = await connect(url);
  t.after(() => plain.terminate());
  assert.equal(plain.extensions, '');
});

/** A fake server that answers the client's handshake with `extensionsHeader` and reports the offer it saw. */
async function fakeServer(
  t: TestContext,
  extensionsHeader: string | null,
  after?: (raw: RawClient) => Promise<void>,
): Promise<{ url: string; offers: string[] }> {
  const offers: string[] = [];
  const sockets = new Set<net.Socket>();
  const srv = net.createServer((socket) => {
    sockets.add(socket);
    const raw = new RawClient(socket, { peerMasks: true });
    void (async () => {
      const req = await raw.readHttpHead();
      offers.push(req.headers['sec-websocket-extensions'] ?? '');
      const lines = [
        'HTTP/1.1 101 Switching Protocols',
        'Upgrade: websocket',
        'Connection: Upgrade',
        `Sec-WebSocket-Accept: ${acceptFor(req.headers['sec-websocket-key'] ?? '')}`,
      ];
      if (extensionsHeader !== null) lines.push(`Sec-WebSocket-Extensions: ${extensionsHeader}`);
      await raw.write(`${lines.join('\r\n')}\r\n\r\n`);
      await after?.(raw);
    })().catch(() => undefined);
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
  t.after(async () => {
    for (const s of sockets) s.destroy();
    await new Promise((r) => srv.close(r));
  });
  return { url: `ws://127.0.0.1:${(srv.address() as AddressInfo).port}/`, offers };
}

test('client offers what its options say (RFC 7692 §7.1)', async (t) => {
  const cases: Array<[Parameters<typeof connect>[1], string]> = [
    [{ perMessageDeflate: true }, 'permessage-deflate; client_max_window_bits'],
    [
      { perMessageDeflate: { serverNoContextTakeover: true, clientNoContextTakeover: true } },
      'permessage-deflate; server_no_context_takeover; client_no_context_takeover; client_max_window_bits',
    ],
    [
      { perMessageDeflate: { serverMaxWindowBits: 10, clientMaxWindowBits: 12 } },
      'permessage-deflate; server_max_window_bits=10; client_max_window_bits=12',
    ],
    [{ perMessageDeflate: { clientMaxWindowBits: false } }, 'permessage-deflate'],
  ];
  for (const [options, expected] of cases) {
    const fake = await fakeServer(t, null);
    const ws = await connect(fake.url, options);
    assert.equal(fake.offers[0], expected);
    assert.equal(ws.extensions, '', 'the server did not accept: no compression');
    ws.terminate();
  }
  await assert.rejects(connect('ws://127.0.0.1:1/', { perMessageDeflate: { serverMaxWindowBits: 16 } }), RangeError);
});

test('client fails the handshake on an invalid permessage-deflate answer (RFC 7692 §7 "MUST _Fail_", docs/security-cases.md CLT-03)', async (t) => {
  const cases: Array<[string, Parameters<typeof connect>[1]]> = [
    ['permessage-deflate; foo', { perMessageDeflate: true }],
    ['permessage-deflate; server_max_window_bits=7', { perMessageDeflate: true }],
    ['permessage-deflate; client_max_window_bits', { perMessageDeflate: true }], // a value is required in an answer
    ['permessage-deflate; client_max_window_bits=8', { perMessageDeflate: true }],
    ['permessage-deflate; client_max_window_bits=10', { perMessageDeflate: { clientMaxWindowBits: false } }],
    ['permessage-deflate; client_max_window_bits=12', { perMessageDeflate: { clientMaxWindowBits: 10 } }],
    ['permessage-deflate; server_max_window_bits=12', { perMessageDeflate: { serverMaxWindowBits: 10 } }],
    ['permessage-deflate', { perMessageDeflate: { serverMaxWindowBits: 10 } }],
    ['permessage-deflate', { perMessageDeflate: { serverNoContextTakeover: true } }],
    ['permessage-deflate, permessage-deflate', { perMessageDeflate: true }],
    ['permessage-deflate', {}], // not offered
    ['x-unknown', { perMessageDeflate: true }],
  ];
  for (const [answer, options] of cases) {
    const fake = await fakeServer(t, answer);
    await assert.rejects(connect(fake.url, options), (err: unknown) => {
      assert.ok(err instanceof HandshakeError, `${answer}: ${String(err)}`);
      assert.equal(err.code, 'WS_ERR_INVALID_EXTENSION', answer);
      return true;
    });
  }
});

test('client accepts a server window of 8 and inflates it (RFC 7692 §7.1.2.1)', async (t) => {
  const fake = await fakeServer(t, 'permessage-deflate; server_max_window_bits=8', async (raw) => {
    await raw.write(frame({ opcode: 1, rsv1: true, mask: false, payload: deflateMessage('hello '.repeat(200), 9) }));
  });
  const ws = await connect(fake.url, { perMessageDeflate: true });
  t.after(() => ws.terminate());
  assert.equal(ws.extensions, 'permessage-deflate; server_max_window_bits=8');
  const message = await new Promise<unknown>((r) => (ws.onmessage = (e) => r(e.data)));
  assert.equal(message, 'hello '.repeat(200));
});

test('client compresses with the window the server imposed (client_max_window_bits=9)', async (t) => {
  let received: Buffer | null = null;
  const fake = await fakeServer(t, 'permessage-deflate; client_max_window_bits=9', async (raw) => {
    const f = await raw.readFrame();
    assert.equal(f.rsv1, true);
    received = await new Inflater({ windowBits: 9 }).message(f.payload);
  });
  const ws = await connect(fake.url, { perMessageDeflate: true });
  t.after(() => ws.terminate());
  const { randomBytes } = await import('node:crypto');
  const block = randomBytes(2048).toString('hex'); // 4 KiB of hex, repeated 4 KiB back
  ws.send(block + block);
  const deadline = Date.now() + 5_000;
  while (received === null && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
  assert.equal(String(received), block + block);
});
