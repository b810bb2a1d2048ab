// Tests for src/protocol/handshake/accept-key.ts: RFC 6455 §1.3/§4.2.2 accept value and §4.1 key rules.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import fc from 'fast-check';
import {
  WEBSOCKET_GUID,
  computeAcceptKey,
  generateKey,
  isValidKey,
} from '../../../src/protocol/handshake/accept-key.ts';

test('HS-08 the RFC 6455 §1.3 sample key gives s3pPLMBiTxaQ9kYGzzhZRbK+xOo=', () => {
  assert.equal(WEBSOCKET_GUID, '258EAFA5-E914-47DA-95CA-C5AB0DC85B11');
  assert.equal(computeAcceptKey('dGhlIHNhbXBsZSBub25jZQ=='), 's3pPLMBiTxaQ9kYGzzhZRbK+xOo=');
});

test('computeAcceptKey is base64(SHA-1(key + GUID)) for random keys (RFC 6455 §4.2.2)', () => {
  fc.assert(
    fc.property(fc.uint8Array({ minLength: 16, maxLength: 16 }), (bytes) => {
      const key = Buffer.from(bytes).toString('base64');
      const expected = createHash('sha1')
        .update(key + WEBSOCKET_GUID)
        .digest('base64');
      assert.equal(computeAcceptKey(key), expected);
    }),
  );
});

test('generateKey draws 16 random bytes, base64 encoded (RFC 6455 §4.1 item 7)', () => {
  const seen = new Set<string>();
  for (let i = 0; i < 100; i++) {
    const key = generateKey();
    assert.equal(Buffer.from(key, 'base64').length, 16);
    assert.ok(isValidKey(key), key);
    seen.add(key);
  }
  assert.equal(seen.size, 100);
});

test('isValidKey accepts exactly base64 of 16 bytes (RFC 6455 §4.2.1 item 5)', () => {
  fc.assert(
    fc.property(fc.uint8Array({ minLength: 16, maxLength: 16 }), (b) => isValidKey(Buffer.from(b).toString('base64'))),
  );
  assert.equal(isValidKey('dGhlIHNhbXBsZSBub25jZQ=='), true);
  assert.equal(isValidKey('dGhlIHNhbXBsZSBub25jZR=='), true); // non-zero pad bits still decode to 16 bytes (as ws)
});

test('HS-06 isValidKey rejects other lengths, non-base64, spaces and joined duplicates (RFC 6455 §4.2.1 item 5)', () => {
  const bad = [
    '',
    'dGVzdA==', // 4 bytes
    'dGhlIHNhbXBsZSBub25jZQ=', // one pad
    'dGhlIHNhbXBsZSBub25jZQ', // no pad
    'dGhlIHNhbXBsZSBub25jZQA=', // 17 bytes
    'dGhlIHNhbXBsZSBub25jZQ===',
    'dGhl IHNhbXBsZSBub25jZQ=',
    'dGhlIHNhbXBsZSBub25jZ-==', // base64url
    'dGhlIHNhbXBsZSBub25jZé==',
    'dGhlIHNhbXBsZSBub25jZQ==, dGhlIHNhbXBsZSBub25jZQ==',
    'AAAAAAAAAAAAAAAAAAAAAAAA',
  ];
  for (const key of bad) assert.equal(isValidKey(key), false, key);
});
