// Tests of the error and disconnect code tables (src/messages/errors.ts) and their documentation.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import {
  ErrorCode,
  ERROR_CODE_DESCRIPTIONS,
  DisconnectCode,
  DISCONNECT_INFO,
  shouldReconnect,
} from '../../src/messages/index.ts';

const doc = readFileSync('docs/protocol.md', 'utf8');

test('every error code is unique, described and listed in docs/protocol.md', () => {
  const codes = Object.values(ErrorCode);
  assert.equal(new Set(codes).size, codes.length);
  assert.deepEqual(Object.keys(ERROR_CODE_DESCRIPTIONS).sort(), [...codes].sort());
  for (const code of codes) {
    assert.match(code, /^[a-z_]+$/);
    assert.ok(doc.includes(`| \`${code}\` |`), `docs/protocol.md lacks a table row for ${code}`);
  }
});

test('every disconnect code lies in 4000-4999, is documented, and its range gives its reconnect rule (RFC 6455 §7.4.2)', () => {
  for (const code of Object.values(DisconnectCode)) {
    assert.ok(code >= 4000 && code <= 4999);
    const info = DISCONNECT_INFO[code];
    assert.equal(info.reconnect, code < 4500, `${code}`);
    assert.equal(shouldReconnect(code), info.reconnect);
    assert.ok(new TextEncoder().encode(info.reason).length <= 123, 'RFC 6455 §5.5: a close reason fits in 123 bytes');
    assert.ok(doc.includes(`| ${code} |`), `docs/protocol.md lacks a table row for ${code}`);
  }
  assert.equal(new Set(Object.values(DisconnectCode)).size, Object.values(DisconnectCode).length);
});

test('shouldReconnect follows the ranges for unknown application codes and the RFC codes', () => {
  assert.equal(shouldReconnect(4499), true);
  assert.equal(shouldReconnect(4500), false);
  assert.equal(shouldReconnect(4999), false);
  for (const code of [1001, 1006, 1011, 1012, 1013, 1014]) assert.equal(shouldReconnect(code), true, `${code}`);
  for (const code of [1000, 1002, 1003, 1007, 1008, 1009, 1010, 3000])
    assert.equal(shouldReconnect(code), false, `${code}`);
});
