// Tests for src/protocol/errors.ts: errors carry their wire form (docs/architecture.md, Conventions).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import {
  HandshakeError,
  InvalidStateError,
  PROTOCOL_ERROR_CODES,
  ProtocolError,
  protocolViolation,
} from '../../src/protocol/errors.ts';

test('ProtocolError carries code, closeCode and cause', () => {
  const cause = new Error('inner');
  const err = new ProtocolError('Cannot accept a fragmented control frame', {
    code: 'WS_ERR_EXPECTED_FIN',
    closeCode: 1002,
    cause,
  });
  assert.ok(err instanceof Error);
  assert.equal(err.name, 'ProtocolError');
  assert.equal(err.code, 'WS_ERR_EXPECTED_FIN');
  assert.equal(err.closeCode, 1002);
  assert.equal(err.cause, cause);
  assert.equal(err.message, 'Cannot accept a fragmented control frame');
});

test('protocolViolation builds a 1002 error', () => {
  const err = protocolViolation('Cannot x', 'WS_ERR_INVALID_OPCODE');
  assert.equal(err.closeCode, 1002);
  assert.equal(err.code, 'WS_ERR_INVALID_OPCODE');
});

test('HandshakeError carries status and headers, defaulting to none', () => {
  const err = new HandshakeError('Cannot upgrade: unsupported version "8"', {
    code: 'WS_ERR_UNSUPPORTED_VERSION',
    status: 426,
    headers: { 'Sec-WebSocket-Version': '13' },
  });
  assert.equal(err.name, 'HandshakeError');
  assert.equal(err.status, 426);
  assert.deepEqual(err.headers, { 'Sec-WebSocket-Version': '13' });
  assert.deepEqual(new HandshakeError('Cannot x', { code: 'X', status: 400 }).headers, {});
});

test('InvalidStateError is an Error with its own name', () => {
  const err = new InvalidStateError('Cannot send: close frame already sent');
  assert.ok(err instanceof Error);
  assert.equal(err.name, 'InvalidStateError');
});

test('every protocol error code is unique and reuses the WS_ERR_ prefix', () => {
  assert.equal(new Set(PROTOCOL_ERROR_CODES).size, PROTOCOL_ERROR_CODES.length);
  for (const code of PROTOCOL_ERROR_CODES) assert.match(code, /^WS_ERR_[A-Z0-9_]+$/);
});

test('every protocol error code is listed in docs/errors.md (docs/architecture.md, Conventions)', () => {
  const doc = readFileSync('docs/errors.md', 'utf8');
  for (const code of PROTOCOL_ERROR_CODES)
    assert.ok(doc.includes(`\`${code}\``), `${code} missing from docs/errors.md`);
});
