// Documents, update validation: `isValidUpdate` decodes an update with Yjs's own readers instead of applying it to a
// scratch document. These properties check that the cheaper check refuses everything the scratch document refused,
// and that whatever it accepts applies to a live document without throwing and leaves it consistent.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import * as Y from 'yjs';
import { isValidUpdate } from '../../../src/realtime/documents/validate.ts';

/** Runs of the damage properties (raise DOC_VALIDATE_RUNS for a longer search). */
const RUNS = Number(process.env['DOC_VALIDATE_RUNS'] ?? 2000);

/** The previous check: decode, then apply to an empty scratch document. */
function scratchAccepts(update: Uint8Array): boolean {
  if (update.byteLength < 2) return false;
  const scratch = new Y.Doc({ gc: false });
  try {
    Y.decodeUpdate(update);
    Y.applyUpdate(scratch, update);
    return true;
  } catch {
    return false;
  } finally {
    scratch.destroy();
  }
}

type Edit =
  | { readonly kind: 'text'; readonly at: number; readonly text: string }
  | { readonly kind: 'delete'; readonly at: number; readonly length: number }
  | { readonly kind: 'map'; readonly key: string; readonly value: unknown }
  | { readonly kind: 'array'; readonly values: unknown[] }
  | { readonly kind: 'nested'; readonly key: string }
  | { readonly kind: 'format'; readonly at: number; readonly length: number };

const edit: fc.Arbitrary<Edit> = fc.oneof(
  fc.record({ kind: fc.constant('text' as const), at: fc.nat(40), text: fc.string({ minLength: 1, maxLength: 6 }) }),
  fc.record({ kind: fc.constant('delete' as const), at: fc.nat(40), length: fc.integer({ min: 1, max: 5 }) }),
  fc.record({
    kind: fc.constant('map' as const),
    key: fc.string({ maxLength: 4 }),
    value: fc.jsonValue({ maxDepth: 2 }),
  }),
  fc.record({ kind: fc.constant('array' as const), values: fc.array(fc.jsonValue({ maxDepth: 1 }), { maxLength: 3 }) }),
  fc.record({ kind: fc.constant('nested' as const), key: fc.string({ maxLength: 4 }) }),
  fc.record({ kind: fc.constant('format' as const), at: fc.nat(40), length: fc.integer({ min: 1, max: 5 }) }),
);

function run(doc: Y.Doc, e: Edit): void {
  const text = doc.getText('text');
  switch (e.kind) {
    case 'text':
      text.insert(Math.min(e.at, text.length), e.text);
      break;
    case 'delete':
      if (text.length > 0)
        text.delete(Math.min(e.at, text.length - 1), Math.min(e.length, text.length - Math.min(e.at, text.length - 1)));
      break;
    case 'map':
      doc.getMap('map').set(e.key, e.value);
      break;
    case 'array':
      doc.getArray('array').push(e.values);
      break;
    case 'nested': {
      const inner = new Y.Map<unknown>();
      doc.getMap('map').set(e.key, inner);
      inner.set('x', e.key);
      break;
    }
    case 'format':
      if (text.length > 0) text.format(Math.min(e.at, text.length - 1), e.length, { bold: true });
      break;
  }
}

/** A base document (the server's state) and one more update made on a replica of it (what a client sends). */
const scenario = fc
  .tuple(fc.array(edit, { maxLength: 12 }), fc.array(edit, { minLength: 1, maxLength: 6 }))
  .map(([before, after]) => {
    const base = new Y.Doc();
    for (const e of before) run(base, e);
    const replica = new Y.Doc();
    Y.applyUpdate(replica, Y.encodeStateAsUpdate(base));
    const sv = Y.encodeStateVector(replica);
    for (const e of after) run(replica, e);
    return { base: Y.encodeStateAsUpdate(base), update: Y.encodeStateAsUpdate(replica, sv) };
  });

type Damage =
  | { readonly kind: 'truncate'; readonly at: number }
  | { readonly kind: 'flip'; readonly at: number; readonly value: number }
  | { readonly kind: 'insert'; readonly at: number; readonly bytes: Uint8Array }
  | { readonly kind: 'cut'; readonly at: number; readonly length: number }
  | { readonly kind: 'garbage'; readonly bytes: Uint8Array };

/** Ways a client's bytes go wrong: cut short, bytes changed, bytes inserted or removed, or plain garbage. */
const damage: fc.Arbitrary<Damage> = fc.oneof(
  fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), value: fc.integer({ min: 0, max: 255 }) }),
  fc.record({
    kind: fc.constant('insert' as const),
    at: fc.nat(),
    bytes: fc.uint8Array({ minLength: 1, maxLength: 6 }),
  }),
  fc.record({ kind: fc.constant('cut' as const), at: fc.nat(), length: fc.integer({ min: 1, max: 6 }) }),
  fc.record({ kind: fc.constant('garbage' as const), bytes: fc.uint8Array({ maxLength: 64 }) }),
);

/** Damages an update as `d` says. */
function harm(update: Uint8Array, d: Damage): Uint8Array {
  const at = 'at' in d ? d.at % (update.length + 1) : 0;
  switch (d.kind) {
    case 'truncate':
      return update.slice(0, Math.min(at, update.length - 1));
    case 'flip': {
      const out = update.slice();
      if (out.length > 0) out[at % out.length] = d.value;
      return out;
    }
    case 'insert':
      return new Uint8Array([...update.subarray(0, at), ...d.bytes, ...update.subarray(at)]);
    case 'cut':
      return new Uint8Array([...update.subarray(0, at), ...update.subarray(at + d.length)]);
    case 'garbage':
      return d.bytes;
  }
}

test('every valid update is accepted', () => {
  fc.assert(
    fc.property(scenario, ({ base, update }) => {
      assert.equal(isValidUpdate(update), true);
      assert.equal(isValidUpdate(base) || base.byteLength < 2, true);
    }),
    { numRuns: 300 },
  );
});

test('a truncated update is always refused', () => {
  fc.assert(
    fc.property(scenario, fc.nat(), ({ update }, at) => {
      assert.equal(isValidUpdate(update.subarray(0, at % update.byteLength)), false);
    }),
    { numRuns: 300 },
  );
});

test('damaged or garbage bytes: refused whenever the scratch-document check refused them', () => {
  fc.assert(
    fc.property(scenario, damage, ({ update }, d) => {
      const bytes = harm(update, d);
      if (!scratchAccepts(bytes)) assert.equal(isValidUpdate(bytes), false);
    }),
    { numRuns: RUNS },
  );
});

test('what is accepted applies to a live document without throwing and leaves it consistent', () => {
  fc.assert(
    fc.property(scenario, damage, ({ base, update }, d) => {
      const bytes = harm(update, d);
      if (!isValidUpdate(bytes)) return;
      const live = new Y.Doc();
      Y.applyUpdate(live, base);
      const before = Y.decodeStateVector(Y.encodeStateVector(live));
      Y.applyUpdate(live, bytes);
      // Nothing known before is lost, and the stored form of the document reloads to the same content. The text is
      // compared as text: where a damaged update leaves formatting marks in an odd order, Yjs itself may place a
      // format boundary one character apart after a reload (found by this property in CI, seed 2121507545: the
      // same 6 spaces and 3 newlines, bold starting at the 2nd character live and at the 6th reloaded).
      const after = Y.decodeStateVector(Y.encodeStateVector(live));
      for (const [client, clock] of before) assert.ok((after.get(client) ?? 0) >= clock);
      const reloaded = new Y.Doc();
      Y.applyUpdate(reloaded, Y.encodeStateAsUpdate(live));
      assert.equal(reloaded.getText('text').toString(), live.getText('text').toString());
      assert.deepEqual(reloaded.getMap('map').toJSON(), live.getMap('map').toJSON());
      assert.deepEqual(reloaded.getArray('array').toJSON(), live.getArray('array').toJSON());
    }),
    { numRuns: RUNS },
  );
});

test('client ids and clocks past 2^53 are refused: they apply, but the document could no longer be encoded and read', () => {
  // Found by the property above: a 9-byte varint client id. Applied, it made encodeStateAsUpdate unreadable.
  const update = Uint8Array.from([
    1, 2, 150, 148, 205, 210, 128, 128, 128, 128, 65, 9, 0, 40, 1, 3, 109, 97, 112, 0, 1, 117, 6, 126, 121, 121, 119, 4,
    32, 32, 32, 32, 121, 123, 128, 0, 0, 0, 0, 0, 0, 1, 8, 1, 5, 97, 114, 114, 97, 121, 1, 117, 0, 0,
  ]);
  assert.equal(scratchAccepts(update), true, 'the scratch-document check let it through');
  assert.equal(isValidUpdate(update), false);
  const live = new Y.Doc();
  Y.applyUpdate(live, update);
  assert.throws(() => Y.applyUpdate(new Y.Doc(), Y.encodeStateAsUpdate(live)), /Integer out of Range/);
});
