// The client's built-in JSON wire agrees with the schemas of src/messages on what a server message is, and with
// shouldReconnect on close codes, without carrying zod into the browser bundle (the property test of the agreement is
// test/messages/server-validator.test.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { jsonWire, shouldReconnectAfter, validateServerValue } from '../../src/client/index.ts';
import { JsonCodec, shouldReconnect, validateServerValue as sharedValidator } from '../../src/messages/index.ts';

test('shouldReconnectAfter matches shouldReconnect for every close code 1000-4999 (protocol §13)', () => {
  for (let code = 1000; code <= 4999; code++)
    assert.equal(shouldReconnectAfter(code), shouldReconnect(code), String(code));
});

test('the client re-exports the one definition of shouldReconnect and of the server-message validator (no copies)', () => {
  assert.equal(shouldReconnectAfter, shouldReconnect);
  assert.equal(validateServerValue, sharedValidator);
});

const VALID = [
  { type: 'connected', re: 1, client: 'abc', user: 'alice', expires: 1700003600000 },
  {
    type: 'subscribed',
    re: 2,
    channel: 'chat:general',
    epoch: 'Xy7_abc',
    offset: 43,
    recovered: true,
    publications: [
      { channel: 'chat:general', epoch: 'Xy7_abc', offset: 42, data: { text: 'x' }, time: 1, sender: 'bob', id: 'm-9' },
    ],
    presence: [{ user: 'bob', connections: 1, info: { name: 'Bob' } }],
  },
  { type: 'unsubscribed', channel: 'chat:general', code: 'forbidden', reason: 'Permission revoked' },
  { type: 'publication', channel: 'chat:general', epoch: 'E', offset: 44, data: null, time: 1 },
  { type: 'join', channel: 'chat:general', user: 'bob', info: { name: 'Bob' } },
  { type: 'leave', channel: 'chat:general', user: 'bob' },
  { type: 'typing', channel: 'chat:general', user: 'bob', on: true },
  { type: 'reply', re: 4, data: { channel: 'chat:general', epoch: 'E', offset: 44, duplicate: false } },
  { type: 'error', code: 'forbidden', message: 'no', re: 4 },
  { type: 'disconnect', code: 4009, reason: 'shutdown', reconnect: true },
];

test('the JSON wire accepts every server message of docs/protocol.md §6 as the schemas do, and drops unknown fields', () => {
  const codec = new JsonCodec();
  for (const m of VALID) {
    const raw = JSON.stringify({ ...m, extra: 'ignored' });
    const ours = jsonWire.decode(raw);
    const theirs = codec.decodeServerMessage(raw);
    assert.ok(theirs.ok, JSON.stringify(m));
    assert.deepEqual(ours, theirs.message, m.type);
    assert.equal(ours !== null && 'extra' in ours, false);
  }
});

test('the JSON wire refuses what the schemas refuse on the fields the client relies on, and never throws', () => {
  const codec = new JsonCodec();
  const bad = [
    { type: 'publication', channel: 'c:x', epoch: 'E', offset: -1, data: 1, time: 1 },
    { type: 'publication', channel: 'c:x', epoch: 'E', offset: 1.5, data: 1, time: 1 },
    { type: 'publication', channel: 'c:x', epoch: 'E', offset: 2 ** 60, data: 1, time: 1 },
    { type: 'publication', channel: 'c:x', epoch: '', offset: 1, data: 1, time: 1 },
    { type: 'publication', channel: 'c:x', epoch: 'E', offset: 1, time: 1 },
    { type: 'subscribed', re: 1, channel: 'c:x', epoch: 'E', offset: 0, recovered: 'yes', publications: [] },
    { type: 'subscribed', re: 1, channel: 'c:x', epoch: 'E', offset: 0, recovered: true, publications: [{}] },
    { type: 'reply', data: 1 },
    { type: 'reply', re: -1 },
    { type: 'reply', re: 2 ** 32 },
    { type: 'disconnect', code: 999, reason: '', reconnect: true },
    { type: 'disconnect', code: 4000, reason: '', reconnect: 1 },
    { type: 'nope' },
    [],
    'str',
    null,
  ];
  for (const m of bad) {
    const raw = JSON.stringify(m);
    assert.equal(jsonWire.decode(raw), null, raw);
    assert.equal(codec.decodeServerMessage(raw).ok, false, raw);
  }
  assert.equal(jsonWire.decode(new Uint8Array([1, 2])), null, 'binary frames are not JSON');
  assert.equal(jsonWire.decode('['.repeat(1_000_000)), null);
  fc.assert(
    fc.property(fc.jsonValue(), (v) => {
      validateServerValue(v);
      return true;
    }),
    { numRuns: 1000 },
  );
});
