// Tests of src/engine/deflate.ts against Node's zlib: RFC 7692 §7.2.3 examples, context takeover, window bits, bombs, limiter.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import zlib from 'node:zlib';
import { deflateMessage, PerMessageDeflate, type PerMessageDeflateOptions } from '../../src/engine/deflate.ts';
import { ZlibLimiter } from '../../src/engine/zlib-limiter.ts';
import type { DeflateParams, ProtocolError } from '../../src/protocol/index.ts';

const DEFAULT: DeflateParams = {
  serverNoContextTakeover: false,
  clientNoContextTakeover: false,
  serverMaxWindowBits: 15,
  clientMaxWindowBits: 15,
};
const TAIL = Buffer.from([0x00, 0x00, 0xff, 0xff]);
const ROLES = ['server', 'client'] as const;

function hex(s: string): Buffer {
  return Buffer.from(s.replace(/ /g, ''), 'hex');
}

function make(
  role: 'server' | 'client',
  params: Partial<DeflateParams> = {},
  rest: Partial<PerMessageDeflateOptions> = {},
): PerMessageDeflate {
  const pmd = new PerMessageDeflate({ role, params: { ...DEFAULT, ...params }, ...rest });
  return pmd;
}

function compress(pmd: PerMessageDeflate, data: Uint8Array | string): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    pmd.compress(typeof data === 'string' ? Buffer.from(data) : data, (err, payload) =>
      err !== null ? reject(err) : resolve(payload!),
    );
  });
}

interface Inflated {
  err: ProtocolError | null;
  data: Buffer;
  chunks: number;
}

/** Inflates frames in order (the last one with fin unless `fin` says otherwise); stops at the first error. */
async function decompress(
  pmd: PerMessageDeflate,
  frames: Uint8Array[],
  opts: { fin?: boolean; stopAfter?: number } = {},
): Promise<Inflated> {
  const chunks: Buffer[] = [];
  for (let i = 0; i < frames.length; i++) {
    const fin = i === frames.length - 1 ? (opts.fin ?? true) : false;
    const err = await new Promise<ProtocolError | null>((resolve) => {
      pmd.decompress(
        frames[i]!,
        fin,
        (chunk) => {
          chunks.push(chunk);
          return opts.stopAfter === undefined || chunks.length < opts.stopAfter;
        },
        resolve,
      );
    });
    if (err !== null) return { err, data: Buffer.concat(chunks), chunks: chunks.length };
  }
  return { err: null, data: Buffer.concat(chunks), chunks: chunks.length };
}

for (const role of ROLES) {
  test(`${role} compresses "Hello" to f2 48 cd c9 c9 07 00 (RFC 7692 §7.2.3.1)`, async () => {
    const pmd = make(role);
    assert.deepEqual(await compress(pmd, 'Hello'), hex('f2 48 cd c9 c9 07 00'));
    pmd.close();
  });

  test(`${role} compresses a repeated "Hello" to f2 00 11 00 00 with context takeover (RFC 7692 §7.2.3.2)`, async () => {
    const pmd = make(role);
    await compress(pmd, 'Hello');
    assert.deepEqual(await compress(pmd, 'Hello'), hex('f2 00 11 00 00'));
    pmd.close();
  });

  test(`${role} compresses every message from an empty window with its own no_context_takeover (RFC 7692 §7.1.1)`, async () => {
    const own = role === 'server' ? { serverNoContextTakeover: true } : { clientNoContextTakeover: true };
    const pmd = make(role, own);
    assert.equal(pmd.compressesWithoutContext, true);
    assert.deepEqual(await compress(pmd, 'Hello'), hex('f2 48 cd c9 c9 07 00'));
    assert.equal(pmd.holdsZlibMemory, false, 'the deflater is released between messages');
    assert.deepEqual(await compress(pmd, 'Hello'), hex('f2 48 cd c9 c9 07 00'));
    // The peer's no_context_takeover does not reset this side's compressor.
    const peer = make(role, role === 'server' ? { clientNoContextTakeover: true } : { serverNoContextTakeover: true });
    await compress(peer, 'Hello');
    assert.deepEqual(await compress(peer, 'Hello'), hex('f2 00 11 00 00'));
    peer.close();
    pmd.close();
  });

  test(`${role} inflates the RFC 7692 §7.2.3 examples: compressed, shared window, stored block, BFINAL block`, async () => {
    const pmd = make(role);
    assert.equal((await decompress(pmd, [hex('f2 48 cd c9 c9 07 00')])).data.toString(), 'Hello');
    // §7.2.3.2: the second message refers to the first one's window
    assert.equal((await decompress(pmd, [hex('f2 00 11 00 00')])).data.toString(), 'Hello');
    // §7.2.3.3: a DEFLATE block with no compression
    assert.equal((await decompress(pmd, [hex('00 05 00 fa ff 48 65 6c 6c 6f 00')])).data.toString(), 'Hello');
    // §7.2.3.4: a block with BFINAL set, followed by the empty stored block's first byte
    const bfinal = await decompress(pmd, [hex('f3 48 cd c9 c9 07 00 00')]);
    assert.equal(bfinal.err, null);
    assert.equal(bfinal.data.toString(), 'Hello');
    // the ended stream is replaced: the next message starts a new one
    assert.equal((await decompress(pmd, [hex('f2 48 cd c9 c9 07 00')])).data.toString(), 'Hello');
    pmd.close();
  });

  test(`${role} inflates a message split over frames, the tail appended after the last one only (RFC 7692 §7.2.3.1)`, async () => {
    const pmd = make(role);
    // §7.2.3.1: "Hello" compressed and fragmented into two frames
    const out = await decompress(pmd, [hex('f2 48 cd'), hex('c9 c9 07 00')]);
    assert.equal(out.err, null);
    assert.equal(out.data.toString(), 'Hello');
    // A larger message in many frames, as a fragmenting peer sends it
    const text = 'chunked '.repeat(20_000);
    const compressed = zlib
      .deflateRawSync(text, { flush: zlib.constants.Z_SYNC_FLUSH, finishFlush: zlib.constants.Z_SYNC_FLUSH })
      .subarray(0, -4);
    const frames: Buffer[] = [];
    for (let i = 0; i < compressed.length; i += 97) frames.push(compressed.subarray(i, i + 97));
    assert.equal((await decompress(pmd, frames)).data.toString(), text);
    pmd.close();
  });

  test(`${role} output inflates with Node zlib and the peer's window, in both context modes`, async () => {
    for (const noContext of [false, true]) {
      const pmd = make(
        role,
        role === 'server' ? { serverNoContextTakeover: noContext } : { clientNoContextTakeover: noContext },
      );
      const inflater = zlib.createInflateRaw();
      const seen: Buffer[] = [];
      inflater.on('data', (c: Buffer) => seen.push(c));
      for (let i = 0; i < 5; i++) {
        const message = Buffer.from(`{"id":${i},"payload":"${'xyz'.repeat(300 + i)}"}`);
        const payload = await compress(pmd, message);
        // The receiver side of §7.2.2, with Node's own inflater (fresh per message without context takeover).
        const target = noContext ? zlib.createInflateRaw() : inflater;
        const got: Buffer[] = [];
        const onData = (c: Buffer): number => got.push(c);
        target.on('data', onData);
        await new Promise<void>((r) => target.write(Buffer.concat([payload, TAIL]), () => r()));
        target.off('data', onData);
        assert.deepEqual(Buffer.concat(got), message, `message ${i}, no_context_takeover ${noContext}`);
        if (noContext) target.close();
      }
      inflater.close();
      pmd.close();
    }
  });

  test(`${role} compresses with at most its negotiated window bits (RFC 7692 §7.1.2)`, async () => {
    const own = role === 'server' ? { serverMaxWindowBits: 9 } : { clientMaxWindowBits: 9 };
    const pmd = make(role, own);
    assert.equal(pmd.deflateWindowBits, 9);
    // A repeat 4 KiB back: a 512-byte window cannot reach it, so the output must still inflate with windowBits 9.
    const block = randomBytes(4096);
    const message = Buffer.concat([block, block, block]);
    const payload = await compress(pmd, message);
    assert.ok(payload.length > 3 * 4000, `no match 4 KiB back: ${payload.length} bytes`);
    assert.deepEqual(
      zlib.inflateRawSync(Buffer.concat([payload, TAIL]), { windowBits: 9, finishFlush: zlib.constants.Z_SYNC_FLUSH }),
      message,
    );
    pmd.close();
    // Window bits 8 are compressed with 9: zlib has no 256-byte raw window (see zlibWindowBits).
    const eight = make(role, role === 'server' ? { serverMaxWindowBits: 8 } : { clientMaxWindowBits: 8 });
    assert.equal(eight.deflateWindowBits, 9);
    eight.close();
  });

  test(`${role} fails with 1007 when the peer uses a larger window than it promised (RFC 7692 §7.1.2)`, async () => {
    const peerBits = role === 'server' ? { clientMaxWindowBits: 9 } : { serverMaxWindowBits: 9 };
    const pmd = make(role, peerBits);
    const block = randomBytes(4096);
    // The second message refers 4 KiB back into the first one: beyond a 512-byte window.
    const peer = zlib.createDeflateRaw({ windowBits: 15, flush: zlib.constants.Z_SYNC_FLUSH });
    const frames: Buffer[] = [];
    for (const m of [block, block]) {
      const parts: Buffer[] = [];
      const onData = (c: Buffer): number => parts.push(c);
      peer.on('data', onData);
      await new Promise<void>((r) => peer.write(m, () => r()));
      peer.off('data', onData);
      frames.push(Buffer.concat(parts).subarray(0, -4));
    }
    peer.close();
    assert.equal((await decompress(pmd, [frames[0]!])).err, null);
    const out = await decompress(pmd, [frames[1]!]);
    assert.equal(out.err?.closeCode, 1007);
    assert.equal(out.err?.code, 'WS_ERR_INVALID_COMPRESSED_DATA');
    // A peer that promised 8 and kept it decodes with our 9-bit inflater.
    const eight = make(role, role === 'server' ? { clientMaxWindowBits: 8 } : { serverMaxWindowBits: 8 });
    const small = zlib
      .deflateRawSync(Buffer.concat([block.subarray(0, 200), block.subarray(0, 200)]), {
        windowBits: 9,
        finishFlush: zlib.constants.Z_SYNC_FLUSH,
      })
      .subarray(0, -4);
    assert.deepEqual(
      (await decompress(eight, [small])).data,
      Buffer.concat([block.subarray(0, 200), block.subarray(0, 200)]),
    );
    eight.close();
    pmd.close();
  });

  test(`${role} inflater keeps the window across messages unless the peer declared no_context_takeover (RFC 7692 §7.1.1)`, async () => {
    const keeps = make(role);
    await decompress(keeps, [hex('f2 48 cd c9 c9 07 00')]);
    assert.equal(keeps.holdsZlibMemory, true);
    assert.equal((await decompress(keeps, [hex('f2 00 11 00 00')])).data.toString(), 'Hello');
    keeps.close();
    assert.equal(keeps.holdsZlibMemory, false, 'close() releases the streams');

    const resets = make(
      role,
      role === 'server' ? { clientNoContextTakeover: true } : { serverNoContextTakeover: true },
    );
    await decompress(resets, [hex('f2 48 cd c9 c9 07 00')]);
    assert.equal(resets.holdsZlibMemory, false, 'no window is kept between messages');
    // A back-reference into the previous message cannot resolve in a fresh window.
    assert.equal((await decompress(resets, [hex('f2 00 11 00 00')])).err?.closeCode, 1007);
    resets.close();
  });

  test(`${role} stops a decompression bomb at maxMessageSize with 1009, after at most one more zlib chunk`, async () => {
    const bomb = zlib
      .deflateRawSync(Buffer.alloc(64 * 1024 * 1024), { level: 9, finishFlush: zlib.constants.Z_SYNC_FLUSH })
      .subarray(0, -4);
    assert.ok(bomb.length < 100 * 1024, `bomb is ${bomb.length} bytes`);
    const limit = 1024 * 1024;
    const pmd = make(role, {}, { maxMessageSize: limit });
    const out = await decompress(pmd, [bomb]);
    assert.equal(out.err?.closeCode, 1009);
    assert.equal(out.err?.code, 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH');
    assert.ok(out.data.length <= limit, `delivered ${out.data.length} bytes, limit ${limit}`);
    assert.equal(pmd.holdsZlibMemory, false, 'the inflater was destroyed');
    pmd.close();
  });

  test(`${role} counts the limit over all frames of a message, not per frame (docs/security-cases.md PD-07)`, async () => {
    const limit = 100_000;
    const pmd = make(role, {}, { maxMessageSize: limit });
    const whole = zlib
      .deflateRawSync(Buffer.alloc(400_000, 0x61), { finishFlush: zlib.constants.Z_SYNC_FLUSH })
      .subarray(0, -4);
    const frames: Buffer[] = [];
    for (let i = 0; i < whole.length; i += 16) frames.push(whole.subarray(i, i + 16));
    const out = await decompress(pmd, frames);
    assert.equal(out.err?.closeCode, 1009);
    assert.ok(out.data.length <= limit);
    pmd.close();
    // The count restarts with each message: two messages of 60 000 bytes pass a 100 000 limit.
    const again = make(role, {}, { maxMessageSize: limit });
    const sixty = zlib
      .deflateRawSync(Buffer.alloc(60_000, 0x62), { finishFlush: zlib.constants.Z_SYNC_FLUSH })
      .subarray(0, -4);
    assert.equal((await decompress(again, [sixty])).data.length, 60_000);
    const two = await decompress(again, [Buffer.from(sixty)]);
    assert.equal(two.err, null);
    again.close();
  });

  test(`${role} fails random bytes and a reserved block type with 1007 (docs/security-cases.md PD-08)`, async () => {
    for (const bad of [hex('ff ff ff ff ff'), hex('07 00'), hex('0e 00')]) {
      const pmd = make(role);
      const out = await decompress(pmd, [bad]);
      assert.equal(out.err?.closeCode, 1007, bad.toString('hex'));
      assert.equal(pmd.holdsZlibMemory, false);
      pmd.close();
    }
  });

  test(`${role} reports exactly one 1009 when a malformed block follows the limit crossing, and no late zlib error escapes (docs/security-cases.md PD-09, GHSA-3wwx-pv8p-q78v)`, async () => {
    const errors: unknown[] = [];
    const onUncaught = (err: unknown): void => {
      errors.push(err);
    };
    process.on('uncaughtException', onUncaught);
    try {
      const body = zlib
        .deflateRawSync(Buffer.alloc(4 * 1024 * 1024), { finishFlush: zlib.constants.Z_SYNC_FLUSH })
        .subarray(0, -4);
      const pmd = make(role, {}, { maxMessageSize: 64 * 1024 });
      let calls = 0;
      let first: ProtocolError | null = null;
      await new Promise<void>((resolve) => {
        pmd.decompress(
          Buffer.concat([body, hex('ff ff ff ff 07 00 ff')]),
          true,
          () => true,
          (err) => {
            calls++;
            first = err;
            resolve();
          },
        );
      });
      await new Promise((r) => setTimeout(r, 100));
      assert.equal(calls, 1);
      assert.equal((first as ProtocolError | null)?.closeCode, 1009);
      assert.deepEqual(errors, []);
      pmd.close();
    } finally {
      process.off('uncaughtException', onUncaught);
    }
  });

  test(`${role} refuses data after a BFINAL block, so concatenated members cannot restart zlib (docs/security-cases.md PD-10)`, async () => {
    const member = zlib.deflateRawSync('Hello'); // one BFINAL block
    const pmd = make(role);
    const two = await decompress(pmd, [Buffer.concat([member, member])]);
    assert.equal(two.err?.closeCode, 1007);
    assert.equal(two.err?.code, 'WS_ERR_INVALID_COMPRESSED_DATA');
    // Many empty members (A16) fail at the first one's end as well.
    const empty = zlib.deflateRawSync(Buffer.alloc(0));
    const many = await decompress(make(role), [Buffer.concat(Array.from({ length: 10_000 }, () => empty))]);
    assert.equal(many.err?.closeCode, 1007);
    // A BFINAL block in a non-final frame followed by more frames: refused at the next frame.
    const split = await decompress(make(role), [member, hex('f2 48 cd c9 c9 07 00')]);
    assert.equal(split.err?.closeCode, 1007);
    // Thousands of empty stored blocks decode (linear work, no output) and the message is delivered.
    const stored = Buffer.concat([
      ...Array.from({ length: 10_000 }, () => hex('00 00 00 ff ff')),
      hex('f2 48 cd c9 c9 07 00'),
    ]);
    const ok = await decompress(make(role), [stored]);
    assert.equal(ok.err, null);
    assert.equal(ok.data.toString(), 'Hello');
    pmd.close();
  });

  test(`${role} round-trips the empty message as the single byte 00 (RFC 7692 §7.2.3.6, docs/security-cases.md PD-12)`, async () => {
    const pmd = make(role, {}, { threshold: 0 });
    assert.equal(pmd.shouldCompress(0), true);
    const payload = await compress(pmd, Buffer.alloc(0));
    assert.deepEqual(payload, hex('00'));
    const out = await decompress(pmd, [payload]);
    assert.equal(out.err, null);
    assert.equal(out.data.length, 0);
    // The context continues after an empty message.
    await compress(pmd, 'Hello');
    assert.deepEqual(await compress(pmd, 'Hello'), hex('f2 00 11 00 00'));
    pmd.close();
  });

  test(`${role} stops inflating when the sink refuses a chunk`, async () => {
    const pmd = make(role);
    const big = zlib
      .deflateRawSync(Buffer.alloc(1024 * 1024, 0x41), { finishFlush: zlib.constants.Z_SYNC_FLUSH })
      .subarray(0, -4);
    const out = await decompress(pmd, [big], { stopAfter: 1 });
    assert.equal(out.err, null);
    assert.equal(out.chunks, 1);
    assert.equal(pmd.holdsZlibMemory, false);
    pmd.close();
  });
}

test('threshold: messages below it are not compressed; default 1024 as ws', () => {
  const pmd = make('server');
  assert.equal(pmd.threshold, 1024);
  assert.equal(pmd.shouldCompress(1023), false);
  assert.equal(pmd.shouldCompress(1024), true);
  assert.equal(make('server', {}, { threshold: 10 }).shouldCompress(10), true);
  assert.throws(() => make('server', {}, { threshold: -1 }), RangeError);
  assert.throws(() => make('server', {}, { maxMessageSize: 1.5 }), RangeError);
});

test('close() abandons operations in flight: no callback, limiter slots freed, zlib memory released', async () => {
  const limiter = new ZlibLimiter(1);
  const pmd = make('server', {}, { limiter });
  const calls: string[] = [];
  pmd.compress(Buffer.alloc(256 * 1024, 0x42), () => calls.push('compress'));
  pmd.decompress(
    hex('f2 48 cd c9 c9 07 00'),
    true,
    () => true,
    () => calls.push('decompress'),
  );
  assert.equal(limiter.running, 1);
  assert.equal(limiter.pending, 1);
  pmd.close();
  pmd.close(); // idempotent
  await new Promise((r) => setTimeout(r, 50));
  assert.deepEqual(calls, []);
  assert.equal(limiter.running, 0);
  assert.equal(limiter.pending, 0);
  assert.equal(pmd.holdsZlibMemory, false);
  // The limiter still works for others.
  const other = make('server', {}, { limiter });
  assert.deepEqual(await compress(other, 'Hello'), hex('f2 48 cd c9 c9 07 00'));
  other.close();
});

test('deflateMessage gives the bytes a no_context_takeover connection sends, for any window bits', async () => {
  const message = Buffer.from(`{"channel":"news","data":"${'breaking '.repeat(400)}"}`);
  for (const bits of [9, 12, 15]) {
    const pmd = make('server', { serverNoContextTakeover: true, serverMaxWindowBits: bits });
    const own = await compress(pmd, message);
    const shared = await new Promise<Buffer>((resolve, reject) => {
      deflateMessage(message, { windowBits: bits }, (err, payload) => (err !== null ? reject(err) : resolve(payload!)));
    });
    assert.deepEqual(shared, own, `windowBits ${bits}`);
    pmd.close();
  }
  const empty = await new Promise<Buffer>((resolve) =>
    deflateMessage(Buffer.alloc(0), { windowBits: 15 }, (_e, p) => resolve(p!)),
  );
  assert.deepEqual(empty, hex('00'));
});

test('compresses a 4 MiB message and inflates it back through a fresh peer, in order with small ones', async () => {
  const sender = make('client');
  const receiver = make('server');
  const big = Buffer.from(Array.from({ length: 4 * 1024 * 1024 }, (_, i) => (i * 31 + (i >> 10)) & 0xff));
  const messages = [Buffer.from('first'), big, Buffer.from('third '.repeat(500))];
  const payloads = await Promise.all(messages.map((m) => compress(sender, m))); // queued back to back on one stream
  for (let i = 0; i < messages.length; i++) {
    const out = await decompress(receiver, [payloads[i]!]);
    assert.equal(out.err, null);
    assert.ok(out.data.equals(messages[i]!), `message ${i}`);
  }
  sender.close();
  receiver.close();
});

test('fuzz: random and mutated compressed frames never throw; each frame gets exactly one callback, null or 1007/1009 (docs/architecture.md (Conventions) fuzz invariant)', async () => {
  const fc = (await import('fast-check')).default;
  const seed = zlib
    .deflateRawSync('seed message '.repeat(50), { finishFlush: zlib.constants.Z_SYNC_FLUSH })
    .subarray(0, -4);
  const frameArb = fc.oneof(
    fc.uint8Array({ maxLength: 200 }),
    fc.tuple(fc.nat(seed.length - 1), fc.integer({ min: 0, max: 255 })).map(([i, b]) => {
      const copy = Buffer.from(seed);
      copy[i] = b;
      return new Uint8Array(copy);
    }),
  );
  await fc.assert(
    fc.asyncProperty(fc.array(fc.tuple(frameArb, fc.boolean()), { minLength: 1, maxLength: 5 }), async (frames) => {
      const pmd = make('server', {}, { maxMessageSize: 4096 });
      try {
        for (const [data, fin] of frames) {
          let calls = 0;
          const err = await new Promise<ProtocolError | null>((resolve) => {
            pmd.decompress(
              data,
              fin,
              () => true,
              (e) => {
                calls++;
                resolve(e);
              },
            );
          });
          await new Promise((r) => setImmediate(r));
          assert.equal(calls, 1);
          if (err !== null) {
            assert.ok(err.closeCode === 1007 || err.closeCode === 1009, String(err.closeCode));
            break;
          }
        }
      } finally {
        pmd.close();
      }
    }),
    { numRuns: 200 },
  );
});
