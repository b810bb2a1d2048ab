// docs/security-cases.md §4.6 (LM-01..LM-08): size and fragment limits, and memory held by hostile peers, measured in a child server process.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { expectClose, frame, frames, type RawClient } from '../helpers/raw.ts';
import { hostile, hostileChild } from '../helpers/hostile.ts';
import { MiB } from '../helpers/memory.ts';

const KiB = 1024;

/**
 * Writes batches from `batch()` until the server answers anything (its Close), the socket ends, `maxBytes` are
 * written or `maxMs` pass. Returns the bytes written. Every write is awaited, so our own memory stays flat.
 */
async function flood(c: RawClient, batch: () => Buffer, maxBytes: number, maxMs: number): Promise<number> {
  const started = Date.now();
  let written = 0;
  while (
    written < maxBytes &&
    Date.now() - started < maxMs &&
    !c.ended &&
    !c.closed &&
    (c.reading ? c.bytesReceived === 0 : true)
  ) {
    const b = batch();
    await Promise.race([c.write(b), new Promise((r) => setTimeout(r, 1_000))]);
    written += b.length;
  }
  return written;
}

test('LM-01 server fails a frame one byte over maxMessageSize with 1009 after the header, before any payload', async (t) => {
  const fx = await hostile(t, { maxMessageSize: 64 * KiB });
  const c = await fx.open();
  await c.write(frame({ opcode: 2, announcedLength: 64 * KiB + 1 }));
  await expectClose(c, 1009, 3_000);
  await fx.verify();
});

test('LM-02 server fails small fragments whose total crosses maxMessageSize with 1009 at the crossing fragment (RFC 6455 §10.4)', async (t) => {
  const fx = await hostile(t, { maxMessageSize: 64 * KiB });
  const c = await fx.open();
  const piece = Buffer.alloc(16 * KiB, 0x61);
  await c.write(
    Buffer.concat([
      frames.text(piece, false),
      frames.cont(piece, false),
      frames.cont(piece, false),
      frames.cont(piece, false),
    ]),
  );
  await new Promise((r) => setTimeout(r, 50));
  assert.equal(c.bytesReceived, 0, 'exactly at the limit is not an error yet');
  await c.write(frames.cont(Buffer.alloc(1, 0x61), false));
  // No further fragment is sent: the close must come from the crossing one.
  await expectClose(c, 1009, 3_000);
  await fx.verify();
});

test('LM-03 server fails a message with more one-byte fragments than maxFragments with 1008', async (t) => {
  const fx = await hostile(t, { maxFragments: 100 });
  const c = await fx.open();
  await c.write(frames.text('a', false));
  const conts = Buffer.concat(Array.from({ length: 200 }, () => frames.cont('b', false)));
  await c.write(conts);
  await expectClose(c, 1008, 3_000);
  await fx.verify();
});

test('LM-03 server memory stays bounded under a never-ending 1-byte continuation flood (byte budgets of maxMessageSize)', async (t) => {
  // No fragment count caps this any more (maxFragments is opt-in): the payload (1009) and the
  // continuation headers (1008) each have a budget of maxMessageSize, 1 MiB here.
  const fx = await hostileChild(t, { maxMessageSize: 1 * MiB });
  const before = await fx.retained();
  const c = await fx.open();
  await c.write(frames.text('a', false));
  const batch = Buffer.concat(Array.from({ length: 1000 }, () => frames.cont('b', false)));
  const written = await flood(c, () => batch, 64 * MiB, 8_000);
  const close = await expectClose(c, [1008, 1009], 5_000);
  const during = await fx.retained();
  assert.ok(
    during - before < 8 * MiB,
    `retained grew ${((during - before) / MiB).toFixed(1)} MiB after ${written} bytes (close ${close.code})`,
  );
  await fx.verify();
});

test('LM-04 server counts empty continuation frames toward the continuation header budget: 1008, memory flat (ws PR #2329)', async (t) => {
  // 6-byte masked empty frames against a 1 MiB budget: closed after ~175,000 frames (~1 MB).
  const fx = await hostileChild(t, { maxMessageSize: 1 * MiB });
  const before = await fx.retained();
  const c = await fx.open();
  await c.write(frames.text('', false));
  const batch = Buffer.concat(Array.from({ length: 10_000 }, () => frames.cont('', false)));
  const written = await flood(c, () => batch, 6 * 1_000_000, 10_000);
  await expectClose(c, 1008, 5_000);
  const after = await fx.retained();
  assert.ok(
    after - before < 8 * MiB,
    `retained grew ${((after - before) / MiB).toFixed(1)} MiB after ${written} bytes of empty frames`,
  );
  await fx.verify();
});

test('LM-04b with the default limits, a million empty and a million 1-byte continuation frames keep memory bounded by the payload, and the message still completes', async (t) => {
  const fx = await hostileChild(t);
  const before = await fx.retained();
  const c = await fx.open();
  // 1,000,000 empty continuations (6 MB of headers, under the 64 MiB budget), then 1,000,000 1-byte ones.
  await c.write(frames.binary(Buffer.alloc(0), false));
  const empty = Buffer.concat(Array.from({ length: 10_000 }, () => frames.cont(Buffer.alloc(0), false)));
  for (let i = 0; i < 100; i++) await c.write(empty);
  const during = await fx.retained();
  assert.ok(
    during - before < 8 * MiB,
    `a million empty continuation frames retained ${((during - before) / MiB).toFixed(1)} MiB`,
  );
  const one = Buffer.concat(Array.from({ length: 10_000 }, (_, i) => frames.cont(Buffer.from([i & 0xff]), false)));
  for (let i = 0; i < 100; i++) await c.write(one);
  const held = await fx.retained();
  // 1 MB of payload held in coalesced blocks, not a million views and array entries.
  assert.ok(
    held - before < 8 * MiB,
    `a million 1-byte continuation frames retained ${((held - before) / MiB).toFixed(1)} MiB`,
  );
  await c.write(frames.cont(Buffer.alloc(0), true));
  const echo = await c.readMessage(20_000);
  assert.equal(echo.data.length, 1_000_000);
  assert.equal(echo.data[9_999], 9_999 & 0xff);
  await fx.verify();
});

test('LM-05 server keeps its chunk list bounded when a frame arrives in tiny TCP segments (Nagle off)', async (t) => {
  const fx = await hostileChild(t);
  const before = await fx.retained();
  const c = await fx.open();
  const payload = Buffer.alloc(200 * KiB, 0x62);
  const bytes = frames.binary(payload);
  // 1-byte writes, 512 per macrotask, so the server sees many small reads.
  for (let i = 0; i < bytes.length; i += 512) {
    for (let j = i; j < Math.min(i + 512, bytes.length); j++) c.socket.write(bytes.subarray(j, j + 1));
    await new Promise((r) => setImmediate(r));
  }
  const m = await c.readMessage(20_000);
  assert.ok(m.data.equals(payload), 'message reassembled from tiny segments');
  const after = await fx.retained();
  assert.ok(after - before < 16 * MiB, `retained grew ${((after - before) / MiB).toFixed(1)} MiB`);
  await fx.verify();
});

test('LM-06 incomplete messages held just under the cap on 100 connections pin at most a small multiple of the wire bytes', async (t) => {
  const limit = 256 * KiB;
  const fx = await hostileChild(t, { maxMessageSize: limit });
  const before = await fx.retained();
  const clients: RawClient[] = [];
  const held = limit - 4 * KiB;
  for (let i = 0; i < 100; i++) {
    const c = await fx.open();
    clients.push(c);
    await c.write(frames.binary(Buffer.alloc(held, i & 0xff), false));
  }
  await new Promise((r) => setTimeout(r, 200));
  const during = await fx.retained();
  const wire = 100 * held;
  assert.ok(
    during - before < 3 * wire,
    `holding ${(wire / MiB).toFixed(1)} MiB of fragments retained ${((during - before) / MiB).toFixed(1)} MiB`,
  );
  for (const c of clients) c.destroy();
  await fx.verify();
  const after = await fx.retained();
  assert.ok(
    after - before < 8 * MiB,
    `after the peers left, ${((after - before) / MiB).toFixed(1)} MiB still retained`,
  );
});

test('LM-07 server does not queue unbounded replies to a peer that pipelines messages without reading (RFC 6455 §10.4)', async (t) => {
  const fx = await hostileChild(t, { sendHighWaterMark: 64 * KiB });
  const before = await fx.retained();
  const c = await fx.open();
  c.stopReading();
  const batch = Buffer.concat(Array.from({ length: 64 }, () => frames.binary(Buffer.alloc(1 * KiB, 0x63))));
  const written = await flood(c, () => batch, 48 * MiB, 8_000);
  const during = await fx.retained();
  assert.ok(
    during - before < 24 * MiB,
    `pipelined ${(written / MiB).toFixed(1)} MiB of requests; server retained ${((during - before) / MiB).toFixed(1)} MiB`,
  );
  c.destroy();
  await fx.verify();
});

test('LM-08 server accepts a message exactly at maxMessageSize (single frame and fragmented) and fails limit+1 with 1009', async (t) => {
  const limit = 64 * KiB;
  const fx = await hostile(t, { maxMessageSize: limit });
  const c = await fx.open();
  const exact = Buffer.alloc(limit, 0x64);
  await c.write(frames.binary(exact));
  assert.ok((await c.readMessage()).data.equals(exact));
  await c.write(
    Buffer.concat([frames.binary(exact.subarray(0, limit / 2), false), frames.cont(exact.subarray(limit / 2))]),
  );
  assert.ok((await c.readMessage()).data.equals(exact));
  await c.write(frames.binary(Buffer.alloc(limit + 1)));
  await expectClose(c, 1009);
  await fx.verify();
});

for (const size of [64, 256, KiB, 4 * KiB]) {
  test(`LM-09 server accepts and echoes a 4 MiB message sent in ${size}-byte fragments with the default limits (RFC 6455 §5.4)`, async (t) => {
    const fx = await hostile(t);
    const c = await fx.open();
    const message = Buffer.alloc(4 * MiB);
    for (let i = 0; i < message.length; i++) message[i] = (i * 7) & 0xff;
    const count = message.length / size;
    assert.equal(count, (4 * MiB) / size, 'exactly this many frames');
    const parts: Buffer[] = [];
    for (let i = 0; i < count; i++) {
      const piece = message.subarray(i * size, (i + 1) * size);
      parts.push(i === 0 ? frames.binary(piece, false) : frames.cont(piece, i === count - 1));
    }
    await c.write(Buffer.concat(parts));
    const echo = await c.readMessage(20_000);
    assert.equal(echo.opcode, 2);
    assert.ok(echo.data.equals(message), `echo of ${count} fragments differs`);
    await fx.verify();
  });
}
