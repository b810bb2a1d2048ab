// Tests of the JSON and MessagePack codecs and the message schemas (src/messages/codec.ts, schemas.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  JsonCodec,
  MsgpackCodec,
  Subprotocol,
  ErrorCode,
  Limits,
  RPC_METHOD_NAME,
  createCodec,
  selectSubprotocol,
  validateClientMessage,
  validateServerMessage,
  checkJsonValue,
  toPublicationMessage,
  isValidChannelName,
  CLIENT_MESSAGE_TYPES,
  type ClientMessage,
  type Codec,
  type ServerMessage,
  type DecodeResult,
} from '../../src/messages/index.ts';

const json = new JsonCodec();
const msgpack = new MsgpackCodec();
const CODECS: readonly Codec[] = [json, msgpack];

/** Decodes `value` as a client would send it with each codec. */
function decodeAs(codec: Codec, value: unknown): DecodeResult<ClientMessage> {
  const raw = codec.binary ? codec.encodeClientMessage(value as ClientMessage) : JSON.stringify(value);
  return codec.decodeClientMessage(raw);
}

const POS = { epoch: 'Xy7_abc', offset: 10 };
const VALID_CLIENT: ClientMessage[] = [
  { type: 'connect' },
  { type: 'connect', rid: 1, token: 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhIn0.sig', name: 'switchboard-js/0.1' },
  { type: 'subscribe', channel: 'chat:general' },
  { type: 'subscribe', rid: 2, channel: 'chat:general', since: POS, presence: true },
  { type: 'subscribe', rid: 0, channel: 'chat:general', since: { epoch: 'e', offset: 0 } },
  { type: 'unsubscribe', rid: 3, channel: 'chat:general' },
  { type: 'publish', rid: 4, channel: 'chat:general', data: { text: 'hi' }, id: 'm-1' },
  { type: 'publish', channel: 'chat:general', data: null, id: '0f8fad5b-d9cb-469f-a165-70867728950e' },
  { type: 'publish', channel: 'chat:general', data: [1, 'two', { three: 3.5 }], id: 'x' },
  { type: 'send', rid: 5, user: 'bob', data: 'psst' },
  { type: 'send', user: 'bob smith', data: { a: 1 }, id: 'pm-1' },
  { type: 'typing', channel: 'chat:general', on: true },
  { type: 'typing', rid: 6, channel: 'chat:general', on: false },
  { type: 'history', rid: 7, channel: 'chat:general' },
  { type: 'history', rid: 8, channel: 'chat:general', limit: 20, since: POS, before: 100 },
  { type: 'presence', rid: 9, channel: 'chat:general' },
  { type: 'refresh', rid: 10, token: 'new.token.value' },
  { type: 'refresh', token: 'new.token.value' },
  { type: 'ping', rid: Limits.MAX_RID },
  { type: 'stats', rid: 11 },
  { type: 'rpc', rid: 12, method: 'orders.create', data: { sku: 'x', qty: 2 } },
  { type: 'rpc', rid: 0, method: 'A-z_0.9:x'.padEnd(Limits.MAX_RPC_METHOD_LENGTH, 'x') },
  { type: 'delete', rid: 12, channel: 'chat:general', offset: 10 },
  { type: 'delete', rid: 13, channel: 'chat:general', offset: 0, epoch: 'Xy7_abc' },
  { type: 'doc', channel: 'doc:readme', kind: 'sync1', data: 'AA==' },
  { type: 'doc', rid: 14, channel: 'doc:readme', kind: 'update', data: 'AQGqtfEHAAQBBHRleHQCaGkA' },
  {
    type: 'batch',
    messages: [
      { type: 'ping', rid: 1 },
      { type: 'publish', channel: 'chat:a', data: 1, id: 'b1' },
    ],
  },
  { type: 'batch', messages: Array.from({ length: Limits.MAX_BATCH }, (_, i) => ({ type: 'ping' as const, rid: i })) },
];

test('every client message type has a valid example', () => {
  const seen = new Set(VALID_CLIENT.map((m) => m.type));
  assert.deepEqual([...seen].sort(), [...CLIENT_MESSAGE_TYPES].sort());
});

for (const codec of CODECS) {
  for (const message of VALID_CLIENT) {
    test(`${codec.subprotocol} decodes a valid "${message.type}" message unchanged: ${JSON.stringify(message).slice(0, 80)}`, () => {
      const result = decodeAs(codec, message);
      assert.deepEqual(result, { ok: true, message });
    });
  }
}

type Bad = [what: string, value: unknown, code: ErrorCode, rid?: number];
const INVALID_CLIENT: Bad[] = [
  // AP-02 wrong shapes
  ['an array (AP-02)', [1, 2, 3], ErrorCode.BAD_REQUEST],
  ['a number (AP-02)', 42, ErrorCode.BAD_REQUEST],
  ['null (AP-02)', null, ErrorCode.BAD_REQUEST],
  ['a string', 'ping', ErrorCode.BAD_REQUEST],
  ['an empty object (AP-02)', {}, ErrorCode.UNKNOWN_TYPE],
  // AP-03 unknown type
  ['a method-like key without type (AP-03)', { id: 7, definitely_not_a_method: {} }, ErrorCode.UNKNOWN_TYPE],
  ['an unknown type', { type: 'definitely_not_a_method', rid: 7 }, ErrorCode.UNKNOWN_TYPE, 7],
  ['a numeric type', { type: 1 }, ErrorCode.UNKNOWN_TYPE],
  ['a server-only type', { type: 'publication', rid: 2 }, ErrorCode.UNKNOWN_TYPE, 2],
  // document messages: base64 data only, a known kind, no extra field
  [
    'doc data not base64',
    { type: 'doc', rid: 3, channel: 'doc:a', kind: 'update', data: 'a b!' },
    ErrorCode.INVALID_MESSAGE,
    3,
  ],
  ['doc data unpadded', { type: 'doc', channel: 'doc:a', kind: 'update', data: 'AAA' }, ErrorCode.INVALID_MESSAGE],
  ['doc data as bytes', { type: 'doc', channel: 'doc:a', kind: 'update', data: [1, 2] }, ErrorCode.INVALID_MESSAGE],
  ['doc unknown kind', { type: 'doc', channel: 'doc:a', kind: 'sync3', data: 'AA==' }, ErrorCode.INVALID_MESSAGE],
  ['doc extra field', { type: 'doc', channel: 'doc:a', kind: 'sync1', data: 'AA==', x: 1 }, ErrorCode.INVALID_MESSAGE],
  // AP-05 reserved names
  ...[
    'error',
    'newListener',
    'removeListener',
    '__proto__',
    'constructor',
    'toString',
    'hasOwnProperty',
    'valueOf',
    'prototype',
    '__defineGetter__',
  ].map((type): Bad => [`the reserved type name "${type}" (AP-05)`, { type, rid: 1 }, ErrorCode.UNKNOWN_TYPE, 1]),
  // AP-06 wrong field types, no coercion
  ['channel as an object (AP-06)', { type: 'subscribe', rid: 1, channel: { a: 1 } }, ErrorCode.INVALID_MESSAGE, 1],
  ['channel as an array (AP-06)', { type: 'subscribe', rid: 1, channel: ['chat:a'] }, ErrorCode.INVALID_MESSAGE, 1],
  ['channel as a number (AP-06)', { type: 'subscribe', rid: 1, channel: 7 }, ErrorCode.INVALID_MESSAGE, 1],
  ['rid as a string "1e309" (AP-06)', { type: 'ping', rid: '1e309' }, ErrorCode.INVALID_MESSAGE],
  ['rid negative (AP-06)', { type: 'ping', rid: -1 }, ErrorCode.INVALID_MESSAGE],
  ['rid above uint32 (AP-08)', { type: 'ping', rid: Limits.MAX_RID + 1 }, ErrorCode.INVALID_MESSAGE],
  ['rid fractional', { type: 'ping', rid: 1.5 }, ErrorCode.INVALID_MESSAGE],
  [
    'offset as a string (AP-06)',
    { type: 'subscribe', rid: 1, channel: 'chat:a', since: { epoch: 'e', offset: '10' } },
    ErrorCode.INVALID_MESSAGE,
    1,
  ],
  [
    'offset negative (AP-06)',
    { type: 'subscribe', rid: 1, channel: 'chat:a', since: { epoch: 'e', offset: -1 } },
    ErrorCode.INVALID_MESSAGE,
    1,
  ],
  [
    'offset above the safe integer range',
    { type: 'subscribe', rid: 1, channel: 'chat:a', since: { epoch: 'e', offset: 2 ** 53 } },
    ErrorCode.INVALID_MESSAGE,
    1,
  ],
  [
    'offset fractional',
    { type: 'subscribe', rid: 1, channel: 'chat:a', since: { epoch: 'e', offset: 1.5 } },
    ErrorCode.INVALID_MESSAGE,
    1,
  ],
  [
    'since with an extra key',
    { type: 'subscribe', channel: 'chat:a', since: { epoch: 'e', offset: 1, x: 1 } },
    ErrorCode.INVALID_MESSAGE,
  ],
  ['since without epoch', { type: 'subscribe', channel: 'chat:a', since: { offset: 1 } }, ErrorCode.INVALID_MESSAGE],
  ['empty epoch', { type: 'subscribe', channel: 'chat:a', since: { epoch: '', offset: 1 } }, ErrorCode.INVALID_MESSAGE],
  ['presence as a string', { type: 'subscribe', channel: 'chat:a', presence: 'true' }, ErrorCode.INVALID_MESSAGE],
  ['typing on as 1', { type: 'typing', channel: 'chat:a', on: 1 }, ErrorCode.INVALID_MESSAGE],
  // strictness and required fields
  ['an unknown top-level key', { type: 'ping', rid: 1, admin: true }, ErrorCode.INVALID_MESSAGE, 1],
  ['publish without id', { type: 'publish', channel: 'chat:a', data: 1 }, ErrorCode.INVALID_MESSAGE],
  ['publish without data', { type: 'publish', channel: 'chat:a', id: 'x' }, ErrorCode.INVALID_MESSAGE],
  ['publish with an empty id', { type: 'publish', channel: 'chat:a', data: 1, id: '' }, ErrorCode.INVALID_MESSAGE],
  [
    'publish with an id containing a space',
    { type: 'publish', channel: 'chat:a', data: 1, id: 'a b' },
    ErrorCode.INVALID_MESSAGE,
  ],
  [
    'publish with a too long id',
    { type: 'publish', channel: 'chat:a', data: 1, id: 'x'.repeat(Limits.MAX_ID_LENGTH + 1) },
    ErrorCode.INVALID_MESSAGE,
  ],
  ['send without user', { type: 'send', data: 1 }, ErrorCode.INVALID_MESSAGE],
  ['send to a user with a control character', { type: 'send', user: 'bob\u0000', data: 1 }, ErrorCode.INVALID_MESSAGE],
  ['history without rid (AP-08)', { type: 'history', channel: 'chat:a' }, ErrorCode.INVALID_MESSAGE],
  ['history limit 0', { type: 'history', rid: 1, channel: 'chat:a', limit: 0 }, ErrorCode.INVALID_MESSAGE, 1],
  [
    'history limit too large',
    { type: 'history', rid: 1, channel: 'chat:a', limit: Limits.MAX_HISTORY_LIMIT + 1 },
    ErrorCode.INVALID_MESSAGE,
    1,
  ],
  ['presence without rid (AP-08)', { type: 'presence', channel: 'chat:a' }, ErrorCode.INVALID_MESSAGE],
  ['ping without rid (AP-08)', { type: 'ping' }, ErrorCode.INVALID_MESSAGE],
  ['stats without rid (AP-08)', { type: 'stats' }, ErrorCode.INVALID_MESSAGE],
  ['rpc without rid (AP-08)', { type: 'rpc', method: 'm' }, ErrorCode.INVALID_MESSAGE],
  ['rpc without method', { type: 'rpc', rid: 1 }, ErrorCode.INVALID_MESSAGE, 1],
  ['rpc with an empty method', { type: 'rpc', rid: 1, method: '' }, ErrorCode.INVALID_MESSAGE, 1],
  [
    'rpc with a method too long',
    { type: 'rpc', rid: 1, method: 'm'.repeat(Limits.MAX_RPC_METHOD_LENGTH + 1) },
    ErrorCode.INVALID_MESSAGE,
    1,
  ],
  ['rpc with a space in the method', { type: 'rpc', rid: 1, method: 'a b' }, ErrorCode.INVALID_MESSAGE, 1],
  ['rpc with a slash in the method', { type: 'rpc', rid: 1, method: '../etc' }, ErrorCode.INVALID_MESSAGE, 1],
  ['rpc with a numeric method', { type: 'rpc', rid: 1, method: 7 }, ErrorCode.INVALID_MESSAGE, 1],
  ['rpc with an unknown field', { type: 'rpc', rid: 1, method: 'm', args: [] }, ErrorCode.INVALID_MESSAGE, 1],
  ['refresh without token', { type: 'refresh', rid: 1 }, ErrorCode.INVALID_MESSAGE, 1],
  ['connect with an empty token', { type: 'connect', token: '' }, ErrorCode.INVALID_MESSAGE],
  [
    'connect with a token too long',
    { type: 'connect', token: 'x'.repeat(Limits.MAX_TOKEN_LENGTH + 1) },
    ErrorCode.INVALID_MESSAGE,
  ],
  ['connect with a token containing a newline', { type: 'connect', token: 'a\nb' }, ErrorCode.INVALID_MESSAGE],
  // AP-09 channel names
  ['an empty channel (AP-09)', { type: 'subscribe', channel: '' }, ErrorCode.INVALID_MESSAGE],
  [
    'a channel too long (AP-09)',
    { type: 'subscribe', channel: `a:${'x'.repeat(Limits.MAX_CHANNEL_LENGTH)}` },
    ErrorCode.INVALID_MESSAGE,
  ],
  [
    'a channel with a control character (AP-09)',
    { type: 'publish', channel: 'chat:a\u0001', data: 1, id: 'x' },
    ErrorCode.INVALID_MESSAGE,
  ],
  ['a channel without namespace (AP-09)', { type: 'subscribe', channel: 'general' }, ErrorCode.INVALID_MESSAGE],
  ['a channel with glob characters (AP-09)', { type: 'subscribe', channel: 'chat:*' }, ErrorCode.INVALID_MESSAGE],
  ['a channel with [ (AP-09)', { type: 'history', rid: 1, channel: 'chat:[a-z]' }, ErrorCode.INVALID_MESSAGE, 1],
  ['unsubscribe without channel', { type: 'unsubscribe', rid: 1 }, ErrorCode.INVALID_MESSAGE, 1],
  [
    'unsubscribe with since',
    { type: 'unsubscribe', channel: 'chat:a', since: { epoch: 'e', offset: 1 } },
    ErrorCode.INVALID_MESSAGE,
  ],
  ['a channel with ? (AP-09)', { type: 'presence', rid: 1, channel: 'chat:?' }, ErrorCode.INVALID_MESSAGE, 1],
  // batches
  ['an empty batch', { type: 'batch', messages: [] }, ErrorCode.INVALID_MESSAGE],
  [
    'a batch over the cap',
    { type: 'batch', messages: Array.from({ length: Limits.MAX_BATCH + 1 }, () => ({ type: 'stats', rid: 1 })) },
    ErrorCode.INVALID_MESSAGE,
  ],
  [
    'a nested batch',
    { type: 'batch', messages: [{ type: 'batch', messages: [{ type: 'ping', rid: 1 }] }] },
    ErrorCode.INVALID_MESSAGE,
  ],
  [
    'a batch with an invalid member',
    { type: 'batch', messages: [{ type: 'ping', rid: 1 }, { type: 'ping' }] },
    ErrorCode.INVALID_MESSAGE,
  ],
  ['a batch with a non-object member', { type: 'batch', messages: [7] }, ErrorCode.INVALID_MESSAGE],
  ['a batch with a rid', { type: 'batch', rid: 1, messages: [{ type: 'ping', rid: 1 }] }, ErrorCode.INVALID_MESSAGE],
  [
    'a batch whose messages is an object',
    { type: 'batch', messages: { 0: { type: 'ping', rid: 1 } } },
    ErrorCode.INVALID_MESSAGE,
  ],
];

for (const codec of CODECS) {
  for (const [what, value, code, rid] of INVALID_CLIENT) {
    test(`${codec.subprotocol} refuses ${what} with ${code}`, () => {
      const result = decodeAs(codec, value);
      assert.equal(result.ok, false);
      if (result.ok) return;
      assert.equal(result.error.code, code, result.error.message);
      assert.equal(result.error.rid, rid);
      assert.ok(result.error.message.length > 0 && result.error.message.length <= Limits.MAX_REASON_LENGTH);
    });
  }
}

test('error messages never echo an unknown key or an unknown type', () => {
  for (const codec of CODECS) {
    for (const value of [
      { type: 'ping', rid: 1, '<script>': 1 },
      { type: '<script>' },
      { type: 'batch', messages: [{ type: '<script>' }] },
    ]) {
      const result = decodeAs(codec, value);
      assert.ok(!result.ok && !result.error.message.includes('<script>'));
    }
  }
});

test('JSON codec refuses 100000-deep arrays before parsing (docs/security-cases.md AP-02)', () => {
  const codec = new JsonCodec({ maxMessageSize: 1 << 20 });
  const result = codec.decodeClientMessage('['.repeat(100_000) + ']'.repeat(100_000));
  assert.deepEqual(result, {
    ok: false,
    error: { code: ErrorCode.BAD_REQUEST, message: 'Cannot accept the message: nested too deep' },
  });
  const objects = codec.decodeClientMessage(
    `{"type":"publish","channel":"chat:a","id":"x","data":${'{"a":'.repeat(100_000)}1${'}'.repeat(100_000)}}`,
  );
  assert.equal(!objects.ok && objects.error.code, ErrorCode.BAD_REQUEST);
});

test('MessagePack codec refuses 100000-deep arrays before unpacking (docs/security-cases.md AP-02)', () => {
  const codec = new MsgpackCodec({ maxMessageSize: 1 << 20 });
  const result = codec.decodeClientMessage(new Uint8Array(100_001).fill(0x91).fill(0xc0, 100_000));
  assert.equal(!result.ok && result.error.code, ErrorCode.BAD_REQUEST);
});

test('nesting up to the limit is accepted in data', () => {
  const data = JSON.parse('['.repeat(Limits.MAX_DEPTH - 1) + ']'.repeat(Limits.MAX_DEPTH - 1)) as unknown;
  for (const codec of CODECS) {
    assert.equal(decodeAs(codec, { type: 'publish', channel: 'chat:a', id: 'x', data }).ok, true);
    assert.equal(decodeAs(codec, { type: 'publish', channel: 'chat:a', id: 'x', data: [data] }).ok, false);
  }
});

test('prototype-pollution keys are refused and pollute nothing (docs/security-cases.md AP-04)', () => {
  const texts = [
    '{"type":"publish","__proto__":{"admin":true}}',
    '{"constructor":{"prototype":{"x":1}}}',
    '{"type":"publish","channel":"chat:a","id":"x","data":{"__proto__":{"polluted":1}}}',
    '{"type":"publish","channel":"chat:a","id":"x","data":[{"a":{"constructor":{"prototype":{"polluted":1}}}}]}',
    '{"type":"subscribe","channel":"chat:a","since":{"epoch":"e","offset":1,"__proto__":{"offset":2}}}',
    '{"type":"publish","rid":4,"channel":"chat:a","id":"x","data":{"prototype":1}}',
  ];
  for (const text of texts) {
    const result = json.decodeClientMessage(text);
    assert.equal(!result.ok && result.error.code, ErrorCode.BAD_REQUEST, text);
    const value = JSON.parse(text) as unknown;
    const packed = msgpack.encodeClientMessage(value as ClientMessage);
    const viaMsgpack = msgpack.decodeClientMessage(packed);
    assert.equal(!viaMsgpack.ok && viaMsgpack.error.code, ErrorCode.BAD_REQUEST, `msgpack ${text}`);
  }
  const rid = json.decodeClientMessage(texts[5]!);
  assert.equal(!rid.ok && rid.error.rid, 4, 'the rid is still reported');
  const probe: Record<string, unknown> = {};
  assert.equal(probe['admin'], undefined);
  assert.equal(probe['polluted'], undefined);
  assert.equal(probe['x'], undefined);
});

test('non-finite numbers are refused: 1e309 parses to Infinity (docs/security-cases.md AP-06)', () => {
  for (const text of [
    '{"type":"ping","rid":1e309}',
    '{"type":"publish","channel":"chat:a","id":"x","data":-1e309}',
    '{"type":"subscribe","channel":"chat:a","since":{"epoch":"e","offset":1e309}}',
  ]) {
    const result = json.decodeClientMessage(text);
    assert.equal(!result.ok && result.error.code, ErrorCode.BAD_REQUEST, text);
  }
});

test('MessagePack attacks are refused without preallocation (docs/security-cases.md AP-10)', () => {
  const cases = [
    'dd ffffffff',
    'c6 ffffffff',
    'df ffffffff',
    'db ffffffff',
    '81 a4 74797065 dd ffffffff',
    '82 a4 74797065 a4 70696e67 a3 726964 c6 ffffffff',
    'd4 72 00',
    'c7 01 65 00',
    '',
    '82 a4 74797065',
    'c1',
    '82 a4 74797065 a4 70696e67 a3 726964 d6 ff 00000000',
  ];
  for (const h of cases) {
    const result = msgpack.decodeClientMessage(Uint8Array.from(Buffer.from(h.replace(/ /g, ''), 'hex')));
    assert.equal(!result.ok && result.error.code, ErrorCode.BAD_REQUEST, h);
  }
});

test('frames over maxMessageSize are refused with too_large, counted in UTF-8 bytes', () => {
  const small = new JsonCodec({ maxMessageSize: 64 });
  const frame = (text: string): string => `{"type":"publish","channel":"chat:a","id":"x","data":"${text}"}`;
  const base = new TextEncoder().encode(frame('')).length;
  const ascii = frame('a'.repeat(64 - base));
  assert.equal(small.decodeClientMessage(ascii).ok, true, 'exactly 64 bytes');
  const fits = frame('é'.repeat((64 - base) >> 1)); // 2 bytes each: within 64 bytes
  assert.ok(new TextEncoder().encode(fits).length <= 64);
  assert.equal(small.decodeClientMessage(fits).ok, true);
  const over = frame('é'.repeat(((64 - base) >> 1) + 1)); // fewer than 64 UTF-16 units, more than 64 bytes
  assert.ok(over.length <= 64 && new TextEncoder().encode(over).length > 64);
  const r = small.decodeClientMessage(over);
  assert.equal(!r.ok && r.error.code, ErrorCode.TOO_LARGE);
  const rb = small.decodeClientMessage(new TextEncoder().encode(over));
  assert.equal(!rb.ok && rb.error.code, ErrorCode.TOO_LARGE);
  const smallPack = new MsgpackCodec({ maxMessageSize: 16 });
  const rp = smallPack.decodeClientMessage(new Uint8Array(17));
  assert.equal(!rp.ok && rp.error.code, ErrorCode.TOO_LARGE);
});

test('JSON codec accepts UTF-8 bytes of a text frame and refuses invalid UTF-8 and invalid JSON', () => {
  assert.deepEqual(json.decodeClientMessage(new TextEncoder().encode('{"type":"stats","rid":1}')), {
    ok: true,
    message: { type: 'stats', rid: 1 },
  });
  const badUtf8 = json.decodeClientMessage(Uint8Array.of(0x7b, 0xff, 0x7d));
  assert.equal(!badUtf8.ok && badUtf8.error.code, ErrorCode.BAD_REQUEST);
  for (const text of ['', '{', '{"type":"ping",}', 'undefined', "{'type':'ping'}", '\u0000']) {
    const result = json.decodeClientMessage(text);
    assert.equal(!result.ok && result.error.code, ErrorCode.BAD_REQUEST, JSON.stringify(text));
  }
});

test('MessagePack codec refuses text input (wrong frame type)', () => {
  const result = msgpack.decodeClientMessage('{"type":"ping","rid":1}');
  assert.equal(!result.ok && result.error.code, ErrorCode.BAD_REQUEST);
});

test('validateClientMessage applies the same guards to an already-parsed value', () => {
  assert.deepEqual(validateClientMessage({ type: 'ping', rid: 3 }), { ok: true, message: { type: 'ping', rid: 3 } });
  const polluted = validateClientMessage(JSON.parse('{"type":"ping","rid":3,"__proto__":{}}'));
  assert.equal(!polluted.ok && polluted.error.code, ErrorCode.BAD_REQUEST);
  const date = validateClientMessage({ type: 'publish', channel: 'chat:a', id: 'x', data: new Date() });
  assert.equal(!date.ok && date.error.code, ErrorCode.BAD_REQUEST);
});

// ---------------------------------------------------------------- server messages

const PUB = {
  channel: 'chat:general',
  epoch: 'Xy7_abc',
  offset: 11,
  data: { text: 'hi' },
  time: 1_700_000_000_000,
  sender: 'alice',
  id: 'm-1',
};
const VALID_SERVER: ServerMessage[] = [
  { type: 'connected', re: 1, client: 'c-9f2e', user: 'alice', expires: 1_700_000_360_000 },
  { type: 'connected', client: 'c-9f2e', user: '' },
  {
    type: 'subscribed',
    re: 2,
    channel: 'chat:general',
    epoch: 'Xy7_abc',
    offset: 11,
    recovered: true,
    publications: [PUB],
    presence: [{ user: 'alice', connections: 2, info: { name: 'Alice' } }],
  },
  { type: 'subscribed', channel: 'chat:general', epoch: 'Xy7_abc', offset: 0, recovered: false, publications: [] },
  {
    type: 'subscribed',
    channel: 'chat:general',
    epoch: 'Xy7_abc',
    offset: 11,
    recovered: true,
    publications: [{ channel: 'chat:general', epoch: 'Xy7_abc', offset: 10, time: 1, deleted: true }, PUB],
  },
  { type: 'deleted', channel: 'chat:general', epoch: 'Xy7_abc', offset: 10 },
  { type: 'doc', channel: 'doc:readme', kind: 'sync2', data: 'AAA=' },
  { type: 'unsubscribed', re: 3, channel: 'chat:general' },
  { type: 'unsubscribed', channel: 'chat:general', code: 'forbidden', reason: 'Permission revoked' },
  { type: 'publication', ...PUB },
  { type: 'publication', channel: 'feed:ticker', epoch: 'e', offset: 1, data: 1.25, time: 1 },
  { type: 'join', channel: 'chat:general', user: 'bob', info: { name: 'Bob' } },
  { type: 'leave', channel: 'chat:general', user: 'bob' },
  { type: 'typing', channel: 'chat:general', user: 'bob', on: true },
  { type: 'reply', re: 4, data: { channel: 'chat:general', epoch: 'Xy7_abc', offset: 12, duplicate: false } },
  { type: 'reply', re: 5 },
  { type: 'error', code: 'forbidden', message: 'Cannot publish: permission denied', re: 6 },
  { type: 'error', code: 'bad_request', message: 'Cannot decode the frame: invalid JSON' },
  { type: 'disconnect', code: 4009, reason: 'shutdown', reconnect: true },
];

test('every server message type has a valid example', () => {
  assert.deepEqual([...new Set(VALID_SERVER.map((m) => m.type))].sort(), [
    'connected',
    'deleted',
    'disconnect',
    'doc',
    'error',
    'join',
    'leave',
    'publication',
    'reply',
    'subscribed',
    'typing',
    'unsubscribed',
  ]);
});

for (const codec of CODECS) {
  for (const message of VALID_SERVER) {
    test(`${codec.subprotocol} round-trips the server message "${message.type}": ${JSON.stringify(message).slice(0, 70)}`, () => {
      assert.deepEqual(codec.decodeServerMessage(codec.encodeServerMessage(message)), { ok: true, message });
    });
  }
}

test('server messages: unknown keys are dropped, unknown types and bad fields refused', () => {
  assert.deepEqual(validateServerMessage({ type: 'leave', channel: 'chat:a', user: 'u', future: 1 }), {
    ok: true,
    message: { type: 'leave', channel: 'chat:a', user: 'u' },
  });
  for (const [value, code] of [
    [{ type: 'brand_new' }, ErrorCode.UNKNOWN_TYPE],
    [{ type: 'constructor' }, ErrorCode.UNKNOWN_TYPE],
    [[], ErrorCode.BAD_REQUEST],
    [{ type: 'publication', ...PUB, offset: -1 }, ErrorCode.INVALID_MESSAGE],
    [{ type: 'publication', ...PUB, offset: '11' }, ErrorCode.INVALID_MESSAGE],
    [
      { type: 'subscribed', channel: 'chat:a', epoch: 'e', offset: 0, recovered: 'yes', publications: [] },
      ErrorCode.INVALID_MESSAGE,
    ],
    [{ type: 'reply' }, ErrorCode.INVALID_MESSAGE],
    [{ type: 'connected', user: 'u' }, ErrorCode.INVALID_MESSAGE],
    [{ type: 'unsubscribed', channel: 'nochannel' }, ErrorCode.INVALID_MESSAGE],
    [{ type: 'join', channel: 'chat:a' }, ErrorCode.INVALID_MESSAGE],
    [{ type: 'leave', channel: 'chat:a', user: 7 }, ErrorCode.INVALID_MESSAGE],
    [{ type: 'typing', channel: 'chat:a', user: 'u', on: 'yes' }, ErrorCode.INVALID_MESSAGE],
    [{ type: 'error', message: 'no code' }, ErrorCode.INVALID_MESSAGE],
    [
      {
        type: 'subscribed',
        channel: 'chat:a',
        epoch: 'e',
        offset: 0,
        recovered: true,
        publications: [{ channel: 'chat:a' }],
      },
      ErrorCode.INVALID_MESSAGE,
    ],
    [{ type: 'disconnect', code: 70000, reason: '', reconnect: true }, ErrorCode.INVALID_MESSAGE],
    [JSON.parse('{"type":"join","channel":"chat:a","user":"u","info":{"__proto__":{"x":1}}}'), ErrorCode.BAD_REQUEST],
  ] as [unknown, ErrorCode][]) {
    const result = validateServerMessage(value);
    assert.equal(!result.ok && result.error.code, code, JSON.stringify(value));
  }
});

test('toPublicationMessage copies the protocol fields of a stored publication and omits absent ones', () => {
  const stored = { channel: 'chat:a', epoch: 'e', offset: 3, data: { x: 1 }, time: 5, extra: 'not copied' };
  assert.deepEqual(toPublicationMessage(stored), {
    type: 'publication',
    channel: 'chat:a',
    epoch: 'e',
    offset: 3,
    data: { x: 1 },
    time: 5,
  });
  assert.deepEqual(toPublicationMessage({ ...stored, sender: 'u', id: 'i' }), {
    type: 'publication',
    channel: 'chat:a',
    epoch: 'e',
    offset: 3,
    data: { x: 1 },
    time: 5,
    sender: 'u',
    id: 'i',
  });
});

test('msgpack encoding leaves out undefined fields, as JSON does', () => {
  const message = { type: 'leave', channel: 'chat:a', user: 'u', info: undefined } as unknown as ServerMessage;
  assert.deepEqual(msgpack.decodeServerMessage(msgpack.encodeServerMessage(message)), {
    ok: true,
    message: { type: 'leave', channel: 'chat:a', user: 'u' },
  });
  assert.equal(json.encodeServerMessage(message), '{"type":"leave","channel":"chat:a","user":"u"}');
});

// ---------------------------------------------------------------- subprotocols

test('selectSubprotocol picks the first supported offer and createCodec maps subprotocols to codecs', () => {
  assert.equal(selectSubprotocol(['x', Subprotocol.MSGPACK, Subprotocol.JSON]), Subprotocol.MSGPACK);
  assert.equal(selectSubprotocol([Subprotocol.JSON]), Subprotocol.JSON);
  assert.equal(selectSubprotocol(['switchboard.v2.json']), null);
  assert.equal(selectSubprotocol([]), null);
  assert.equal(createCodec(null).subprotocol, Subprotocol.JSON);
  assert.equal(createCodec('').binary, false);
  assert.equal(createCodec(Subprotocol.MSGPACK).binary, true);
  assert.throws(() => createCodec('nope'), RangeError);
  assert.throws(() => new JsonCodec({ maxMessageSize: 0 }), RangeError);
  assert.throws(() => new MsgpackCodec({ maxDepth: 1.5 }), RangeError);
});

// ---------------------------------------------------------------- properties

const channelArb = fc
  .tuple(
    fc.constantFrom('chat', 'doc', 'feed_1', 'user-x'),
    fc.string({ minLength: 1, maxLength: 20, unit: 'grapheme' }),
  )
  .map(([ns, name]) => `${ns}:${name}`)
  .filter(isValidChannelName);
const dataArb = fc
  .jsonValue({ maxDepth: 4 })
  .map((v) => JSON.parse(JSON.stringify(v)) as unknown)
  .filter((v) => checkJsonValue(v, 28) === null);
const ridArb = fc.option(fc.nat({ max: Limits.MAX_RID }), { nil: undefined });
const idArb = fc.string({
  minLength: 1,
  maxLength: 40,
  unit: fc.integer({ min: 0x21, max: 0x7e }).map((c) => String.fromCharCode(c)),
});
const posArb = fc.record({ epoch: idArb.map((s) => s.slice(0, 64)), offset: fc.maxSafeNat() });
const opt = <T>(arb: fc.Arbitrary<T>) => fc.option(arb, { nil: undefined });

/** Drops undefined members so the expected value matches what a codec produces. */
function clean<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}

const singleArb: fc.Arbitrary<ClientMessage> = fc
  .oneof(
    fc.record({
      type: fc.constant('connect' as const),
      rid: ridArb,
      token: opt(idArb),
      name: opt(fc.constantFrom('sdk', 'cli/1.0')),
    }),
    fc.record({
      type: fc.constant('subscribe' as const),
      rid: ridArb,
      channel: channelArb,
      since: opt(posArb),
      presence: opt(fc.boolean()),
    }),
    fc.record({ type: fc.constant('unsubscribe' as const), rid: ridArb, channel: channelArb }),
    fc.record({ type: fc.constant('publish' as const), rid: ridArb, channel: channelArb, data: dataArb, id: idArb }),
    fc.record({
      type: fc.constant('send' as const),
      rid: ridArb,
      user: fc.constantFrom('bob', 'alice@x', 'Ünïcode'),
      data: dataArb,
      id: opt(idArb),
    }),
    fc.record({ type: fc.constant('typing' as const), rid: ridArb, channel: channelArb, on: fc.boolean() }),
    fc.record({
      type: fc.constant('history' as const),
      rid: fc.nat({ max: Limits.MAX_RID }),
      channel: channelArb,
      limit: opt(fc.integer({ min: 1, max: Limits.MAX_HISTORY_LIMIT })),
      since: opt(posArb),
      before: opt(fc.maxSafeNat()),
    }),
    fc.record({ type: fc.constant('presence' as const), rid: fc.nat({ max: Limits.MAX_RID }), channel: channelArb }),
    fc.record({ type: fc.constant('refresh' as const), rid: ridArb, token: idArb }),
    fc.record({ type: fc.constant('ping' as const), rid: fc.nat({ max: Limits.MAX_RID }) }),
    fc.record({ type: fc.constant('stats' as const), rid: fc.nat({ max: Limits.MAX_RID }) }),
    fc.record({
      type: fc.constant('rpc' as const),
      rid: fc.nat({ max: Limits.MAX_RID }),
      method: fc.stringMatching(RPC_METHOD_NAME),
      data: opt(dataArb),
    }),
  )
  .map((m) => clean(m) as ClientMessage);
const clientArb = fc.oneof(
  singleArb,
  fc
    .array(singleArb, { minLength: 1, maxLength: 4 })
    .map((messages) => ({ type: 'batch' as const, messages }) as ClientMessage),
);

for (const codec of CODECS) {
  test(`${codec.subprotocol}: encode then decode returns every valid client message unchanged`, () => {
    fc.assert(
      fc.property(clientArb, (generated) => {
        const message = JSON.parse(JSON.stringify(generated)) as ClientMessage; // plain prototypes, as on the wire
        assert.deepEqual(codec.decodeClientMessage(codec.encodeClientMessage(message)), { ok: true, message });
      }),
      { numRuns: 300 },
    );
  });

  test(`${codec.subprotocol}: encode then decode returns every valid publication unchanged`, () => {
    const publicationArb = fc
      .record({
        channel: channelArb,
        epoch: idArb,
        offset: fc.maxSafeNat(),
        data: dataArb,
        time: fc.maxSafeNat(),
        sender: opt(fc.constantFrom('alice', 'bob')),
        id: opt(idArb),
      })
      .map((p) => toPublicationMessage(clean(p)));
    fc.assert(
      fc.property(publicationArb, (generated) => {
        const message = JSON.parse(JSON.stringify(generated)) as ServerMessage;
        assert.deepEqual(codec.decodeServerMessage(codec.encodeServerMessage(message)), { ok: true, message });
      }),
      { numRuns: 300 },
    );
  });

  test(`${codec.subprotocol}: random input never throws and always yields a result`, () => {
    const input = codec.binary
      ? fc.uint8Array({ maxLength: 200 })
      : fc.oneof(fc.string({ maxLength: 200 }), fc.string({ unit: 'binary', maxLength: 200 }));
    fc.assert(
      fc.property(input, (raw) => {
        const result = codec.decodeClientMessage(raw);
        assert.equal(typeof result.ok, 'boolean');
        if (!result.ok) assert.equal(typeof result.error.code, 'string');
        const server = codec.decodeServerMessage(raw);
        assert.equal(typeof server.ok, 'boolean');
      }),
      { numRuns: 2000 },
    );
  });

  test(`${codec.subprotocol}: random objects with a known type never throw`, () => {
    const objectArb = fc
      .record({ type: fc.constantFrom(...CLIENT_MESSAGE_TYPES, '__proto__', 'toString') })
      .chain((head) =>
        fc
          .dictionary(
            fc.constantFrom('rid', 'channel', 'data', 'id', 'since', 'on', 'messages', 'token', 'limit', 'user', 'x'),
            fc.jsonValue({ maxDepth: 3 }),
          )
          .map((rest) => ({ ...rest, ...head })),
      );
    fc.assert(
      fc.property(objectArb, (value) => {
        const result = decodeAs(codec, value);
        assert.equal(typeof result.ok, 'boolean');
      }),
      { numRuns: 1000 },
    );
  });
}

test('MessagePack encoder output stays intact after later encodes (the caller owns it)', () => {
  const codec = new MsgpackCodec();
  const outputs = Array.from({ length: 2000 }, (_, i) =>
    codec.encodeServerMessage({ type: 'reply', re: i, data: { s: 'x'.repeat(i % 300) } }),
  );
  outputs.forEach((bytes, i) => {
    assert.deepEqual(codec.decodeServerMessage(bytes), {
      ok: true,
      message: { type: 'reply', re: i, data: { s: 'x'.repeat(i % 300) } },
    });
  });
});

test('the deepest data a client may publish still decodes inside subscribed and history replies', () => {
  const levels = Limits.MAX_DEPTH - 1; // publish (1) + data (31 levels) = 32
  const data = JSON.parse('['.repeat(levels) + ']'.repeat(levels)) as unknown;
  for (const codec of CODECS) {
    const published = decodeAs(codec, { type: 'publish', channel: 'chat:a', id: 'x', data });
    assert.equal(published.ok, true);
    const pub = { channel: 'chat:a', epoch: 'e', offset: 1, data, time: 1 };
    const subscribed = {
      type: 'subscribed',
      channel: 'chat:a',
      epoch: 'e',
      offset: 1,
      recovered: true,
      publications: [pub],
    } as ServerMessage;
    const history = {
      type: 'reply',
      re: 1,
      data: { channel: 'chat:a', epoch: 'e', offset: 1, publications: [pub] },
    } as ServerMessage;
    for (const message of [subscribed, history]) {
      const result = codec.decodeServerMessage(codec.encodeServerMessage(message));
      assert.equal(result.ok, true, `${codec.subprotocol} ${message.type}`);
    }
  }
});

test('server frames have their own, larger size limit', () => {
  const big = { type: 'reply', re: 1, data: 'x'.repeat(100_000) } as ServerMessage;
  for (const codec of CODECS) {
    assert.equal(codec.decodeServerMessage(codec.encodeServerMessage(big)).ok, true, codec.subprotocol);
    const strict = codec.binary
      ? new MsgpackCodec({ maxServerMessageSize: 1000 })
      : new JsonCodec({ maxServerMessageSize: 1000 });
    const result = strict.decodeServerMessage(codec.encodeServerMessage(big));
    assert.equal(!result.ok && result.error.code, ErrorCode.TOO_LARGE);
    const deep = new JsonCodec({ maxServerDepth: 3 }).decodeServerMessage('{"type":"reply","re":1,"data":[[[1]]]}'); // depth 4
    assert.equal(!deep.ok && deep.error.code, ErrorCode.BAD_REQUEST);
  }
});
