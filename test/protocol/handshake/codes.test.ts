// Tests for src/protocol/handshake/codes.ts: the HandshakeError codes and their documentation (docs/architecture.md, Conventions).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { HandshakeError } from '../../../src/protocol/errors.ts';
import { HANDSHAKE_ERROR_CODES, handshakeError } from '../../../src/protocol/handshake/codes.ts';

test('handshake error codes are unique WS_ERR_* names', () => {
  assert.equal(new Set(HANDSHAKE_ERROR_CODES).size, HANDSHAKE_ERROR_CODES.length);
  for (const code of HANDSHAKE_ERROR_CODES) assert.match(code, /^WS_ERR_[A-Z0-9_]+$/);
});

test('every handshake error code is listed in docs/errors.md', () => {
  const doc = readFileSync('docs/errors.md', 'utf8');
  for (const code of HANDSHAKE_ERROR_CODES)
    assert.ok(doc.includes(`\`${code}\``), `${code} missing from docs/errors.md`);
});

test('handshakeError builds a HandshakeError with code, status, headers and cause', () => {
  const cause = new Error('inner');
  const e = handshakeError('Cannot upgrade: test', {
    code: 'WS_ERR_UNSUPPORTED_VERSION',
    status: 426,
    headers: { 'Sec-WebSocket-Version': '13' },
    cause,
  });
  assert.ok(e instanceof HandshakeError);
  assert.equal(e.name, 'HandshakeError');
  assert.equal(e.code, 'WS_ERR_UNSUPPORTED_VERSION');
  assert.equal(e.status, 426);
  assert.deepEqual(e.headers, { 'Sec-WebSocket-Version': '13' });
  assert.equal(e.cause, cause);
  assert.deepEqual(handshakeError('x', { code: 'WS_ERR_INVALID_KEY', status: 400 }).headers, {});
});
