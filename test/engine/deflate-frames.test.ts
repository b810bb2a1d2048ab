// permessage-deflate frames over real sockets: docs/security-cases.md 4.5 PD-04..PD-12 against the server, context takeover and window bits both ways.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import zlib from 'node:zlib';
import { randomBytes } from 'node:crypto';
import { hostile } from '../helpers/hostile.ts';
import { expectClose, frame, frames, type RawClient, type ServerFrame } from '../helpers/raw.ts';
import { Deflater, deflateMessage, Inflater } from '../helpers/deflate.ts';

const PMD = 'permessage-deflate; client_max_window_bits';

/** Reads the next data frame (skipping nothing else: the echo server sends only data). */
async function readData(c: RawClient): Promise<ServerFrame> {
  const f = await c.readFrame();
  assert.ok(f.opcode === 1 || f.opcode === 2, `expected a data frame, got opcode ${f.opcode}`);
  return f;
}

test('server: RSV1 without negotiated permessage-deflate fails with 1002 (RFC 6455 §5.2, docs/security-cases.md PD-05)', async (t) => {
  const fx = await hostile(t, { perMessageDeflate: true });
  const c = await fx.open(); // no offer: no extension
  await c.write(frame({ opcode: 1, rsv1: true, payload: deflateMessage('Hello') }));
  await expectClose(c, 1002);
  await fx.verify();
});

test('server: RSV1 on a continuation frame or a ping fails with 1002 (RFC 7692 §6.1, docs/security-cases.md PD-04)', async (t) => {
  const fx = await hostile(t, { perMessageDeflate: true });
  const payload = deflateMessage('Hello, fragmented');
  for (const [name, bytes] of [
    [
      'continuation',
      Buffer.concat([
        frame({ opcode: 1, rsv1: true, fin: false, payload: payload.subarray(0, 4) }),
        frame({ opcode: 0, rsv1: true, payload: payload.subarray(4) }),
      ]),
    ],
    ['ping', frame({ opcode: 9, rsv1: true, payload: 'x' })],
    ['close', frame({ opcode: 8, rsv1: true, payload: Buffer.from([0x03, 0xe8]) })],
    [
      'uncompressed first frame, RSV1 continuation',
      Buffer.concat([frame({ opcode: 1, fin: false, payload: 'a' }), frame({ opcode: 0, rsv1: true, payload })]),
    ],
  ] as const) {
    const c = await fx.open({ extensions: PMD });
    await c.write(bytes);
    await expectClose(c, 1002).catch((err: unknown) => assert.fail(`${name}: ${String(err)}`));
  }
  await fx.verify();
});

test('server: echo of compressed messages of every size class, fragmented too, with context takeover both ways (RFC 7692 §7.2)', async (t) => {
  const fx = await hostile(t, { perMessageDeflate: { threshold: 64 } });
  const c = await fx.open({ extensions: PMD });
  const deflater = new Deflater();
  const inflater = new Inflater();
  t.after(() => {
    deflater.close();
    inflater.close();
  });
  const messages = [
    'small',
    'x'.repeat(63),
    'above the threshold '.repeat(10),
    'json '.repeat(20_000),
    randomBytes(4 * 1024 * 1024).toString('base64'),
  ];
  for (const m of messages) {
    await c.write(frame({ opcode: 1, rsv1: true, payload: await deflater.message(m) }));
    const f = await readData(c);
    const text = f.rsv1 ? (await inflater.message(f.payload)).toString() : f.payload.toString();
    assert.equal(f.rsv1, Buffer.byteLength(m) >= 64, `server compresses at the threshold (${m.length} bytes)`);
    assert.equal(text, m);
  }
  // The same text again: with context takeover the second copy is a back-reference of a few bytes.
  const repeat = 'repeat me, I am long enough to compress well '.repeat(4);
  await c.write(frame({ opcode: 1, rsv1: true, payload: await deflater.message(repeat) }));
  const first = await readData(c);
  await c.write(frame({ opcode: 1, rsv1: true, payload: await deflater.message(repeat) }));
  const second = await readData(c);
  assert.ok(
    second.payload.length < first.payload.length / 4,
    `server keeps its window: ${second.payload.length} vs ${first.payload.length}`,
  );
  assert.equal((await inflater.message(first.payload)).toString(), repeat);
  assert.equal((await inflater.message(second.payload)).toString(), repeat);
  // A compressed message in three frames, a ping between them (RFC 7692 §6.1: RSV1 on the first only).
  const big = await deflater.message('fragmented '.repeat(3000));
  const n = Math.ceil(big.length / 3);
  await c.write(
    Buffer.concat([
      frame({ opcode: 1, rsv1: true, fin: false, payload: big.subarray(0, n) }),
      frames.ping('between'),
      frame({ opcode: 0, fin: false, payload: big.subarray(n, 2 * n) }),
      frame({ opcode: 0, payload: big.subarray(2 * n) }),
    ]),
  );
  const pong = await c.readFrame();
  assert.equal(pong.opcode, 0xa);
  const echoed = await readData(c);
  assert.equal((await inflater.message(echoed.payload)).toString(), 'fragmented '.repeat(3000));
  // Binary stays binary.
  const bin = randomBytes(5000);
  await c.write(frame({ opcode: 2, rsv1: true, payload: await deflater.message(bin) }));
  const binEcho = await readData(c);
  assert.equal(binEcho.opcode, 2);
  assert.deepEqual(await inflater.message(binEcho.payload), bin);
  await fx.verify();
});

test('server: with server_no_context_takeover every message is compressed alone; client_no_context_takeover is honoured by the inflater (RFC 7692 §7.1.1)', async (t) => {
  const fx = await hostile(t, { perMessageDeflate: { threshold: 0 } });
  const c = await fx.open({ extensions: 'permessage-deflate; server_no_context_takeover; client_no_context_takeover' });
  const repeat = 'the same message, twice over, without a shared window '.repeat(3);
  const fresh = new Inflater({ fresh: true });
  const payloads: Buffer[] = [];
  for (let i = 0; i < 2; i++) {
    // The client resets its context too: every message is compressed from an empty window.
    await c.write(frame({ opcode: 1, rsv1: true, payload: deflateMessage(repeat) }));
    const f = await readData(c);
    assert.equal(f.rsv1, true);
    payloads.push(f.payload);
    assert.equal((await fresh.message(f.payload)).toString(), repeat);
  }
  assert.deepEqual(payloads[0], payloads[1], 'byte-identical: no window carried over');
  assert.deepEqual(payloads[0], deflateMessage(repeat), 'what zlib gives for the message alone');
  await fx.verify();
});

test('server: a client that promised client_max_window_bits=9 but referred further back fails with 1007 (RFC 7692 §7.1.2.2)', async (t) => {
  const fx = await hostile(t, { perMessageDeflate: true });
  const c = await fx.open({ extensions: 'permessage-deflate; client_max_window_bits=9' });
  const deflater = new Deflater(15);
  t.after(() => deflater.close());
  const block = randomBytes(3000).toString('hex');
  await c.write(frame({ opcode: 1, rsv1: true, payload: await deflater.message(block) }));
  await readData(c);
  await c.write(frame({ opcode: 1, rsv1: true, payload: await deflater.message(block) })); // 6000 bytes back
  await expectClose(c, 1007);
  await fx.verify();
});

test('server: server_max_window_bits=10 is honoured: its messages inflate with a 1 KiB window (RFC 7692 §7.1.2.1)', async (t) => {
  const fx = await hostile(t, { perMessageDeflate: true });
  const c = await fx.open({ extensions: 'permessage-deflate; server_max_window_bits=10' });
  const inflater = new Inflater({ windowBits: 10 });
  t.after(() => inflater.close());
  const block = randomBytes(1500).toString('hex');
  for (let i = 0; i < 3; i++) {
    await c.write(frame({ opcode: 1, rsv1: true, payload: deflateMessage(block) }));
    const f = await readData(c);
    assert.equal((await inflater.message(f.payload)).toString(), block, `message ${i}`);
  }
  await fx.verify();
});

test('server: many small compressed fragments whose inflated total passes maxMessageSize fail with 1009 (docs/security-cases.md PD-07)', async (t) => {
  const fx = await hostile(t, { perMessageDeflate: true, maxMessageSize: 256 * 1024 });
  const c = await fx.open({ extensions: PMD });
  const whole = deflateMessage(Buffer.alloc(2 * 1024 * 1024, 0x61));
  const size = Math.ceil(whole.length / 50);
  const parts: Buffer[] = [];
  for (let i = 0; i < whole.length; i += size) {
    const first = i === 0;
    const last = i + size >= whole.length;
    parts.push(frame({ opcode: first ? 1 : 0, rsv1: first, fin: last, payload: whole.subarray(i, i + size) }));
  }
  await c.write(Buffer.concat(parts));
  const info = await expectClose(c, 1009);
  assert.equal(info.before.length, 0, 'no message was delivered');
  await fx.verify();
});

test('server: corrupt DEFLATE data fails with 1007 and the zlib stream is destroyed (docs/security-cases.md PD-08)', async (t) => {
  const fx = await hostile(t, { perMessageDeflate: true });
  // Invalid block type, stored block lengths that do not match, an invalid code-length set, junk.
  for (const hex of ['0600', '00050000004865', 'ec', 'b6f1e2d3c4b5a69788796a5b4c3d2e1f'.repeat(4)]) {
    const c = await fx.open({ extensions: PMD });
    await c.write(frame({ opcode: 2, rsv1: true, payload: Buffer.from(hex, 'hex') }));
    const info = await c.readClose();
    assert.equal(info.code, 1007, hex);
    assert.equal(info.before.length, 0, 'nothing delivered');
    c.destroy();
  }
  await fx.verify();
});

test('server: a message crossing the limit followed by a malformed block closes once with 1009, no late error (docs/security-cases.md PD-09)', async (t) => {
  const fx = await hostile(t, { perMessageDeflate: true, maxMessageSize: 64 * 1024 });
  const c = await fx.open({ extensions: PMD });
  const body = deflateMessage(Buffer.alloc(4 * 1024 * 1024));
  await c.write(
    frame({ opcode: 2, rsv1: true, fin: false, payload: Buffer.concat([body, Buffer.from([0xff, 0xff, 0x07, 0x00])]) }),
  );
  await c.write(frame({ opcode: 0, payload: Buffer.from([0xff, 0x00, 0xff]) }));
  await expectClose(c, 1009);
  await new Promise((r) => setTimeout(r, 100));
  assert.equal(fx.server.closes.filter((x) => x.code === 1009).length, 1);
  await fx.verify();
});

test('server: a BFINAL block followed by more data, or concatenated members, fail with 1007; empty stored blocks decode (docs/security-cases.md PD-10)', async (t) => {
  const fx = await hostile(t, { perMessageDeflate: true });
  const member = zlib.deflateRawSync('Hello'); // one block with BFINAL set
  for (const payload of [
    Buffer.concat([member, member]),
    Buffer.concat(Array.from({ length: 5000 }, () => zlib.deflateRawSync(Buffer.alloc(0)))),
    Buffer.concat([member, Buffer.from('junk')]),
  ]) {
    const c = await fx.open({ extensions: PMD });
    await c.write(frame({ opcode: 1, rsv1: true, payload }));
    await expectClose(c, 1007);
  }
  // RFC 7692 §7.2.3.4: a BFINAL block plus the empty stored block's first byte is a valid message.
  const c = await fx.open({ extensions: PMD });
  await c.write(frame({ opcode: 1, rsv1: true, payload: Buffer.from('f348cdc9c9070000', 'hex') }));
  assert.equal((await readData(c)).payload.toString(), 'Hello');
  // Thousands of empty stored blocks in front of a message: linear work, the message arrives.
  const stored = Buffer.concat([
    ...Array.from({ length: 20_000 }, () => Buffer.from('000000ffff', 'hex')),
    deflateMessage('after the blocks'),
  ]);
  await c.write(frame({ opcode: 1, rsv1: true, payload: stored }));
  assert.equal((await readData(c)).payload.toString(), 'after the blocks');
  await fx.verify();
});

test('server: an RSV1 message that inflates to 0 bytes is delivered empty (RFC 7692 §7.2.3.6, docs/security-cases.md PD-12)', async (t) => {
  const fx = await hostile(t, { perMessageDeflate: true });
  const c = await fx.open({ extensions: PMD });
  await c.write(frame({ opcode: 1, rsv1: true, payload: Buffer.from([0x00]) }));
  const f = await readData(c);
  assert.equal(f.payload.length, 0);
  assert.equal(f.rsv1, false, 'an empty echo is below the threshold');
  await c.write(frame({ opcode: 2, rsv1: true, payload: Buffer.from([0x00]) }));
  assert.equal((await readData(c)).opcode, 2);
  assert.deepEqual(
    fx.server.received.slice(-2).map((m) => m.size),
    [0, 0],
  );
  await fx.verify();
});

test('server: invalid UTF-8 inside a compressed text message fails with 1007 (RFC 6455 §8.1)', async (t) => {
  const fx = await hostile(t, { perMessageDeflate: true });
  const c = await fx.open({ extensions: PMD });
  await c.write(frame({ opcode: 1, rsv1: true, payload: deflateMessage(Buffer.from([0x61, 0xc3, 0x28, 0x62])) }));
  await expectClose(c, 1007);
  await fx.verify();
});

test('server: a peer that leaves while its frame is inflating frees everything (docs/security-cases.md CL-08)', async (t) => {
  const fx = await hostile(t, { perMessageDeflate: true });
  for (let i = 0; i < 5; i++) {
    const c = await fx.open({ extensions: PMD });
    await c.write(frame({ opcode: 2, rsv1: true, payload: deflateMessage(Buffer.alloc(8 * 1024 * 1024)) }));
    c.reset();
  }
  await fx.verify();
});
