// The hand check of client `doc` messages (src/messages/doc-message.ts) against the schema it stands in for: on
// near-valid messages (each field valid or drawn from its edge cases, extra fields, missing ones) it accepts exactly
// what `DocSchema` accepts, with the same value; and the codec's answers to refused ones are the schema's.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { DocSchema, JsonCodec, Limits } from '../../src/messages/index.ts';
import { asDocMessage } from '../../src/messages/doc-message.ts';

const base64 = fc.uint8Array({ maxLength: 40 }).map((b) => Buffer.from(b).toString('base64'));
const field = {
  type: fc.constantFrom<unknown>('doc', 'doc', 'Doc', 'publish', 1),
  channel: fc.oneof(
    fc.constantFrom<unknown>(
      'doc:readme',
      'doc:a',
      'doc:',
      ':x',
      'doc:a*b',
      'doc:a b',
      'x'.repeat(300),
      `doc:${'é'.repeat(251)}`,
      7,
      null,
    ),
    fc.stringMatching(/^[a-z]{1,4}:[a-z0-9.é-]{1,8}$/),
  ),
  kind: fc.constantFrom<unknown>('sync1', 'sync2', 'update', 'awareness', 'Update', '', 3),
  data: fc.oneof(
    base64,
    base64.map((s) => `${s}=`),
    base64.map((s) => s.slice(1)),
    fc.constantFrom<unknown>('', '====', 'ab$d', 'YQ==', 'YWI=', 'YWJj', 42, ['YQ==']),
  ),
  rid: fc.oneof(
    fc.integer({ min: 0, max: Limits.MAX_RID }),
    fc.constantFrom<unknown>(-1, -0, 1.5, Limits.MAX_RID + 1, Number.MAX_SAFE_INTEGER + 2, '1', null, true),
  ),
  more: fc.constantFrom<unknown>(true, false, 'true', 1, null),
  quiet: fc.constantFrom<unknown>(true, false, 'true', 0, null),
  other: fc.jsonValue({ maxDepth: 1 }),
};

const valid = fc.record(
  {
    type: fc.constant('doc'),
    channel: fc.stringMatching(/^doc:[a-z0-9.-]{1,8}$/),
    kind: fc.constantFrom('sync1', 'sync2', 'update', 'awareness'),
    data: base64,
    rid: fc.integer({ min: 0, max: Limits.MAX_RID }),
    more: fc.constant(true),
    quiet: fc.boolean(),
  },
  { requiredKeys: ['type', 'channel', 'kind', 'data'] },
);
const near = fc
  .record(field, { requiredKeys: [] })
  .map(({ other, ...rest }) => (other === undefined ? rest : { ...rest, [`x${typeof other}`]: other }));
/** A valid message with one field drawn from its edge cases, or without it (`other`: an extra field). */
const oneOff = fc
  .tuple(
    valid,
    fc.oneof(...Object.entries(field).map(([key, arb]) => arb.map((v): [string, unknown] => [key, v]))),
    fc.boolean(),
  )
  .map(([v, [key, value], drop]) => {
    const out: Record<string, unknown> = { ...v };
    if (key === 'other') out['extra'] = value;
    else if (drop) delete out[key];
    else out[key] = value;
    return out;
  });
/** A valid message, one a field off, or any mix of edge cases. */
const message = fc.oneof(valid, oneOff, near);

test('asDocMessage accepts exactly what DocSchema accepts, with the same value', () => {
  let accepted = 0;
  fc.assert(
    fc.property(message, (value) => {
      const fast = asDocMessage(value);
      const schema = DocSchema.safeParse(value);
      assert.equal(fast !== null, schema.success, JSON.stringify(value));
      if (fast !== null) {
        accepted++;
        assert.deepEqual({ ...fast }, schema.data);
      }
    }),
    { numRuns: 5000 },
  );
  assert.ok(accepted > 1000, `the property reached accepted messages (${accepted})`);
});

test('the codec answers a refused doc message as the schema words it, and takes a valid one', () => {
  const codec = new JsonCodec();
  const ok = codec.decodeClientMessage('{"type":"doc","channel":"doc:readme","kind":"update","data":"AAA=","rid":3}');
  assert.deepEqual(ok, {
    ok: true,
    message: { type: 'doc', channel: 'doc:readme', kind: 'update', data: 'AAA=', rid: 3 },
  });
  const bad = codec.decodeClientMessage('{"type":"doc","channel":"doc:readme","kind":"update","data":"AA$=","rid":3}');
  assert.deepEqual(bad, {
    ok: false,
    error: { code: 'invalid_message', message: 'Invalid "doc" message: data: Invalid base64', rid: 3 },
  });
  const extra = codec.decodeClientMessage('{"type":"doc","channel":"doc:readme","kind":"update","data":"","x":1}');
  assert.equal(extra.ok, false);
  assert.equal(!extra.ok && extra.error.message, 'Invalid "doc" message: unknown field');
});
