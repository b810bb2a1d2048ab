// Tests for src/protocol/index.ts: the public API promised by notes/protocol-api.md is exported.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as protocol from '../../src/protocol/index.ts';

test('index.ts exports the frame-side contract (helper A)', () => {
  const names = [
    'Opcode',
    'CloseCode',
    'isValidCloseCode',
    'parseClosePayload',
    'serializeClosePayload',
    'ProtocolError',
    'HandshakeError',
    'InvalidStateError',
    'isUtf8Valid',
    'createUtf8Validator',
    'mask',
    'serializeFrameHeader',
    'serializeFrame',
    'parseFrameHeader',
    'Connection',
  ];
  for (const name of names) assert.ok(name in protocol, `${name} is exported`);
  assert.equal(protocol.Opcode.PONG, 0xa);
  assert.equal(protocol.CloseCode.MESSAGE_TOO_BIG, 1009);
});

test('index.ts re-exports the handshake and permessage-deflate modules (helper B)', () => {
  for (const name of [
    'WEBSOCKET_GUID',
    'computeAcceptKey',
    'generateKey',
    'validateUpgradeRequest',
    'buildAcceptResponse',
    'buildRejectResponse',
    'buildClientRequest',
    'validateUpgradeResponse',
    'parseTokenList',
    'parseExtensionHeader',
    'serializeExtensions',
    'parseSubprotocols',
    'acceptDeflateOffer',
    'buildDeflateOffer',
    'validateDeflateResponse',
  ]) {
    assert.ok(name in protocol, `${name} is exported`);
  }
});

test('internal kernels and machines stay private', () => {
  for (const name of [
    'FrameDecoder',
    'MessageAssembler',
    'maskBytes',
    'maskWords',
    'encodeHeader',
    'readLength64',
    'protocolViolation',
  ]) {
    assert.equal(name in protocol, false, `${name} is not exported`);
  }
});
