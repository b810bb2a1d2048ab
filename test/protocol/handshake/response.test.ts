// Tests for src/protocol/handshake/response.ts: the client's checks of RFC 6455 §4.1 on the server's answer.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { HandshakeError } from '../../../src/protocol/errors.ts';
import { computeAcceptKey } from '../../../src/protocol/handshake/accept-key.ts';
import { validateUpgradeResponse } from '../../../src/protocol/handshake/response.ts';
import type { ClientOffer, UpgradeResponse } from '../../../src/protocol/handshake/response.ts';

const KEY = 'dGhlIHNhbXBsZSBub25jZQ==';
const ACCEPT = 's3pPLMBiTxaQ9kYGzzhZRbK+xOo=';
type Headers = UpgradeResponse['headers'];

function response(overrides: Headers = {}, statusCode = 101): UpgradeResponse {
  const headers: Headers = { upgrade: 'websocket', connection: 'Upgrade', 'sec-websocket-accept': ACCEPT };
  for (const [name, value] of Object.entries(overrides)) {
    if (value === undefined) delete headers[name];
    else headers[name] = value;
  }
  return { statusCode, headers };
}

const NONE: ClientOffer = { key: KEY, protocols: [], extensionsOffered: [] };

function fails(res: UpgradeResponse, offer: ClientOffer, code: string, status = 101): void {
  assert.throws(
    () => validateUpgradeResponse(res, offer),
    (e: unknown) => {
      assert.ok(e instanceof HandshakeError, String(e));
      assert.equal(e.code, code);
      assert.equal(e.status, status);
      return true;
    },
  );
}

test('client accepts a minimal 101 answer with the right Sec-WebSocket-Accept (RFC 6455 §4.1)', () => {
  assert.equal(computeAcceptKey(KEY), ACCEPT);
  assert.deepEqual(validateUpgradeResponse(response(), NONE), { protocol: '', extensions: [] });
  assert.deepEqual(
    validateUpgradeResponse(
      response({ upgrade: 'WebSocket', connection: 'keep-alive, UPGRADE', 'sec-websocket-accept': ` ${ACCEPT} ` }),
      NONE,
    ),
    { protocol: '', extensions: [] },
  );
});

test('client fails any status other than 101 and reports that status (RFC 6455 §4.1 "not 101")', () => {
  for (const status of [200, 301, 400, 401, 403, 404, 426, 500, 503])
    fails(response({}, status), NONE, 'WS_ERR_UNEXPECTED_RESPONSE', status);
});

test('client fails a missing or non-websocket Upgrade (RFC 6455 §4.1 item 2)', () => {
  for (const upgrade of [undefined, '', 'h2c', 'websocketx', 'websocket, h2c', 'websocket/13', 'a b']) {
    fails(response({ upgrade }), NONE, 'WS_ERR_INVALID_UPGRADE');
  }
});

test('client fails a Connection without the Upgrade token (RFC 6455 §4.1 item 3)', () => {
  for (const connection of [undefined, '', 'keep-alive', 'close', 'upgrades', 'up grade']) {
    fails(response({ connection }), NONE, 'WS_ERR_INVALID_CONNECTION');
  }
});

test('client fails a missing, wrong or repeated Sec-WebSocket-Accept (RFC 6455 §4.1 item 4)', () => {
  fails(response({ 'sec-websocket-accept': undefined }), NONE, 'WS_ERR_INVALID_ACCEPT');
  fails(
    response({ 'sec-websocket-accept': computeAcceptKey('AAAAAAAAAAAAAAAAAAAAAA==') }),
    NONE,
    'WS_ERR_INVALID_ACCEPT',
  );
  fails(response({ 'sec-websocket-accept': ACCEPT.toLowerCase() }), NONE, 'WS_ERR_INVALID_ACCEPT');
  fails(response({ 'sec-websocket-accept': [ACCEPT, ACCEPT] }), NONE, 'WS_ERR_INVALID_ACCEPT');
  fails(response({ 'sec-websocket-accept': `${ACCEPT}, ${ACCEPT}` }), NONE, 'WS_ERR_INVALID_ACCEPT');
});

test('client returns the subprotocol the server selected among those offered (RFC 6455 §4.1 item 6)', () => {
  const offer = { ...NONE, protocols: ['chat.v2', 'chat.v1'] };
  assert.equal(validateUpgradeResponse(response({ 'sec-websocket-protocol': 'chat.v1' }), offer).protocol, 'chat.v1');
});

test('client fails a subprotocol that was not offered, or any when none was offered (RFC 6455 §4.1 item 6)', () => {
  fails(response({ 'sec-websocket-protocol': 'evil' }), { ...NONE, protocols: ['chat'] }, 'WS_ERR_INVALID_PROTOCOL');
  fails(response({ 'sec-websocket-protocol': 'chat' }), NONE, 'WS_ERR_INVALID_PROTOCOL');
  fails(response({ 'sec-websocket-protocol': 'Chat' }), { ...NONE, protocols: ['chat'] }, 'WS_ERR_INVALID_PROTOCOL');
});

test('client fails several subprotocols or a malformed value in the answer (RFC 6455 §4.2.2 /subprotocol/ is one value)', () => {
  const offer = { ...NONE, protocols: ['a', 'b'] };
  fails(response({ 'sec-websocket-protocol': 'a, b' }), offer, 'WS_ERR_INVALID_PROTOCOL');
  fails(response({ 'sec-websocket-protocol': ['a', 'b'] }), offer, 'WS_ERR_INVALID_PROTOCOL');
  fails(response({ 'sec-websocket-protocol': 'a b' }), offer, 'WS_ERR_INVALID_PROTOCOL');
  fails(response({ 'sec-websocket-protocol': '' }), offer, 'WS_ERR_INVALID_PROTOCOL');
});

test('client fails an answer without a subprotocol when it offered some (WHATWG WebSockets, as ws and Chromium)', () => {
  fails(response(), { ...NONE, protocols: ['chat'] }, 'WS_ERR_INVALID_PROTOCOL');
});

test('client returns the extensions the server accepted among those offered (RFC 6455 §4.1 item 5)', () => {
  const { extensions } = validateUpgradeResponse(
    response({ 'sec-websocket-extensions': 'permessage-deflate; server_max_window_bits=10' }),
    { ...NONE, extensionsOffered: ['permessage-deflate'] },
  );
  assert.equal(extensions.length, 1);
  assert.equal(extensions[0]?.name, 'permessage-deflate');
  assert.equal(extensions[0]?.params.get('server_max_window_bits'), '10');
});

test('client fails an extension it did not offer, one accepted twice, or a malformed header (RFC 6455 §4.1 item 5)', () => {
  const offer = { ...NONE, extensionsOffered: ['permessage-deflate'] };
  fails(response({ 'sec-websocket-extensions': 'x-evil' }), offer, 'WS_ERR_INVALID_EXTENSION');
  fails(response({ 'sec-websocket-extensions': 'permessage-deflate' }), NONE, 'WS_ERR_INVALID_EXTENSION');
  fails(
    response({ 'sec-websocket-extensions': 'permessage-deflate, permessage-deflate' }),
    offer,
    'WS_ERR_INVALID_EXTENSION',
  );
  fails(
    response({ 'sec-websocket-extensions': ['permessage-deflate', 'permessage-deflate'] }),
    offer,
    'WS_ERR_INVALID_EXTENSION',
  );
  fails(response({ 'sec-websocket-extensions': 'permessage-deflate; a="' }), offer, 'WS_ERR_INVALID_EXTENSION');
  fails(response({ 'sec-websocket-extensions': 'constructor' }), offer, 'WS_ERR_INVALID_EXTENSION');
});

test('a parse failure keeps its cause and carries the 101 status of the answer', () => {
  try {
    validateUpgradeResponse(response({ upgrade: 'a b' }), NONE);
    assert.fail('expected a HandshakeError');
  } catch (e) {
    assert.ok(e instanceof HandshakeError);
    assert.equal(e.status, 101);
    assert.ok(e.cause instanceof HandshakeError);
    assert.equal(e.cause.status, 400);
  }
});

test('an invalid offered key or a header map holding non-strings is caller misuse: TypeError', () => {
  assert.throws(() => validateUpgradeResponse(response(), { ...NONE, key: 'dGVzdA==' }), TypeError);
  assert.throws(() => validateUpgradeResponse(response({ upgrade: 42 as unknown as string }), NONE), TypeError);
});

test('property: validateUpgradeResponse throws nothing but HandshakeError for any answer', () => {
  const value = fc.oneof(
    fc.string({ unit: fc.constantFrom('a', ' ', ',', ';', '=', '"', '\\', '/', '\r', 'é'), maxLength: 20 }),
    fc.string({ unit: 'binary', maxLength: 20 }),
    fc.constantFrom('websocket', 'Upgrade', ACCEPT, 'chat', 'permessage-deflate'),
  );
  const names = fc.constantFrom(
    'upgrade',
    'connection',
    'sec-websocket-accept',
    'sec-websocket-protocol',
    'sec-websocket-extensions',
  );
  const offer = { key: KEY, protocols: ['chat'], extensionsOffered: ['permessage-deflate'] };
  fc.assert(
    fc.property(
      fc.dictionary(names, fc.oneof(value, fc.array(value, { maxLength: 3 }))),
      fc.constantFrom(101, 200, 400),
      (headers, statusCode) => {
        try {
          validateUpgradeResponse({ statusCode, headers }, offer);
        } catch (e) {
          assert.ok(e instanceof HandshakeError, String(e));
          assert.equal(e.status, statusCode);
        }
      },
    ),
    { numRuns: 2000 },
  );
});
