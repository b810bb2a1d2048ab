// Tests for what fragmentation costs (RFC 6455 §5.4, §10.4): any cut of a message reassembles
// identically, memory follows the message's bytes rather than its frame count, and floods of
// tiny or empty continuation frames end at a byte budget (docs/security-cases.md LM-03, LM-04).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Connection, serializeFrame } from '../../src/protocol/index.ts';
import type { ConnectionOptions, Role } from '../../src/protocol/index.ts';
import { MessageAssembler } from '../../src/protocol/message-assembler.ts';

const KEY = new Uint8Array([1, 2, 3, 4]);
const h = (hex: string): Uint8Array => new Uint8Array(Buffer.from(hex.replace(/ /g, ''), 'hex'));
const conn = (role: Role, options: Partial<ConnectionOptions> = {}) =>
  new Connection({ role, maskKeySource: () => KEY, ...options });
const ROLES: Role[] = ['server', 'client'];

/** Encodes frames as the peer of `role` would send them (the client masks, §5.1). */
function peer(role: Role, opcode: number, payload: Uint8Array | string, options: { fin?: boolean } = {}): Uint8Array {
  const data = typeof payload === 'string' ? new TextEncoder().encode(payload) : payload;
  return new Uint8Array(
    Buffer.concat(
      serializeFrame(opcode, data, { ...options, maskKey: role === 'server' ? new Uint8Array([9, 8, 7, 6]) : null }),
    ),
  );
}

/** `data` as the peer of `role` sends it, cut at `cuts` (sorted offsets) into a first frame and continuations. */
function fragmented(role: Role, opcode: number, data: Uint8Array, cuts: number[]): Uint8Array {
  const bounds = [0, ...cuts, data.length];
  const parts: Uint8Array[] = [];
  for (let i = 0; i + 1 < bounds.length; i++) {
    const last = i + 2 === bounds.length;
    parts.push(peer(role, i === 0 ? opcode : 0, data.subarray(bounds[i], bounds[i + 1]), { fin: last }));
  }
  return new Uint8Array(Buffer.concat(parts));
}

for (const role of ROLES) {
  test(`${role}: any fragmentation of a message, read in any chunks, reassembles identically (property)`, () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 70_000 }),
        fc.boolean(),
        fc.array(fc.nat(), { maxLength: 300 }),
        fc.array(fc.nat(), { maxLength: 8 }),
        (bytes, binary, rawCuts, rawChunks) => {
          // Text must be valid UTF-8: use ASCII for text messages.
          const data = binary ? bytes : bytes.map((b) => 0x20 + (b % 0x5f));
          const cuts = rawCuts.map((c) => c % (data.length + 1)).sort((a, b) => a - b);
          const stream = fragmented(role, binary ? 2 : 1, data, cuts);
          const points = [...new Set(rawChunks.map((p) => p % (stream.length + 1)))].sort((a, b) => a - b);
          const c = conn(role);
          let start = 0;
          for (const p of [...points, stream.length]) {
            c.receive(stream.subarray(start, p));
            start = p;
          }
          const events = c.takeEvents();
          assert.equal(events.length, 1, `${cuts.length + 1} frames give one event`);
          const e = events[0]!;
          assert.ok(e.type === 'message' && e.binary === binary);
          assert.ok(Buffer.from(e.data).equals(Buffer.from(data)), 'same bytes');
        },
      ),
      { numRuns: 300 },
    );
  });
}

for (const [size, count] of [
  [64, 65_536],
  [256, 16_384],
  [1024, 4096],
  [4096, 1024],
] as const) {
  test(`a 4 MiB message in ${count} fragments of ${size} bytes passes with the default limits, held in few buffers`, () => {
    const message = new Uint8Array(4 * 1024 * 1024).map((_, i) => i * 7);
    for (const role of ROLES) {
      const cuts = Array.from({ length: count - 1 }, (_, i) => (i + 1) * size);
      const stream = fragmented(role, 2, message, cuts);
      const c = conn(role);
      // All but the last frame first: the message in progress is held in blocks, not one entry per fragment.
      const lastFrame = peer(role, 0, message.subarray(cuts.at(-1)!), { fin: true }).length;
      c.receive(stream.subarray(0, stream.length - lastFrame));
      assert.equal(c.bufferedInputBytes, message.length - size, `${role}: buffered bytes are the payload so far`);
      c.receive(stream.subarray(stream.length - lastFrame));
      const events = c.takeEvents();
      assert.equal(events.length, 1, `${role}: ${count} frames, one message`);
      assert.ok(
        events[0]!.type === 'message' && Buffer.from(events[0]!.data).equals(Buffer.from(message)),
        `${role}: same bytes`,
      );
    }
  });
}

test('buffers held for a message in progress grow with its bytes, not with its fragment count', () => {
  const a = new MessageAssembler({ maxMessageSize: 64 * 1024 * 1024, maxFragments: Infinity });
  a.frameStart(2, false, false, 1, 2);
  a.framePayload(new Uint8Array([1]), true);
  for (let i = 0; i < 1_000_000; i++) {
    a.frameStart(0, false, false, 1, 2);
    a.framePayload(new Uint8Array([i & 0xff]), true);
  }
  assert.equal(a.bufferedBytes, 1_000_001);
  // 16 KiB blocks growing to 1 MiB: about 20 buffers for 1 MB of 1-byte fragments (one per fragment before).
  assert.ok(a.bufferedParts <= 24, `${a.bufferedParts} buffers for 1,000,001 one-byte fragments`);
  a.frameStart(0, true, false, 0, 2);
  const done = a.framePayload(new Uint8Array(0), true);
  assert.equal(done?.data.length, 1_000_001);
  assert.equal(done?.data[1_000_000], 999_999 & 0xff);
});

test('100k empty continuation frames close with 1008 once their headers pass the overhead budget, without growing buffers (docs/security-cases.md LM-04)', () => {
  // The fragment count is no longer capped by default (maxFragments used to stop this flood at the
  // 1024th frame and refused legal 4 MiB messages in small fragments with it); the headers of a
  // message's continuation frames count against maxMessageSize instead (at least 64 KiB).
  const c = conn('client', { maxMessageSize: 100_000 });
  c.receive(h('01 00'));
  const emptyContinuation = h('00 00');
  let closedAt = -1;
  let maxBuffered = 0;
  for (let i = 0; i < 100_000; i++) {
    c.receive(emptyContinuation.slice());
    maxBuffered = Math.max(maxBuffered, c.bufferedInputBytes);
    if (closedAt < 0 && c.readyState === 3) closedAt = i;
  }
  assert.equal(closedAt, 50_000, 'the 50,001st 2-byte continuation header crosses the 100,000-byte budget');
  assert.equal(maxBuffered, 0);
  const events = c.takeEvents();
  assert.equal(events.length, 1);
  assert.equal(events[0]?.type === 'close' && events[0].code, 1008);
  assert.equal(events[0]?.type === 'close' && events[0].error?.code, 'WS_ERR_TOO_MANY_BUFFERED_PARTS');
  assert.equal(c.bufferedInputBytes, 0);
});

test('the continuation header budget is at least 64 KiB, so a tiny maxMessageSize still allows small fragmented messages', () => {
  for (const role of ROLES) {
    const c = conn(role, { maxMessageSize: 4 });
    const parts = [
      peer(role, 1, 'a', { fin: false }),
      ...Array.from({ length: 2 }, () => peer(role, 0, 'b', { fin: false })),
      peer(role, 0, 'c'),
    ];
    c.receive(new Uint8Array(Buffer.concat(parts)));
    assert.deepEqual(
      c.takeEvents().map((e) => e.type === 'message' && Buffer.from(e.data).toString()),
      ['abbc'],
    );
    // 64 KiB of masked empty continuation headers (6 bytes each on the server, 2 on the client) then fails.
    c.receive(peer(role, 1, '', { fin: false }));
    const header = role === 'server' ? 6 : 2;
    const frames = Math.floor(65_536 / header) + 1;
    c.receive(new Uint8Array(Buffer.concat(Array.from({ length: frames }, () => peer(role, 0, '', { fin: false })))));
    const events = c.takeEvents();
    const last = events.at(-1);
    assert.equal(last?.type === 'close' && last.code, 1008, role);
  }
});

test('maxFragments stays available as an opt-in cap, unlimited by default; it must be a non-negative integer or Infinity', () => {
  const capped = conn('client', { maxFragments: 2 });
  capped.receive(h('01 00 00 00 80 00'));
  assert.equal((capped.takeEvents()[0] as { code?: number }).code, 1008);
  const unlimited = conn('client', { maxFragments: Infinity });
  unlimited.receive(
    new Uint8Array(Buffer.concat([h('01 01 61'), ...Array.from({ length: 5000 }, () => h('00 01 62')), h('80 01 63')])),
  );
  assert.equal((unlimited.takeEvents()[0] as { data: Uint8Array }).data.length, 5002);
  for (const bad of [-1, 1.5, Number.NaN, -Infinity])
    assert.throws(() => conn('client', { maxFragments: bad }), RangeError, String(bad));
});
