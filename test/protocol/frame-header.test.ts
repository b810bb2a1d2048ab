// Tests for src/protocol/frame-header.ts: parse/serialize and the round trip (RFC 6455 §5.2).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  MAX_HEADER_SIZE,
  parseFrameHeader,
  serializeFrame,
  serializeFrameHeader,
} from '../../src/protocol/frame-header.ts';
import { ProtocolError } from '../../src/protocol/errors.ts';

const h = (hex: string): Uint8Array => new Uint8Array(Buffer.from(hex.replace(/ /g, ''), 'hex'));
const x = (b: Uint8Array): string => Buffer.from(b).toString('hex');

test('serializes the minimal length encoding at the 125/126/65535/65536 boundaries (RFC 6455 §5.2)', () => {
  assert.equal(x(serializeFrameHeader({ fin: true, opcode: 1, payloadLength: 125 })), '817d');
  assert.equal(x(serializeFrameHeader({ fin: true, opcode: 2, payloadLength: 126 })), '827e007e');
  assert.equal(x(serializeFrameHeader({ fin: true, opcode: 2, payloadLength: 65535 })), '827effff');
  assert.equal(x(serializeFrameHeader({ fin: true, opcode: 2, payloadLength: 65536 })), '827f0000000000010000');
  assert.equal(x(serializeFrameHeader({ fin: true, opcode: 2, payloadLength: 2 ** 53 - 1 })), '827f001fffffffffffff');
  assert.equal(x(serializeFrameHeader({ fin: false, rsv1: true, opcode: 1, payloadLength: 0 })), '4100');
});

test('serializes the RFC masked "Hello" header with its key (RFC 6455 §5.7)', () => {
  const key = h('37fa213d');
  assert.equal(x(serializeFrameHeader({ fin: true, opcode: 1, payloadLength: 5, maskKey: key })), '818537fa213d');
  const [header, payload] = serializeFrame(1, new TextEncoder().encode('Hello'), { maskKey: key });
  assert.equal(x(header!) + x(payload!), '818537fa213d7f9f4d5158');
});

test('serializeFrame does not copy an unmasked payload and never modifies a borrowed one', () => {
  const payload = new Uint8Array([1, 2, 3]);
  const frame = serializeFrame(2, payload);
  assert.equal(frame[1], payload);
  const masked = serializeFrame(2, payload, { maskKey: h('01020304') });
  assert.notEqual(masked[1], payload);
  assert.deepEqual(payload, new Uint8Array([1, 2, 3]));
  assert.deepEqual(masked[1], new Uint8Array([0, 0, 0]));
  assert.equal(x(serializeFrame(9, new Uint8Array(0), { maskKey: h('01020304') })[0]!), '898001020304');
});

test('serializeFrameHeader rejects misuse with RangeError', () => {
  assert.throws(() => serializeFrameHeader({ fin: true, opcode: 16, payloadLength: 0 }), RangeError);
  assert.throws(() => serializeFrameHeader({ fin: true, opcode: 1, payloadLength: -1 }), RangeError);
  assert.throws(() => serializeFrameHeader({ fin: true, opcode: 1, payloadLength: 2 ** 53 }), RangeError);
  assert.throws(
    () => serializeFrameHeader({ fin: true, opcode: 1, payloadLength: 0, maskKey: new Uint8Array(3) }),
    RangeError,
  );
});

test('parseFrameHeader returns null until the whole header is there', () => {
  const full = h('827f0000000000010000');
  for (let n = 0; n < full.length; n++) assert.equal(parseFrameHeader(full.subarray(0, n)), null, `${n} bytes`);
  assert.equal(parseFrameHeader(full)?.header.payloadLength, 65536);
  assert.equal(parseFrameHeader(h('81853 7fa213d'.replace(' ', '')).subarray(0, 5)), null);
});

test('parseFrameHeader reads every bit (RFC 6455 §5.2)', () => {
  const parsed = parseFrameHeader(h('f9 fe 0100 01020304'));
  assert.deepEqual(parsed?.headerLength, 8);
  const header = parsed!.header;
  assert.deepEqual(
    { ...header, maskKey: x(header.maskKey!) },
    {
      fin: true,
      rsv1: true,
      rsv2: true,
      rsv3: true,
      opcode: 9,
      masked: true,
      payloadLength: 256,
      maskKey: '01020304',
    },
  );
});

test('a 64-bit length with the most significant bit set fails with 1002 (RFC 6455 §5.2); above 2^53-1 with 1009', () => {
  assert.throws(
    () => parseFrameHeader(h('827f8000000000000000')),
    (e: unknown) => e instanceof ProtocolError && e.closeCode === 1002,
  );
  assert.throws(
    () => parseFrameHeader(h('827f0020000000000000')),
    (e: unknown) => e instanceof ProtocolError && e.closeCode === 1009,
  );
});

test('serialize then parse round-trips every header (property)', () => {
  fc.assert(
    fc.property(
      fc.boolean(),
      fc.boolean(),
      fc.integer({ min: 0, max: 15 }),
      fc.oneof(fc.integer({ min: 0, max: 70000 }), fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER })),
      fc.option(fc.uint8Array({ minLength: 4, maxLength: 4 }), { nil: null }),
      (fin, rsv1, opcode, payloadLength, maskKey) => {
        const bytes = serializeFrameHeader({ fin, rsv1, opcode, payloadLength, maskKey });
        assert.ok(bytes.length <= MAX_HEADER_SIZE);
        const parsed = parseFrameHeader(bytes);
        assert.ok(parsed !== null);
        assert.equal(parsed.headerLength, bytes.length);
        assert.deepEqual(parsed.header, {
          fin,
          rsv1,
          rsv2: false,
          rsv3: false,
          opcode,
          masked: maskKey !== null,
          payloadLength,
          maskKey: maskKey === null ? null : new Uint8Array(maskKey),
        });
      },
    ),
    { numRuns: 1000 },
  );
});

/** PW `assertFrameData`: parse(hex) gives the frame, serialize(frame) gives the hex back with the same mask. */
function assertFrameRoundTrip(hex: string, expected: { opcode: number; fin: boolean; payload: string }): void {
  const bytes = h(hex);
  const parsed = parseFrameHeader(bytes);
  assert.ok(parsed !== null, hex);
  const { header, headerLength } = parsed;
  const payload = bytes.slice(headerLength, headerLength + header.payloadLength);
  if (header.maskKey !== null)
    for (let i = 0; i < payload.length; i++) payload[i] = payload[i]! ^ header.maskKey[i & 3]!;
  assert.deepEqual({ opcode: header.opcode, fin: header.fin, payload: Buffer.from(payload).toString('hex') }, expected);
  const again = serializeFrame(header.opcode, payload, { fin: header.fin, maskKey: header.maskKey });
  assert.equal(Buffer.concat(again).toString('hex'), hex.replace(/ /g, ''));
}

test('RFC 6455 §5.7 examples round-trip through parse and serialize', () => {
  assertFrameRoundTrip('81 05 48656c6c6f', { opcode: 1, fin: true, payload: '48656c6c6f' });
  assertFrameRoundTrip('81 85 37fa213d 7f9f4d5158', { opcode: 1, fin: true, payload: '48656c6c6f' });
  assertFrameRoundTrip('01 03 48656c', { opcode: 1, fin: false, payload: '48656c' });
  assertFrameRoundTrip('80 02 6c6f', { opcode: 0, fin: true, payload: '6c6f' });
  assertFrameRoundTrip('89 05 48656c6c6f', { opcode: 9, fin: true, payload: '48656c6c6f' });
  assertFrameRoundTrip('8a 85 37fa213d 7f9f4d5158', { opcode: 10, fin: true, payload: '48656c6c6f' });
  assertFrameRoundTrip(`82 7e 0100 ${'ab'.repeat(256)}`, { opcode: 2, fin: true, payload: 'ab'.repeat(256) });
  assertFrameRoundTrip(`82 7f 0000000000010000 ${'00'.repeat(65536)}`, {
    opcode: 2,
    fin: true,
    payload: '00'.repeat(65536),
  });
});
