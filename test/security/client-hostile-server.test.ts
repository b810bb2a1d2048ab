// docs/security-cases.md §4.13 (CLT-01..CLT-07): the engine's connect() against a raw TCP fake server that answers with hostile bytes.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import v8 from 'node:v8';
import vm from 'node:vm';
import type { AddressInfo } from 'node:net';
import { RawClient, acceptFor, frame, type HttpHead } from '../helpers/raw.ts';
import { MiB } from '../helpers/memory.ts';
import { connect, HandshakeError, type WebSocket } from '../../src/engine/index.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Peer {
  /** The client's side of the wire, from the fake server's view (frames it reads are the client's, masked). */
  readonly raw: RawClient;
  readonly request: HttpHead;
  readonly key: string;
}

/** Starts a fake server; `onConnection` gets each client's request and decides what to answer. */
async function fakeServer(
  t: TestContext,
  onConnection: (peer: Peer) => Promise<void>,
): Promise<{ url: string; port: number; failures: unknown[] }> {
  const failures: unknown[] = [];
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    const raw = new RawClient(socket, { peerMasks: true });
    void (async () => {
      const request = await raw.readHttpHead();
      await onConnection({ raw, request, key: request.headers['sec-websocket-key'] ?? '' });
    })().catch((err: unknown) => failures.push(err));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  t.after(async () => {
    for (const s of sockets) s.destroy();
    await new Promise((r) => server.close(r));
  });
  const port = (server.address() as AddressInfo).port;
  return { url: `ws://127.0.0.1:${port}/`, port, failures };
}

/** A valid 101 head, with header lines replaced or added. */
function accept101(key: string, extra: string[] = [], withAccept = true): string {
  const lines = ['HTTP/1.1 101 Switching Protocols', 'Upgrade: websocket', 'Connection: Upgrade'];
  if (withAccept) lines.push(`Sec-WebSocket-Accept: ${acceptFor(key)}`);
  return `${[...lines, ...extra].join('\r\n')}\r\n\r\n`;
}

interface Observed {
  opened: boolean;
  messages: unknown[];
  errors: unknown[];
  close: Promise<{ code: number; reason: string; wasClean: boolean }>;
}

function observe(ws: WebSocket): Observed {
  const o: Observed = { opened: true, messages: [], errors: [], close: null as never };
  ws.addEventListener('message', (e) => o.messages.push(e.data));
  ws.addEventListener('error', (e) => o.errors.push(e));
  o.close = new Promise((resolve) =>
    ws.addEventListener('close', (e) => resolve({ code: e.code, reason: e.reason, wasClean: e.wasClean })),
  );
  return o;
}

async function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      p,
      new Promise<never>((_, j) => (timer = setTimeout(() => j(new Error(`${what}: not within ${ms} ms`)), ms))),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

test('CLT-01 client fails a masked server frame with 1002 and delivers nothing (RFC 6455 §5.1 "A client MUST close a connection if it detects a masked frame")', async (t) => {
  const srv = await fakeServer(t, async ({ raw, key }) => {
    await raw.write(accept101(key));
    await raw.write(frame({ opcode: 1, payload: 'masked!', mask: true }));
    const close = await raw.readClose();
    assert.equal(close.code, 1002);
    await raw.write(frame({ opcode: 8, payload: Buffer.from([0x03, 0xea]), mask: false }));
    raw.end();
  });
  const ws = await connect(srv.url);
  const o = observe(ws);
  const closed = await within(o.close, 5_000, 'client close');
  assert.ok([1002, 1006].includes(closed.code), `local close ${closed.code}`);
  assert.equal(o.messages.length, 0);
  await sleep(50);
  assert.deepEqual(srv.failures, []);
});

test('CLT-02 client rejects a missing or wrong Sec-WebSocket-Accept and any status other than 101, with no open event (RFC 6455 §4.1)', async (t) => {
  const answers: Array<[string, (key: string) => string, number | null]> = [
    ['no accept', (key) => accept101(key, [], false), null],
    ['wrong accept', (key) => accept101(key, ['Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo='], false), null],
    ['accept twice', (key) => accept101(key, [`Sec-WebSocket-Accept: ${acceptFor(key)}`]), null],
    [
      'no upgrade header',
      (key) =>
        `HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${acceptFor(key)}\r\n\r\n`,
      null,
    ],
    ['200', () => 'HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok', 200],
    ['302', () => 'HTTP/1.1 302 Found\r\nLocation: ws://127.0.0.1:1/\r\nContent-Length: 0\r\n\r\n', 302],
    ['404', () => 'HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n', 404],
    ['garbage', () => 'SSH-2.0-OpenSSH_9.2\r\n\r\n', null],
  ];
  for (const [name, answer, status] of answers) {
    await t.test(name, async (st) => {
      const srv = await fakeServer(st, async ({ raw, key }) => {
        await raw.write(answer(key));
        raw.end();
      });
      let opened = false;
      const err = await within(
        connect(srv.url, { handshakeTimeoutMs: 3_000 }).then(
          (ws) => {
            opened = true;
            ws.terminate();
            return null;
          },
          (e: unknown) => e,
        ),
        5_000,
        'connect settles',
      );
      assert.equal(opened, false, `${name}: connection opened`);
      assert.ok(err instanceof HandshakeError, `${name}: ${String(err)}`);
      if (status !== null) assert.equal(err.status, status);
    });
  }
});

test('CLT-03 client rejects an unoffered subprotocol or extension, and invalid permessage-deflate parameters (RFC 6455 §4.1, §9.1)', async (t) => {
  const cases: Array<[string, string[], string[]]> = [
    ['protocol not offered', ['a'], ['Sec-WebSocket-Protocol: b']],
    ['protocol without offer', [], ['Sec-WebSocket-Protocol: a']],
    ['two protocols', ['a', 'b'], ['Sec-WebSocket-Protocol: a, b']],
    ['unoffered permessage-deflate', [], ['Sec-WebSocket-Extensions: permessage-deflate']],
    ['unoffered pmd with bad params', [], ['Sec-WebSocket-Extensions: permessage-deflate; server_max_window_bits=7']],
    ['unknown extension', [], ['Sec-WebSocket-Extensions: x-evil']],
  ];
  for (const [name, protocols, headers] of cases) {
    await t.test(name, async (st) => {
      const srv = await fakeServer(st, async ({ raw, key }) => {
        await raw.write(accept101(key, headers));
        // A failing client may close TCP or send a Close; either way no message is ever sent to it.
        await raw.waitEnd(3_000);
      });
      const err = await within(
        connect(srv.url, { protocols }).then(
          (ws) => {
            ws.terminate();
            return null;
          },
          (e: unknown) => e,
        ),
        5_000,
        'connect settles',
      );
      assert.ok(err !== null, `${name}: connection opened`);
    });
  }
  await t.test('offered protocol is accepted (positive)', async (st) => {
    const srv = await fakeServer(st, async ({ raw, key }) => {
      await raw.write(accept101(key, ['Sec-WebSocket-Protocol: b']));
      await raw.waitEnd(3_000);
    });
    const ws = await connect(srv.url, { protocols: ['a', 'b'] });
    assert.equal(ws.protocol, 'b');
    ws.terminate();
  });
});

test('CLT-04 client fails a server frame announcing more than maxMessageSize with 1009 before the payload, and RSV1 without permessage-deflate with 1002', async (t) => {
  for (const [name, bytes, code] of [
    ['oversize header', frame({ opcode: 2, mask: false, announcedLength: 2n ** 40n }), 1009],
    ['over maxMessageSize', frame({ opcode: 2, mask: false, announcedLength: 1024 * 1024 + 1 }), 1009],
    [
      'RSV1 unnegotiated',
      frame({ opcode: 1, mask: false, rsv1: true, payload: Buffer.from([0xf2, 0x48, 0x05, 0x00]) }),
      1002,
    ],
  ] as const) {
    await t.test(name, async (st) => {
      let wireCode = -1;
      const srv = await fakeServer(st, async ({ raw, key }) => {
        await raw.write(accept101(key));
        await raw.write(bytes);
        wireCode = (await raw.readClose(3_000)).code;
        raw.end();
      });
      const ws = await connect(srv.url, { maxMessageSize: 1024 * 1024 });
      const o = observe(ws);
      await within(o.close, 5_000, 'client close');
      await sleep(20);
      assert.equal(wireCode, code, `${name}: client sent close ${wireCode}`);
      assert.equal(o.messages.length, 0);
      assert.deepEqual(srv.failures, []);
    });
  }
});

test('CLT-05 client memory stays bounded when the server floods pings and never reads the pongs', async (t) => {
  v8.setFlagsFromString('--expose-gc');
  const gc = vm.runInNewContext('gc') as () => void;
  let written = 0;
  let stopped = false;
  const srv = await fakeServer(t, async ({ raw, key }) => {
    await raw.write(accept101(key));
    raw.stopReading();
    const batch = Buffer.concat(
      Array.from({ length: 256 }, (_, i) => frame({ opcode: 9, mask: false, payload: Buffer.alloc(125, i) })),
    );
    const started = Date.now();
    while (!stopped && written < 32 * MiB && Date.now() - started < 8_000 && !raw.closed) {
      await Promise.race([raw.write(batch), sleep(1_000)]);
      written += batch.length;
    }
  });
  gc();
  const base = process.memoryUsage();
  const ws = await connect(srv.url);
  const o = observe(ws);
  const deadline = Date.now() + 10_000;
  while (written < 32 * MiB && Date.now() < deadline) {
    await sleep(200);
    if (ws.readyState === 3) break;
  }
  stopped = true;
  gc();
  const now = process.memoryUsage();
  const grown = now.heapUsed + now.arrayBuffers - (base.heapUsed + base.arrayBuffers);
  assert.ok(
    grown < 24 * MiB,
    `${(written / MiB).toFixed(1)} MiB of pings; client process grew ${(grown / MiB).toFixed(1)} MiB`,
  );
  ws.terminate();
  await within(o.close, 5_000, 'client close');
});

test('CLT-06 client gives up on a server that never answers the handshake, within handshakeTimeoutMs', async (t) => {
  const srv = await fakeServer(t, async ({ raw }) => {
    await raw.waitEnd(10_000);
  });
  const started = Date.now();
  const err = await within(
    connect(srv.url, { handshakeTimeoutMs: 500 }).then(
      () => null,
      (e: unknown) => e,
    ),
    5_000,
    'connect settles',
  );
  assert.ok(err instanceof Error, 'connect resolved against a silent server');
  assert.ok(Date.now() - started < 4_000);
});

test('CLT-06 client closes TCP itself after its close timeout when the server echoes Close but never closes TCP (RFC 6455 §7.1.1)', async (t) => {
  let endedByClient: Promise<boolean> = Promise.resolve(false);
  const srv = await fakeServer(t, async ({ raw, key }) => {
    await raw.write(accept101(key));
    const close = await raw.readClose();
    await raw.write(frame({ opcode: 8, mask: false, payload: Buffer.from([close.code >> 8, close.code & 0xff]) }));
    // Never end our side.
    endedByClient = raw.waitEnd(4_000);
  });
  const ws = await connect(srv.url, { closeTimeoutMs: 500 });
  const o = observe(ws);
  ws.close(1000, 'bye');
  const closed = await within(o.close, 4_000, 'client close event');
  assert.equal(closed.code, 1000);
  await sleep(10);
  assert.equal(await endedByClient, true, 'client kept the TCP connection open');
});

test('CLT-07 client masks every frame with a fresh CSPRNG key: 100 000 frames, no pattern (RFC 6455 §5.3)', async (t) => {
  const N = 100_000;
  let bytes: Buffer[] = [];
  let total = 0;
  let done: () => void = () => undefined;
  const all = new Promise<void>((r) => (done = r));
  const srv = await fakeServer(t, async ({ raw, key }) => {
    raw.socket.removeAllListeners('data');
    raw.socket.on('data', (chunk: Buffer) => {
      bytes.push(chunk);
      total += chunk.length;
      if (total >= N * 7) done();
    });
    await raw.write(accept101(key));
  });
  const ws = await connect(srv.url);
  t.after(() => ws.terminate());
  for (let i = 0; i < N; i++) ws.send('x');
  await within(all, 20_000, `${N} frames`);
  const buf = Buffer.concat(bytes);
  bytes = [];
  const keys = new Set<number>();
  const bitCounts = new Array<number>(32).fill(0);
  for (let i = 0; i < N; i++) {
    const off = i * 7;
    assert.equal(buf[off], 0x81, `frame ${i} header`);
    assert.equal(buf[off + 1], 0x81, `frame ${i} is not masked with a 1-byte payload`);
    const k = buf.readUInt32BE(off + 2);
    keys.add(k);
    for (let b = 0; b < 32; b++) if ((k >>> b) & 1) bitCounts[b]!++;
    assert.equal(buf[off + 6]! ^ buf[off + 2]!, 0x78, `frame ${i} payload unmasks to "x"`);
  }
  // Expected duplicates among 10^5 random 32-bit keys: about 1.2.
  assert.ok(keys.size >= N - 20, `${N - keys.size} repeated mask keys`);
  for (let b = 0; b < 32; b++) {
    const p = bitCounts[b]! / N;
    assert.ok(p > 0.48 && p < 0.52, `mask bit ${b} set in ${(p * 100).toFixed(2)}% of frames`);
  }
});

test('HS-20 (client side) a frame in the same TCP write as the 101 is delivered, not lost before listeners attach', async (t) => {
  const srv = await fakeServer(t, async ({ raw, key }) => {
    await raw.write(
      Buffer.concat([Buffer.from(accept101(key)), frame({ opcode: 1, payload: 'pipelined', mask: false })]),
    );
    await raw.waitEnd(3_000);
  });
  const ws = await connect(srv.url);
  t.after(() => ws.terminate());
  const first = await within(
    new Promise<unknown>((resolve) => ws.addEventListener('message', (e) => resolve(e.data))),
    3_000,
    'pipelined message',
  );
  assert.equal(first, 'pipelined');
});

test("CLT-08 client delivers a message and sends its handler's reply before failing the bad frame that arrived in the same TCP write with 1002 (RFC 6455 §5.2, §5.4)", async (t) => {
  const bad: Array<[string, Buffer]> = [
    ['reserved data opcode 3', frame({ opcode: 3, payload: 'x', mask: false })],
    ['RSV2 on a text frame', frame({ opcode: 1, payload: 'x', rsv2: true, mask: false })],
    ['a continuation with nothing to continue', frame({ opcode: 0, payload: 'x', mask: false })],
    ['a fragmented ping', frame({ opcode: 9, fin: false, mask: false })],
    ['a masked frame', frame({ opcode: 1, payload: 'masked', mask: true })],
  ];
  for (const [name, badFrame] of bad) {
    await t.test(name, async (st) => {
      const seen: Array<{ before: string[]; code: number }> = [];
      const srv = await fakeServer(st, async ({ raw, key }) => {
        await raw.write(accept101(key));
        // The client says when its listeners are attached; then the valid and the bad frame go in one write.
        const ready = await raw.readMessage();
        assert.equal(ready.data.toString(), 'ready');
        await raw.write(Buffer.concat([frame({ opcode: 1, payload: 'hello', mask: false }), badFrame]));
        const close = await raw.readClose();
        seen.push({ before: close.before.map((f) => f.payload.toString()), code: close.code });
        raw.end();
      });
      const ws = await connect(srv.url);
      const o = observe(ws);
      ws.addEventListener('message', (e) => ws.send(`reply to ${String(e.data)}`));
      ws.send('ready');
      const closed = await within(o.close, 5_000, 'client close');
      assert.equal(closed.code, 1002);
      assert.deepEqual(o.messages, ['hello'], 'the message before the bad frame is delivered');
      await sleep(20);
      assert.deepEqual(srv.failures, []);
      assert.deepEqual(seen, [{ before: ['reply to hello'], code: 1002 }], 'the reply leaves before the Close frame');
    });
  }
});

for (const size of [64, 256, 1024, 4096]) {
  test(`CLT-09 client receives a 4 MiB message sent in ${size}-byte fragments with the default limits (RFC 6455 §5.4)`, async (t) => {
    const message = Buffer.alloc(4 * MiB);
    for (let i = 0; i < message.length; i++) message[i] = (i * 13) & 0xff;
    const count = message.length / size;
    const srv = await fakeServer(t, async ({ raw, key }) => {
      await raw.write(accept101(key));
      const ready = await raw.readMessage();
      assert.equal(ready.data.toString(), 'ready');
      const parts: Buffer[] = [];
      for (let i = 0; i < count; i++) {
        parts.push(
          frame({
            opcode: i === 0 ? 2 : 0,
            payload: message.subarray(i * size, (i + 1) * size),
            fin: i === count - 1,
            mask: false,
          }),
        );
      }
      await raw.write(Buffer.concat(parts));
      const close = await raw.readClose(20_000);
      assert.equal(close.code, 1000);
      await raw.write(frame({ opcode: 8, payload: Buffer.from([0x03, 0xe8]), mask: false }));
      raw.end();
    });
    const ws = await connect(srv.url);
    const received = new Promise<Buffer>((resolve) => ws.addEventListener('message', (e) => resolve(e.data as Buffer)));
    const o = observe(ws);
    ws.send('ready');
    const data = await within(received, 20_000, `${count} fragments`);
    assert.ok(data.equals(message), 'same 4 MiB');
    ws.close(1000);
    assert.equal((await within(o.close, 5_000, 'client close')).code, 1000);
    assert.deepEqual(srv.failures, []);
  });
}
