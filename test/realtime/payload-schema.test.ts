// Per-namespace payload schemas (JSON Schema through ajv): compiled once at startup, applied to publish, send and
// server-side publishes after the size and depth limits, refusals naming the path and rule in bounded text.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Limits } from '../../src/messages/index.ts';
import { compilePayloadSchema, createNamespaces, InvalidPayloadError } from '../../src/realtime/index.ts';
import { openClient, startHub } from '../helpers/realtime.ts';

/** No lone surrogate (String#isWellFormed, without the ES2024 lib). */
function isWellFormed(text: string): boolean {
  return !/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/.test(text);
}

const CHAT_SCHEMA = {
  type: 'object',
  properties: { text: { type: 'string', minLength: 1, maxLength: 500 }, replyTo: { type: 'integer', minimum: 1 } },
  required: ['text'],
  additionalProperties: false,
};
/** A map of string values whose keys are the client's: the error path is made of them. */
const TAGS_SCHEMA = { type: 'object', additionalProperties: { type: 'string' } };

const NAMESPACES = {
  chat: { payloadSchema: CHAT_SCHEMA },
  tags: { payloadSchema: TAGS_SCHEMA },
  free: {},
  user: { payloadSchema: CHAT_SCHEMA },
};

test('a namespace schema that does not compile stops createNamespaces with an error naming the namespace', () => {
  assert.throws(
    () => createNamespaces({ chat: { payloadSchema: { type: 'strin' } } }),
    (err: unknown) =>
      err instanceof RangeError && /^Cannot use chat\.payloadSchema: schema is invalid/.test(err.message),
  );
  assert.throws(
    () => createNamespaces({ room: { payloadSchema: { type: 'object', maxLenght: 3 } } }),
    /Cannot use room\.payloadSchema: strict mode: unknown keyword: "maxLenght"/,
    'strict mode: a misspelt keyword is an error, not a silently ignored rule',
  );
  assert.throws(
    () => createNamespaces({ feed: { payloadSchema: { $ref: 'https://schemas.example.com/chat.json' } } }),
    /Cannot use feed\.payloadSchema: can't resolve reference/,
    'no remote references are fetched',
  );
  assert.throws(
    () => createNamespaces({ x: { payloadSchema: [] as never } }),
    /Cannot use x\.payloadSchema: expected a JSON Schema object/,
  );
  assert.doesNotThrow(() =>
    createNamespaces({ a: { payloadSchema: { $id: 'same' } }, b: { payloadSchema: { $id: 'same' } } }),
  );
});

test('the validator names the failing path and rule, and clips a path made of a huge client key', () => {
  const chat = compilePayloadSchema('chat', CHAT_SCHEMA);
  assert.equal(chat({ text: 'hello' }), null);
  assert.equal(chat({ text: 'x'.repeat(501) }), 'data/text: must NOT have more than 500 characters (maxLength)');
  assert.equal(chat({}), "data: must have required property 'text' (required)");
  assert.equal(chat('just a string'), 'data: must be object (type)');
  assert.equal(chat({ text: 'a', replyTo: 0 }), 'data/replyTo: must be >= 1 (minimum)');
  const tags = compilePayloadSchema('tags', TAGS_SCHEMA);
  const key = 'k'.repeat(10_000);
  const reason = tags({ [key]: 5 })!;
  assert.match(reason, /^data\/k+…: must be string \(type\)$/);
  assert.ok(reason.length <= Limits.MAX_REASON_LENGTH, `bounded (${reason.length} characters)`);
  const emoji = tags({ [`${'k'.repeat(89)}😀😀😀😀😀😀`]: 5 })!;
  assert.equal(isWellFormed(emoji), true, 'the clip keeps surrogate pairs whole');
});

test('publish: conforming data is stored and delivered; data that breaks the schema gets invalid_message and is not stored', async (t) => {
  const hub = await startHub(t, { namespaces: NAMESPACES });
  const alice = await openClient(t, hub, 'alice');
  const bob = await openClient(t, hub, 'bob');
  await bob.request({ type: 'subscribe', channel: 'chat:lobby' });

  const ok = await alice.request({ type: 'publish', channel: 'chat:lobby', data: { text: 'hi' }, id: 'm1' });
  assert.equal(ok.type, 'reply');
  assert.deepEqual((await bob.next((m) => m.type === 'publication'))['data'], { text: 'hi' });

  const long = await alice.request({
    type: 'publish',
    channel: 'chat:lobby',
    data: { text: 'x'.repeat(2000) },
    id: 'm2',
  });
  assert.deepEqual(long, {
    type: 'error',
    code: 'invalid_message',
    message: 'Cannot publish: data/text: must NOT have more than 500 characters (maxLength)',
    re: long['re'],
  });
  assert.ok(!JSON.stringify(long).includes('xxxxxxxxxx'), 'the value is never echoed');
  const extra = await alice.request({
    type: 'publish',
    channel: 'chat:lobby',
    data: { text: 'hi', admin: true },
    id: 'm3',
  });
  assert.equal(extra['message'], 'Cannot publish: data: must NOT have additional properties (additionalProperties)');

  const free = await alice.request({ type: 'publish', channel: 'free:x', data: [1, 'anything'], id: 'm4' });
  assert.equal(free.type, 'reply', 'a namespace without a schema takes any JSON value');

  const history = (await bob.request({ type: 'history', channel: 'chat:lobby' }))['data'] as {
    publications: { data: unknown }[];
  };
  assert.deepEqual(
    history.publications.map((p) => p.data),
    [{ text: 'hi' }],
    'refused publications took no offset and reached nobody',
  );
  await bob.request({ type: 'ping' });
  assert.equal(bob.received.filter((m) => m.type === 'publication').length, 0);
  assert.equal((await alice.request({ type: 'ping' })).type, 'reply', 'a refusal costs no strike that closes');
});

test('send: the personal namespace schema applies to private messages', async (t) => {
  const hub = await startHub(t, { namespaces: NAMESPACES });
  const alice = await openClient(t, hub, 'alice');
  const bob = await openClient(t, hub, 'bob');
  await bob.request({ type: 'subscribe', channel: 'user:bob' });
  const bad = await alice.request({ type: 'send', user: 'bob', data: { body: 'psst' } });
  assert.deepEqual([bad.type, bad['code']], ['error', 'invalid_message']);
  assert.match(String(bad['message']), /data: must have required property 'text'/);
  assert.equal((await alice.request({ type: 'send', user: 'bob', data: { text: 'psst' } })).type, 'reply');
  assert.deepEqual((await bob.next((m) => m.type === 'publication'))['data'], { text: 'psst' });
});

test('deep and huge payloads are refused by the codec limits before the schema runs', async (t) => {
  const hub = await startHub(t, { namespaces: NAMESPACES, maxMessageSize: 4096 });
  const alice = await openClient(t, hub, 'alice');
  let deep: unknown = 'leaf';
  for (let i = 0; i < Limits.MAX_DEPTH + 5; i++) deep = { text: deep };
  // Refused before parsing: the answer cannot carry the rid.
  alice.send({ type: 'publish', rid: alice.rid(), channel: 'tags:x', data: deep, id: 'deep' });
  const tooDeep = await alice.next((m) => m.type === 'error');
  assert.deepEqual(
    [tooDeep['code'], tooDeep['message']],
    ['bad_request', 'Cannot accept the message: nested too deep'],
  );
  alice.send({ type: 'publish', rid: alice.rid(), channel: 'chat:x', data: { text: 'y'.repeat(8000) }, id: 'huge' });
  const tooLarge = await alice.next((m) => m.type === 'error');
  assert.equal(tooLarge['code'], 'too_large', 'the size limit answers, not maxLength');
  const history = await hub.hub.broker.history('chat:x');
  assert.equal(history.offset, 0, 'nothing stored');
});

test('RealtimeServer#publish (the HTTP API path) refuses data that breaks the schema with InvalidPayloadError', async (t) => {
  const hub = await startHub(t, { namespaces: NAMESPACES });
  await assert.rejects(
    hub.hub.publish('chat:news', { text: 42 }),
    (err: unknown) =>
      err instanceof InvalidPayloadError &&
      err.code === 'invalid_message' &&
      err.message === 'Cannot publish: data/text: must be string (type)',
  );
  const result = await hub.hub.publish('chat:news', { text: 'from the server' });
  assert.equal(result.offset, 1, 'the refused one took no offset');
});

test('for any JSON value the validator answers null or a bounded reason, and never throws', () => {
  const validators = [compilePayloadSchema('chat', CHAT_SCHEMA), compilePayloadSchema('tags', TAGS_SCHEMA)];
  fc.assert(
    fc.property(fc.jsonValue({ maxDepth: 6 }), fc.string({ maxLength: 2000 }), (value, key) => {
      for (const validate of validators) {
        for (const data of [value, { [key]: value }, { text: value }]) {
          const reason = validate(data);
          if (reason !== null) {
            assert.ok(reason.length <= Limits.MAX_REASON_LENGTH, reason);
            assert.match(reason, /^data(\/|:)/);
            assert.ok(isWellFormed(reason), 'no lone surrogate');
          }
        }
      }
    }),
    { numRuns: 300 },
  );
});
