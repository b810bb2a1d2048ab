// MemoryDocumentStore against the shared DocumentStore contract, and its buffer layout against a model.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { MemoryDocumentStore } from '../../../src/broker/index.ts';
import { runDocumentStoreContract } from './contract.ts';

runDocumentStoreContract('MemoryDocumentStore', async () => new MemoryDocumentStore());

// The memory store's own layout (one buffer per document, each update after its length) against a model: a plain list
// of copies.
test('MemoryDocumentStore: random appends and compactions load back as a list of copies would', async () => {
  type Op = { kind: 'append'; bytes: Uint8Array } | { kind: 'compact'; at: number };
  const op: fc.Arbitrary<Op> = fc.oneof(
    { weight: 4, arbitrary: fc.uint8Array({ maxLength: 600 }).map((bytes) => ({ kind: 'append' as const, bytes })) },
    { weight: 1, arbitrary: fc.nat(1000).map((at) => ({ kind: 'compact' as const, at })) },
  );
  await fc.assert(
    fc.asyncProperty(fc.array(op, { maxLength: 60 }), async (ops) => {
      const store = new MemoryDocumentStore();
      let model: { snapshot: Uint8Array | null; seq0: number; updates: Uint8Array[] } = {
        snapshot: null,
        seq0: 0,
        updates: [],
      };
      for (const o of ops) {
        if (o.kind === 'append') {
          await store.append('d', o.bytes);
          model.updates.push(o.bytes.slice());
          o.bytes.fill(7); // the caller reuses its buffer: the store kept its own copy
        } else {
          const through = model.seq0 + (o.at % (model.updates.length + 1));
          const snapshot = new Uint8Array([through % 256, 1, 2]);
          assert.equal(await store.compact('d', snapshot, through), true);
          model = { snapshot, seq0: through, updates: model.updates.slice(through - model.seq0) };
        }
        const loaded = await store.load('d');
        assert.deepEqual(loaded.snapshot, model.snapshot);
        assert.deepEqual(loaded.updates, model.updates);
        assert.equal(loaded.seq, model.seq0 + model.updates.length);
        let bytes = model.snapshot?.byteLength ?? 0;
        for (const u of model.updates) bytes += u.byteLength;
        assert.equal(loaded.bytes, bytes);
        loaded.updates[0]?.fill(9); // a loaded copy is the caller's
      }
    }),
    { numRuns: 200 },
  );
});

test('MemoryDocumentStore: updates whose length prefixes take one to three bytes load back whole', async () => {
  const store = new MemoryDocumentStore();
  const sizes = [0, 1, 127, 128, 16_383, 16_384, 70_000];
  const updates = sizes.map((n, i) => new Uint8Array(n).fill(i + 1));
  for (const u of updates) await store.append('d', u);
  const loaded = await store.load('d');
  assert.deepEqual(loaded.updates, updates);
  assert.equal(
    loaded.bytes,
    sizes.reduce((a, b) => a + b, 0),
  );
  assert.equal(await store.compact('d', new Uint8Array([9]), 3), true);
  const after = await store.load('d');
  assert.deepEqual(after.updates, updates.slice(3));
  assert.equal(after.bytes, 1 + sizes.slice(3).reduce((a, b) => a + b, 0));
});
