// Tests of the exported zod schemas (src/messages/schemas.ts): they agree with the codecs' Map-based dispatch.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  CLIENT_MESSAGE_SCHEMAS,
  CLIENT_MESSAGE_TYPES,
  SERVER_MESSAGE_SCHEMAS,
  ClientMessageSchema,
  ServerMessageSchema,
  SingleClientMessageSchema,
  checkJsonValue,
  validateClientMessage,
  validateServerMessage,
} from '../../src/messages/index.ts';

test('the dispatch maps list exactly the types of the exported unions', () => {
  const single = SingleClientMessageSchema.options.map((o) => o.shape.type.value).sort();
  assert.deepEqual([...CLIENT_MESSAGE_SCHEMAS.keys()].sort(), single);
  assert.deepEqual([...CLIENT_MESSAGE_TYPES].sort(), [...single, 'batch'].sort());
  const server = ServerMessageSchema.options.map((o) => o.shape.type.value).sort();
  assert.deepEqual([...SERVER_MESSAGE_SCHEMAS.keys()].sort(), server);
});

test('the dispatch maps are Maps: inherited names such as constructor are not types', () => {
  for (const name of ['constructor', '__proto__', 'toString', 'hasOwnProperty']) {
    assert.equal(CLIENT_MESSAGE_SCHEMAS.get(name), undefined);
    assert.equal(SERVER_MESSAGE_SCHEMAS.get(name), undefined);
  }
});

const fieldArb = fc.dictionary(
  fc.constantFrom(
    'rid',
    'channel',
    'data',
    'id',
    'since',
    'on',
    'messages',
    'token',
    'limit',
    'before',
    'user',
    'presence',
    'name',
  ),
  fc.oneof(
    fc.constantFrom('chat:a', 'bad', 1, -1, 0, true, null, 'x', { epoch: 'e', offset: 1 }, [{ type: 'ping', rid: 1 }]),
    fc.jsonValue({ maxDepth: 2 }),
  ),
);

test('validateClientMessage accepts exactly what ClientMessageSchema accepts', () => {
  fc.assert(
    fc.property(fc.constantFrom(...CLIENT_MESSAGE_TYPES), fieldArb, (type, fields) => {
      const value = JSON.parse(JSON.stringify({ ...fields, type })) as unknown;
      fc.pre(checkJsonValue(value, 32) === null); // reserved keys are refused before any schema, by design
      assert.equal(
        validateClientMessage(value).ok,
        ClientMessageSchema.safeParse(value).success,
        JSON.stringify(value),
      );
    }),
    { numRuns: 3000 },
  );
});

test('validateServerMessage accepts exactly what ServerMessageSchema accepts', () => {
  const serverFields = fc.dictionary(
    fc.constantFrom(
      're',
      'channel',
      'epoch',
      'offset',
      'data',
      'time',
      'user',
      'client',
      'recovered',
      'publications',
      'code',
      'message',
      'reason',
      'reconnect',
      'on',
    ),
    fc.oneof(fc.constantFrom('chat:a', 'e', 1, 4009, true, false, [], 'x'), fc.jsonValue({ maxDepth: 2 })),
  );
  fc.assert(
    fc.property(fc.constantFrom(...SERVER_MESSAGE_SCHEMAS.keys()), serverFields, (type, fields) => {
      const value = JSON.parse(JSON.stringify({ ...fields, type })) as unknown;
      fc.pre(checkJsonValue(value, 32) === null);
      assert.equal(
        validateServerMessage(value).ok,
        ServerMessageSchema.safeParse(value).success,
        JSON.stringify(value),
      );
    }),
    { numRuns: 3000 },
  );
});
