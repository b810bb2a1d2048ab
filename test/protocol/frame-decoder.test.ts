// Tests for src/protocol/frame-decoder.ts: byte steps, views vs copies, and framing rules (RFC 6455 §5).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { DecodeResult, FrameDecoder } from '../../src/protocol/frame-decoder.ts';
import { ProtocolError } from '../../src/protocol/errors.ts';
import { serializeFrame } from '../../src/protocol/frame-header.ts';

const h = (hex: string): Uint8Array => new Uint8Array(Buffer.from(hex.replace(/ /g, ''), 'hex'));
const server = (maxFrameSize = 1 << 20, allowRsv1 = false) =>
  new FrameDecoder({ expectMasked: true, allowRsv1, maxFrameSize });
const client = (maxFrameSize = 1 << 20, allowRsv1 = false) =>
  new FrameDecoder({ expectMasked: false, allowRsv1, maxFrameSize });

/** Drains the decoder into readable records. */
function drain(d: FrameDecoder): string[] {
  const out: string[] = [];
  for (;;) {
    const r = d.next();
    if (r === DecodeResult.NEED_MORE) return out;
    if (r === DecodeResult.FRAME_START)
      out.push(`start op=${d.opcode} fin=${d.fin} rsv1=${d.rsv1} len=${d.payloadLength}`);
    else if (r === DecodeResult.DATA)
      out.push(`data ${Buffer.from(d.payload).toString('hex')}${d.last ? ' last' : ''}`);
    else out.push(`control op=${d.opcode} ${Buffer.from(d.payload).toString('hex')}`);
  }
}

function failsWith(d: FrameDecoder, input: Uint8Array, closeCode: number, code: string): void {
  d.push(input);
  assert.throws(
    () => drain(d),
    (e: unknown) => e instanceof ProtocolError && e.closeCode === closeCode && e.code === code,
  );
}

test('a whole small frame inside one chunk is handed out as a view without copying', () => {
  const chunk = h('81 85 37fa213d 7f9f4d5158');
  const d = server();
  d.push(chunk);
  assert.equal(d.next(), DecodeResult.FRAME_START);
  assert.equal(d.next(), DecodeResult.DATA);
  assert.equal(d.payload.buffer, chunk.buffer, 'a view into the input');
  assert.equal(d.payload.byteOffset, 6);
  assert.equal(new TextDecoder().decode(d.payload), 'Hello', 'unmasked in place (RFC 6455 §5.3)');
  assert.equal(d.last, true);
  assert.equal(d.next(), DecodeResult.NEED_MORE);
  assert.equal(d.bufferedBytes, 0);
});

test('a control frame spanning chunks is copied and unmasked as a whole', () => {
  const d = server();
  const bytes = h('89 83 01020304 61 60 61');
  d.push(bytes.subarray(0, 7));
  assert.equal(d.next(), DecodeResult.NEED_MORE);
  assert.equal(d.bufferedBytes, 1);
  d.push(bytes.subarray(7));
  assert.deepEqual(drain(d), ['control op=9 606262']);
});

test('data payload streams piece by piece with the mask offset carried over', () => {
  const d = server();
  const frame = h('82 86 01020304 000000000000');
  d.push(frame.subarray(0, 7));
  d.push(frame.subarray(7, 9));
  assert.deepEqual(drain(d), ['start op=2 fin=true rsv1=false len=6', 'data 01', 'data 0203']);
  d.push(frame.subarray(9));
  assert.deepEqual(drain(d), ['data 040102 last']);
});

/** Drains like drain() but merges the DATA pieces of each frame into one record. */
function drainMerged(d: FrameDecoder, out: string[], state: { data: string }): void {
  for (;;) {
    const r = d.next();
    if (r === DecodeResult.NEED_MORE) return;
    if (r === DecodeResult.FRAME_START) {
      out.push(`start op=${d.opcode} len=${d.payloadLength}`);
      state.data = '';
    } else if (r === DecodeResult.DATA) {
      state.data += Buffer.from(d.payload).toString('hex');
      if (d.last) out.push(`data ${state.data}`);
    } else out.push(`control op=${d.opcode} ${Buffer.from(d.payload).toString('hex')}`);
  }
}

test('the header, 16-bit and 64-bit lengths and mask split at every offset decode the same', () => {
  for (const hex of [
    '82 fe 0100 01020304',
    '82 ff 0000000000000080 01020304',
    '01 80 0a0b0c0d',
    '89 82 01020304 0203',
  ]) {
    const payloadLen = hex.startsWith('82 fe') ? 256 : hex.startsWith('82 ff') ? 128 : 0;
    const bytes = new Uint8Array([...h(hex), ...new Uint8Array(payloadLen).map((_, i) => i)]);
    const expected: string[] = [];
    const whole = server();
    whole.push(bytes.slice());
    drainMerged(whole, expected, { data: '' });
    assert.equal(expected.length, hex.startsWith('89') ? 1 : 2);
    for (let cut = 1; cut < bytes.length; cut++) {
      const d = server();
      const copy = bytes.slice();
      const got: string[] = [];
      const state = { data: '' };
      d.push(copy.subarray(0, cut));
      drainMerged(d, got, state);
      d.push(copy.subarray(cut));
      drainMerged(d, got, state);
      assert.deepEqual(got, expected, `cut ${cut}`);
    }
  }
});

test('an empty data frame yields one empty DATA piece marked last', () => {
  const d = client();
  d.push(h('80 00'));
  assert.deepEqual(drain(d), ['start op=0 fin=true rsv1=false len=0', 'data  last']);
});

test('server fails an unmasked frame with 1002 (RFC 6455 §5.1)', () =>
  failsWith(server(), h('81 00'), 1002, 'WS_ERR_EXPECTED_MASK'));
test('client fails a masked frame with 1002 (RFC 6455 §5.1)', () =>
  failsWith(client(), h('81 80 00000000'), 1002, 'WS_ERR_UNEXPECTED_MASK'));
test('both roles fail RSV2/RSV3 with 1002 (RFC 6455 §5.2)', () => {
  failsWith(client(), h('a1 00'), 1002, 'WS_ERR_UNEXPECTED_RSV_2_3');
  failsWith(client(), h('91 00'), 1002, 'WS_ERR_UNEXPECTED_RSV_2_3');
});
test('both roles fail RSV1 without an extension with 1002 (RFC 6455 §5.2)', () =>
  failsWith(client(), h('c1 00'), 1002, 'WS_ERR_UNEXPECTED_RSV_1'));
test('RSV1 with the extension is allowed on a first data frame only (RFC 7692 §6.1)', () => {
  const d = client(100, true);
  d.push(h('c1 00'));
  assert.deepEqual(drain(d), ['start op=1 fin=true rsv1=true len=0', 'data  last']);
  failsWith(client(100, true), h('c9 00'), 1002, 'WS_ERR_UNEXPECTED_RSV_1');
  failsWith(client(100, true), h('c0 00'), 1002, 'WS_ERR_UNEXPECTED_RSV_1');
});
test('both roles fail reserved opcodes with 1002 (RFC 6455 §5.2)', () => {
  for (const op of [3, 4, 5, 6, 7, 0xb, 0xc, 0xd, 0xe, 0xf])
    failsWith(client(), new Uint8Array([0x80 | op, 0]), 1002, 'WS_ERR_INVALID_OPCODE');
});
test('both roles fail a fragmented control frame with 1002 (RFC 6455 §5.5)', () =>
  failsWith(client(), h('09 00'), 1002, 'WS_ERR_EXPECTED_FIN'));
test('both roles fail a control frame over 125 bytes with 1002 (RFC 6455 §5.5)', () =>
  failsWith(client(), h('89 7e 007e'), 1002, 'WS_ERR_INVALID_CONTROL_PAYLOAD_LENGTH'));
test('both roles fail a 64-bit length with the MSB set with 1002 (RFC 6455 §5.2)', () =>
  failsWith(client(), h('82 7f 8000000000000000'), 1002, 'WS_ERR_UNSUPPORTED_DATA_PAYLOAD_LENGTH'));
test('a frame over maxFrameSize fails with 1009 at the header, before any payload is buffered', () => {
  const d = client(1000);
  d.push(h('82 7e 03e9'));
  assert.throws(
    () => d.next(),
    (e: unknown) =>
      e instanceof ProtocolError && e.closeCode === 1009 && e.code === 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH',
  );
  const ok = client(1000);
  ok.push(h('82 7e 03e8'));
  assert.equal(ok.next(), DecodeResult.FRAME_START);
});

test('clear() drops buffered input', () => {
  const d = client();
  d.push(h('81 05 6869'));
  drain(d);
  d.push(h('81'));
  assert.equal(d.bufferedBytes, 1);
  d.clear();
  assert.equal(d.bufferedBytes, 0);
  d.push(new Uint8Array(0));
  assert.equal(d.bufferedBytes, 0);
});

test('serialized frames decode to the same opcode and payload however they are split (property)', () => {
  fc.assert(
    fc.property(
      fc.array(fc.tuple(fc.constantFrom(1, 2, 9, 10), fc.uint8Array({ maxLength: 125 })), {
        minLength: 1,
        maxLength: 5,
      }),
      fc.array(fc.nat(), { maxLength: 6 }),
      fc.uint8Array({ minLength: 4, maxLength: 4 }),
      (frames, cuts, key) => {
        const parts = frames.flatMap(([op, payload]) => serializeFrame(op, payload, { maskKey: key }));
        const stream = new Uint8Array(Buffer.concat(parts));
        const points = [...new Set(cuts.map((c) => c % (stream.length + 1)))].sort((a, b) => a - b);
        const d = server();
        const got: Array<[number, number[]]> = [];
        let start = 0;
        let current: number[] = [];
        for (const p of [...points, stream.length]) {
          d.push(stream.subarray(start, p));
          start = p;
          for (;;) {
            const r = d.next();
            if (r === DecodeResult.NEED_MORE) break;
            if (r === DecodeResult.CONTROL) got.push([d.opcode, [...d.payload]]);
            else if (r === DecodeResult.FRAME_START) current = [];
            else {
              current.push(...d.payload);
              if (d.last) got.push([d.opcode, current]);
            }
          }
        }
        assert.deepEqual(
          got,
          frames.map(([op, p]) => [op, [...p]]),
        );
        assert.equal(d.bufferedBytes, 0);
      },
    ),
    { numRuns: 300 },
  );
});
