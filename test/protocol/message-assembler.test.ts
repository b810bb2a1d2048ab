// Tests for src/protocol/message-assembler.ts: fragmentation, limits and streaming UTF-8 (RFC 6455 §5.4, §5.6).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MessageAssembler } from '../../src/protocol/message-assembler.ts';
import { ProtocolError } from '../../src/protocol/errors.ts';

const asm = (maxMessageSize = 1 << 20, maxFragments = 16) => new MessageAssembler({ maxMessageSize, maxFragments });
const u8 = (...b: number[]) => new Uint8Array(b);
const isError = (closeCode: number, code: string) => (e: unknown) =>
  e instanceof ProtocolError && e.closeCode === closeCode && e.code === code;

test('a single-piece message is handed out as the same view, without copying', () => {
  const a = asm();
  const piece = new TextEncoder().encode('hello');
  a.frameStart(1, true, false, 5);
  const event = a.framePayload(piece, true);
  assert.deepEqual(event, { type: 'message', binary: false, data: piece });
  assert.equal(event?.data, piece);
  assert.equal(a.inMessage, false);
});

test('fragments and pieces are joined in order (RFC 6455 §5.4)', () => {
  const a = asm();
  a.frameStart(2, false, false, 3);
  assert.equal(a.framePayload(u8(1), false), null);
  assert.equal(a.framePayload(u8(2, 3), true), null);
  assert.equal(a.inMessage, true);
  assert.equal(a.bufferedBytes, 3);
  a.frameStart(0, false, false, 0);
  assert.equal(a.framePayload(u8(), true), null);
  a.frameStart(0, true, false, 5000);
  const big = new Uint8Array(5000).fill(7);
  const event = a.framePayload(big, true);
  assert.equal(event?.type, 'message');
  assert.deepEqual(event?.data.subarray(0, 4), u8(1, 2, 3, 7));
  assert.equal(event?.data.length, 5003);
  assert.equal(a.bufferedBytes, 0);
});

test('many tiny pieces are coalesced into blocks, not kept one entry per byte', () => {
  const a = asm(1 << 20, 4);
  a.frameStart(2, true, false, 100000);
  for (let i = 0; i < 99999; i++) a.framePayload(u8(i & 255), false);
  const event = a.framePayload(u8(99999 & 255), true);
  assert.equal(event?.data.length, 100000);
  assert.equal(event?.data[12345], 12345 & 255);
});

test('a continuation without a message fails with 1002 (RFC 6455 §5.4)', () => {
  assert.throws(() => asm().frameStart(0, true, false, 0), isError(1002, 'WS_ERR_INVALID_OPCODE'));
});

test('a new data frame inside a fragmented message fails with 1002 (RFC 6455 §5.4)', () => {
  const a = asm();
  a.frameStart(1, false, false, 0);
  a.framePayload(u8(), true);
  assert.throws(() => a.frameStart(2, true, false, 0), isError(1002, 'WS_ERR_INVALID_OPCODE'));
});

test('frames beyond the opt-in maxFragments cap fail with 1008, empty ones counted (docs/security-cases.md LM-03)', () => {
  const a = asm(1 << 20, 3);
  a.frameStart(1, false, false, 0);
  a.framePayload(u8(), true);
  a.frameStart(0, false, false, 0);
  a.framePayload(u8(), true);
  a.frameStart(0, false, false, 0);
  a.framePayload(u8(), true);
  assert.throws(() => a.frameStart(0, false, false, 0), isError(1008, 'WS_ERR_TOO_MANY_BUFFERED_PARTS'));
});

test('the size limit is checked at the frame header, before buffering (RFC 6455 §10.4)', () => {
  const a = asm(10);
  a.frameStart(2, false, false, 6);
  a.framePayload(new Uint8Array(6), true);
  assert.throws(() => a.frameStart(0, true, false, 5), isError(1009, 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH'));
  const exact = asm(10);
  exact.frameStart(2, true, false, 10);
  assert.equal(exact.framePayload(new Uint8Array(10), true)?.data.length, 10);
});

test('invalid UTF-8 fails with 1007 in the piece that carries it, before the frame ends (RFC 6455 §8.1)', () => {
  const a = asm();
  a.frameStart(1, false, false, 100);
  assert.equal(a.framePayload(u8(0xce, 0xba), false), null);
  assert.throws(() => a.framePayload(u8(0xf4, 0x90), false), isError(1007, 'WS_ERR_INVALID_UTF8'));
});

test('a text message ending inside a code point fails with 1007 (RFC 6455 §5.6)', () => {
  const a = asm();
  a.frameStart(1, false, false, 1);
  a.framePayload(u8(0xe2), true);
  a.frameStart(0, true, false, 1);
  assert.throws(() => a.framePayload(u8(0x82), true), isError(1007, 'WS_ERR_INVALID_UTF8'));
});

test('binary messages are not UTF-8 checked (RFC 6455 §5.6)', () => {
  const a = asm();
  a.frameStart(2, true, false, 2);
  assert.deepEqual(a.framePayload(u8(0xc0, 0x80), true)?.data, u8(0xc0, 0x80));
});

test('compressed frames become inflate events; inflated bytes are size- and UTF-8-checked', () => {
  const a = asm(5);
  a.frameStart(1, false, true, 3);
  assert.equal(a.framePayload(u8(1), false), null);
  assert.deepEqual(a.framePayload(u8(2, 3), true), { type: 'inflate', data: u8(1, 2, 3), fin: false });
  a.inflated(new TextEncoder().encode('ab'));
  assert.equal(a.inflateEnd(), null);
  a.frameStart(0, true, false, 100); // compressed sizes are bounded by maxFrameSize, not here
  assert.deepEqual(a.framePayload(u8(9), true), { type: 'inflate', data: u8(9), fin: true });
  a.inflated(new TextEncoder().encode('cd'));
  assert.deepEqual(a.inflateEnd(), { type: 'message', binary: false, data: new TextEncoder().encode('abcd') });
});

test('inflated bytes over maxMessageSize fail with 1009 (decompression bomb)', () => {
  const a = asm(4);
  a.frameStart(2, true, true, 1);
  a.framePayload(u8(0), true);
  a.inflated(new Uint8Array(4));
  assert.throws(() => a.inflated(new Uint8Array(1)), isError(1009, 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH'));
});

test('inflated invalid UTF-8 fails with 1007', () => {
  const a = asm();
  a.frameStart(1, true, true, 1);
  a.framePayload(u8(0), true);
  assert.throws(() => a.inflated(u8(0xff)), isError(1007, 'WS_ERR_INVALID_UTF8'));
});

test('reset() drops the message in progress', () => {
  const a = asm();
  a.frameStart(1, false, false, 3);
  a.framePayload(u8(0x61, 0x62, 0xe2), true);
  a.reset();
  assert.equal(a.inMessage, false);
  assert.equal(a.bufferedBytes, 0);
  a.frameStart(1, true, false, 1);
  assert.deepEqual(a.framePayload(u8(0x63), true)?.data, u8(0x63));
});
