// The schema-free validator of server messages (src/messages/server-validator.ts) and the zod schemas agree: for
// random valid messages of every type the client receives, and for random mutations of them, both accept or both
// refuse, and when both accept they return the same value.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  JsonCodec,
  Limits,
  checkJsonValue,
  decodeServerJson,
  validateServerMessage,
  validateServerValue,
} from '../../src/messages/index.ts';

const rid = fc.integer({ min: 0, max: Limits.MAX_RID });
const uint = fc.oneof(fc.nat({ max: 1000 }), fc.maxSafeNat());
const channel = fc
  .tuple(fc.stringMatching(/^[A-Za-z0-9_-]{1,8}$/), fc.stringMatching(/^[a-z0-9:.éü]{1,12}$/))
  .map(([ns, name]) => `${ns}:${name}`);
const epoch = fc.stringMatching(/^[\x21-\x7e]{1,12}$/);
const messageId = fc.stringMatching(/^[\x21-\x7e]{1,20}$/);
const user = fc.string({ maxLength: 12 });
// Application data as the server relays it: JSON without the reserved keys (`__proto__`, `constructor`, `prototype`).
const data = fc.jsonValue({ maxDepth: 3 }).filter((v) => checkJsonValue(v, 8) === null);
const reason = fc.string({ maxLength: 30 });

/** Optional fields: each present or absent. */
const optional = <T>(fields: { [K in keyof T]: fc.Arbitrary<T[K]> }) => fc.record(fields, { requiredKeys: [] });

const publicationFields = fc
  .tuple(fc.record({ channel, epoch, offset: uint, data, time: uint }), optional({ sender: user, id: messageId }))
  .map(([a, b]) => ({ ...a, ...b }));
const tombstoneFields = fc.record({ channel, epoch, offset: uint, time: uint, deleted: fc.constant(true as const) });
const presenceUser = fc
  .tuple(fc.record({ user, connections: fc.integer({ min: 1, max: 1000 }) }), optional({ info: data }))
  .map(([a, b]) => ({ ...a, ...b }));

const merge = (type: string, required: fc.Arbitrary<object>, opt: fc.Arbitrary<object>) =>
  fc.tuple(required, opt).map(([a, b]) => ({ type, ...a, ...b }) as Record<string, unknown>);

/** A valid message of every server -> client type (docs/protocol.md §6). */
const validMessage = fc.oneof(
  merge(
    'connected',
    fc.record({ client: fc.stringMatching(/^[a-z0-9]{1,16}$/), user }),
    optional({ re: rid, expires: uint }),
  ),
  merge(
    'subscribed',
    fc.record({
      channel,
      epoch,
      offset: uint,
      recovered: fc.boolean(),
      publications: fc.array(fc.oneof(publicationFields, tombstoneFields), { maxLength: 3 }),
    }),
    optional({ re: rid, presence: fc.array(presenceUser, { maxLength: 3 }) }),
  ),
  merge('unsubscribed', fc.record({ channel }), optional({ re: rid, code: fc.string({ maxLength: 10 }), reason })),
  publicationFields.map((p) => ({ type: 'publication', ...p }) as Record<string, unknown>),
  merge('join', fc.record({ channel, user }), optional({ info: data })),
  merge('leave', fc.record({ channel, user }), optional({ info: data })),
  merge('typing', fc.record({ channel, user, on: fc.boolean() }), fc.constant({})),
  merge('reply', fc.record({ re: rid }), optional({ data })),
  merge('error', fc.record({ code: fc.stringMatching(/^[a-z_]{1,20}$/), message: reason }), optional({ re: rid })),
  merge(
    'disconnect',
    fc.record({ code: fc.integer({ min: 1000, max: 4999 }), reason, reconnect: fc.boolean() }),
    fc.constant({}),
  ),
  merge('deleted', fc.record({ channel, epoch, offset: uint }), fc.constant({})),
);

const strings = (...lengths: number[]) => lengths.map((n) => 'x'.repeat(n));
/** Values chosen to sit on every bound and type the schemas draw (lengths 64 / 128 / 255 / 256, ranges, printable ASCII). */
const tricky = fc.oneof(
  fc.constantFrom<unknown>(
    -1,
    0,
    1,
    1.5,
    -0.5,
    999,
    1000,
    4999,
    5000,
    2 ** 53,
    Limits.MAX_RID,
    Limits.MAX_RID + 1,
    true,
    false,
    null,
    [],
    {},
    '',
    ' ',
    'a b',
    'é',
    '\t',
    'chat:general',
    'chat:',
    ':x',
    'c:x y',
    'c:*',
    `${'n'.repeat(65)}:x`,
    `n:${'x'.repeat(253)}`,
    ...strings(1, 63, 64, 65, 127, 128, 129, 254, 255, 256, 257),
    'connected',
    'subscribed',
    'publication',
    'reply',
    'nope',
  ),
  fc.jsonValue({ maxDepth: 2 }),
);
const KEYS = [
  'type',
  're',
  'channel',
  'epoch',
  'offset',
  'data',
  'time',
  'sender',
  'id',
  'user',
  'client',
  'expires',
  'recovered',
  'publications',
  'presence',
  'connections',
  'info',
  'code',
  'reason',
  'message',
  'on',
  'reconnect',
  'deleted',
  'extra',
  'constructor',
];

/** Every object or array inside `value` (the value itself included), for a mutation to pick from. */
function containers(
  value: unknown,
  out: (Record<string, unknown> | unknown[])[] = [],
): (Record<string, unknown> | unknown[])[] {
  if (typeof value === 'object' && value !== null) {
    out.push(value as Record<string, unknown>);
    for (const v of Object.values(value)) containers(v, out);
  }
  return out;
}

type Mutation = { kind: 'delete' | 'set' | 'add'; pick: number; pickKey: number; key: string; value: unknown };
const mutation = fc.record({
  kind: fc.constantFrom('delete', 'set', 'add'),
  pick: fc.nat(),
  pickKey: fc.nat(),
  key: fc.constantFrom(...KEYS),
  value: tricky,
}) as fc.Arbitrary<Mutation>;

/** Applies mutations to a deep copy: delete a field, replace a field's value, or add a (known or unknown) field. */
function mutate(message: Record<string, unknown>, mutations: readonly Mutation[]): unknown {
  const copy = structuredClone(message);
  for (const m of mutations) {
    const all = containers(copy);
    const target = all[m.pick % all.length]!;
    const keys = Object.keys(target);
    const key = m.kind === 'add' || keys.length === 0 ? m.key : keys[m.pickKey % keys.length]!;
    if (m.kind === 'delete') delete (target as Record<string, unknown>)[key];
    else
      Object.defineProperty(target, key, {
        value: structuredClone(m.value),
        enumerable: true,
        writable: true,
        configurable: true,
      });
  }
  return copy;
}

function agree(value: unknown): void {
  const ours = validateServerValue(value);
  const theirs = validateServerMessage(value);
  assert.equal(
    ours !== null,
    theirs.ok,
    `hand validator ${ours !== null ? 'accepts' : 'refuses'}, schemas ${theirs.ok ? 'accept' : `refuse (${theirs.ok ? '' : theirs.error.message})`}: ${JSON.stringify(value)}`,
  );
  if (theirs.ok) assert.deepEqual(ours, theirs.message);
}

test('every valid server message is accepted by both, with the same result (unknown fields dropped)', () => {
  fc.assert(
    fc.property(validMessage, (m) => {
      assert.ok(validateServerMessage(m).ok, `the generator made an invalid message: ${JSON.stringify(m)}`);
      agree(m);
      agree({ ...m, extra: { nested: [1, 2] } });
    }),
    { numRuns: 2000 },
  );
});

test('mutated server messages (deleted, retyped, added fields, nested ones included) are accepted or refused alike', () => {
  let refused = 0;
  let accepted = 0;
  fc.assert(
    fc.property(validMessage, fc.array(mutation, { minLength: 1, maxLength: 3 }), (m, ms) => {
      const v = mutate(m, ms);
      agree(v);
      if (validateServerMessage(v).ok) accepted++;
      else refused++;
    }),
    { numRuns: 5000 },
  );
  // The mutations reach both sides of the line, so agreement is tested on refusals as well as acceptances.
  assert.ok(refused > 1000 && accepted > 500, `refused ${refused}, accepted ${accepted}`);
});

test('arbitrary JSON values and objects with a known type and random fields are accepted or refused alike', () => {
  fc.assert(
    fc.property(fc.jsonValue(), (v) => agree(v)),
    { numRuns: 1000 },
  );
  const known = fc.constantFrom(
    'connected',
    'subscribed',
    'unsubscribed',
    'publication',
    'join',
    'leave',
    'typing',
    'reply',
    'error',
    'disconnect',
    'deleted',
  );
  fc.assert(
    fc.property(known, fc.dictionary(fc.constantFrom(...KEYS), tricky, { maxKeys: 8 }), (type, fields) => {
      const v = { ...fields };
      Object.defineProperty(v, 'type', { value: type, enumerable: true, writable: true, configurable: true });
      agree(v);
    }),
    { numRuns: 3000 },
  );
});

test('reserved keys, non-plain values and nesting beyond the server depth are refused by both', () => {
  const base = { type: 'publication', channel: 'chat:x', epoch: 'E', offset: 1, time: 1 };
  let deep: unknown = 1;
  for (let i = 0; i < Limits.MAX_SERVER_DEPTH; i++) deep = [deep];
  const cases: unknown[] = [
    JSON.parse(
      '{"type":"publication","channel":"chat:x","epoch":"E","offset":1,"time":1,"data":{"__proto__":{"x":1}}}',
    ),
    { ...base, data: { constructor: 1 } },
    { ...base, data: deep },
    { ...base, data: new Date(0) },
    { ...base, data: Number.NaN },
    { ...base, data: () => 1 },
    Object.assign(Object.create({ type: 'reply' }), { re: 1 }),
  ];
  for (const v of cases) {
    assert.equal(validateServerValue(v), null);
    assert.equal(validateServerMessage(v).ok, false);
  }
  let shallow: unknown = 1;
  for (let i = 0; i < Limits.MAX_SERVER_DEPTH - 1; i++) shallow = [shallow];
  agree({ ...base, data: shallow });
  assert.notEqual(validateServerValue({ ...base, data: shallow }), null, 'data nested to the limit is accepted');
});

test('decodeServerJson accepts and refuses frames as JsonCodec.decodeServerMessage does', () => {
  const codec = new JsonCodec();
  const frames = [
    '{"type":"reply","re":1,"data":{"a":1}}',
    '{"type":"reply","re":1',
    'null',
    '',
    '{"type":"reply","re":1}x',
    `{"type":"reply","re":1,"data":${'['.repeat(40)}${']'.repeat(40)}}`,
    `{"type":"reply","re":1,"data":"${'['.repeat(100)}"}`,
    '{"type":"reply","re":1,"data":1e400}',
    '{"type":"join","channel":"chat:x","user":"u","info":{"__proto__":null}}',
  ];
  for (const f of frames)
    assert.deepEqual(
      decodeServerJson(f),
      (({ ok, ...r }) => (ok ? (r as { message: unknown }).message : null))(codec.decodeServerMessage(f)),
      f,
    );
  const big = `{"type":"reply","re":1,"data":"${'é'.repeat(40)}"}`;
  assert.equal(decodeServerJson(big, 60), null, 'the size bound counts UTF-8 bytes');
  assert.notEqual(decodeServerJson(big, 200), null);
});
