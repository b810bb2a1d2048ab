// Tests for src/protocol/handshake/accept-response.ts: the 101 answer as bytes from a prebuilt template.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { encodeAcceptResponse } from '../../../src/protocol/handshake/accept-response.ts';
import { buildAcceptResponse } from '../../../src/protocol/handshake/request.ts';

const text = (bytes: Uint8Array): string => Buffer.from(bytes).toString('utf8');

test('the template answer is byte for byte what buildAcceptResponse writes, with the RFC sample accept key', () => {
  const bytes = encodeAcceptResponse({ key: 'dGhlIHNhbXBsZSBub25jZQ==' });
  assert.equal(text(bytes), buildAcceptResponse({ key: 'dGhlIHNhbXBsZSBub25jZQ==' }));
  assert.match(text(bytes), /\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK\+xOo=\r\n\r\n$/);
});

test('every key gives the built answer, with or without subprotocol, extension and extra headers', () => {
  fc.assert(
    fc.property(
      fc.uint8Array({ minLength: 16, maxLength: 16 }),
      fc.option(fc.constantFrom('chat', 'switchboard.v1.json')),
      fc.option(fc.constantFrom('permessage-deflate', 'permessage-deflate; server_no_context_takeover')),
      fc.option(fc.constantFrom({ 'Set-Cookie': 'a=1' }, { 'X-Name': 'café' })),
      (raw, protocol, extensions, headers) => {
        const opts = {
          key: Buffer.from(raw).toString('base64'),
          protocol,
          extensions,
          ...(headers === null ? {} : { headers }),
        };
        assert.equal(text(encodeAcceptResponse(opts)), buildAcceptResponse(opts));
      },
    ),
    { numRuns: 300 },
  );
});

test('the answer is written into the allocator given, and an invalid key throws as the builder does', () => {
  let asked = 0;
  const bytes = encodeAcceptResponse({ key: 'dGhlIHNhbXBsZSBub25jZQ==' }, (n) => {
    asked = n;
    return Buffer.alloc(n);
  });
  assert.ok(Buffer.isBuffer(bytes));
  assert.equal(asked, bytes.length);
  assert.throws(() => encodeAcceptResponse({ key: 'short' }), TypeError);
});
