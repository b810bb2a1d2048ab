// Tests for src/protocol/close-code.ts: valid codes and the close payload (RFC 6455 §5.5.1, §7.4).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  CloseCode,
  isValidCloseCode,
  parseClosePayload,
  serializeClosePayload,
} from '../../src/protocol/close-code.ts';
import { ProtocolError } from '../../src/protocol/errors.ts';

test('valid close codes are 1000-1003, 1007-1014, 3000-4999 (RFC 6455 §7.4.1-§7.4.2)', () => {
  const valid: number[] = [];
  for (let c = 0; c < 70000; c++) if (isValidCloseCode(c)) valid.push(c);
  const expected: number[] = [1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014];
  for (let c = 3000; c <= 4999; c++) expected.push(c);
  assert.deepEqual(valid, expected);
  for (const internal of [CloseCode.NO_STATUS_RECEIVED, CloseCode.ABNORMAL_CLOSURE, CloseCode.TLS_HANDSHAKE]) {
    assert.equal(isValidCloseCode(internal), false, `internal ${internal} never goes on the wire`);
  }
});

test('an empty close payload reads as 1005 (RFC 6455 §7.1.5)', () => {
  assert.deepEqual(parseClosePayload(new Uint8Array(0)), { code: 1005, reason: '' });
});

test('a close payload parses code and UTF-8 reason', () => {
  assert.deepEqual(parseClosePayload(new Uint8Array([0x03, 0xe8])), { code: 1000, reason: '' });
  assert.deepEqual(parseClosePayload(new Uint8Array([0x0f, 0xa0, 0xce, 0xba])), { code: 4000, reason: 'κ' });
});

test('a 1-byte close payload fails with 1002 (RFC 6455 §5.5.1)', () => {
  assert.throws(
    () => parseClosePayload(new Uint8Array([0x03])),
    (e: unknown) =>
      e instanceof ProtocolError && e.closeCode === 1002 && e.code === 'WS_ERR_INVALID_CONTROL_PAYLOAD_LENGTH',
  );
});

test('an invalid received close code fails with 1002 (RFC 6455 §7.4.1)', () => {
  for (const code of [0, 999, 1004, 1005, 1006, 1015, 1016, 2999, 5000, 65535]) {
    assert.throws(
      () => parseClosePayload(new Uint8Array([code >> 8, code & 255])),
      (e: unknown) => e instanceof ProtocolError && e.closeCode === 1002 && e.code === 'WS_ERR_INVALID_CLOSE_CODE',
      `code ${code}`,
    );
  }
});

test('a close reason with invalid or truncated UTF-8 fails with 1007 (RFC 6455 §8.1)', () => {
  for (const tail of [[0xc0, 0x80], [0xe2, 0x82], [0xff]]) {
    assert.throws(
      () => parseClosePayload(new Uint8Array([0x03, 0xe8, ...tail])),
      (e: unknown) => e instanceof ProtocolError && e.closeCode === 1007 && e.code === 'WS_ERR_INVALID_UTF8',
    );
  }
});

test('serializeClosePayload round-trips through parseClosePayload', () => {
  assert.deepEqual(serializeClosePayload(), new Uint8Array(0));
  assert.deepEqual(serializeClosePayload(1000), new Uint8Array([0x03, 0xe8]));
  assert.deepEqual(parseClosePayload(serializeClosePayload(4999, 'bye κ')), { code: 4999, reason: 'bye κ' });
  const max = 'x'.repeat(123);
  assert.equal(serializeClosePayload(1000, max).length, 125);
});

test('serializeClosePayload rejects misuse with RangeError or TypeError (RFC 6455 §7.4.1 internal codes)', () => {
  assert.throws(() => serializeClosePayload(1005), RangeError);
  assert.throws(() => serializeClosePayload(1006), RangeError);
  assert.throws(() => serializeClosePayload(1015), RangeError);
  assert.throws(() => serializeClosePayload(1000.5), RangeError);
  assert.throws(() => serializeClosePayload(1000, 'x'.repeat(124)), RangeError);
  assert.throws(() => serializeClosePayload(1000, 'é'.repeat(62)), RangeError);
  assert.throws(() => serializeClosePayload(undefined, 'reason'), TypeError);
  assert.throws(() => serializeClosePayload(1000, 42 as unknown as string), TypeError);
});
