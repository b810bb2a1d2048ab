// DocumentStore contract tests, written once and run against every store (memory, file, Redis, PostgreSQL).
import { describe, test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import * as Y from 'yjs';
import { BrokerError, type DocumentStore, type StoredDocument } from '../../../src/broker/index.ts';

/** A document name unique to this run, so a shared store (Redis, PostgreSQL) never mixes runs. */
export function docName(label: string): string {
  return `doc:${label}-${randomUUID()}`;
}

/** Names a store must keep apart and never turn into paths or keys outside its own space. */
export const HOSTILE_NAMES: readonly string[] = [
  'doc:../../etc/passwd',
  '../../../../tmp/escape',
  '/etc/passwd',
  'doc:a/b',
  'doc:a_2fb',
  'doc:a\\b',
  'doc:..',
  '.',
  '..',
  'doc:\u0000nul',
  'doc:new\nline',
  'doc:{tag}}x{',
  'doc:quote\'"; DROP TABLE x; --',
  'doc:Readme',
  'doc:readme',
  'doc:ünïcødé-📄',
  `doc:${'long-'.repeat(1000)}`,
  `doc:${'long-'.repeat(1000)}x`,
];

/** Rebuilds a Y.Doc from what a store returned. */
export function rebuild(stored: StoredDocument): Y.Doc {
  const doc = new Y.Doc();
  if (stored.snapshot !== null) Y.applyUpdate(doc, stored.snapshot);
  for (const update of stored.updates) Y.applyUpdate(doc, update);
  return doc;
}

/** A Y.Doc that records every update it produces. */
export function recordingDoc(): { doc: Y.Doc; updates: Uint8Array[] } {
  const doc = new Y.Doc();
  const updates: Uint8Array[] = [];
  doc.on('update', (update: Uint8Array) => updates.push(update));
  return { doc, updates };
}

export function assertSameDoc(actual: Y.Doc, expected: Y.Doc, what: string): void {
  assert.equal(actual.getText('t').toString(), expected.getText('t').toString(), `${what}: text`);
  assert.deepEqual(Y.encodeStateVector(actual), Y.encodeStateVector(expected), `${what}: state vector`);
}

function bytesOf(stored: StoredDocument): number {
  return (stored.snapshot?.byteLength ?? 0) + stored.updates.reduce((sum, u) => sum + u.byteLength, 0);
}

/**
 * Registers the DocumentStore contract as a `describe` block.
 * @param name Implementation name shown in test titles.
 * @param makeStore Creates a fresh, ready store; the suite closes it after each test.
 */
export function runDocumentStoreContract(name: string, makeStore: () => Promise<DocumentStore>): void {
  async function open(t: TestContext): Promise<DocumentStore> {
    const store = await makeStore();
    t.after(() => store.close());
    return store;
  }

  describe(`DocumentStore contract: ${name}`, () => {
    test('an unknown document loads empty', async (t) => {
      const store = await open(t);
      assert.deepEqual(await store.load(docName('unknown')), { snapshot: null, updates: [], bytes: 0 });
    });

    test('appends load back in order, byte for byte, with their total size', async (t) => {
      const store = await open(t);
      const doc = docName('order');
      const sent = [
        Uint8Array.of(1),
        Uint8Array.of(2, 2),
        new Uint8Array(0),
        Uint8Array.from({ length: 3000 }, (_, i) => i % 251),
      ];
      for (const update of sent) await store.append(doc, update);
      const stored = await store.load(doc);
      assert.equal(stored.snapshot, null);
      assert.deepEqual(
        stored.updates.map((u) => [...u]),
        sent.map((u) => [...u]),
      );
      assert.equal(stored.bytes, 3003);
      assert.equal(bytesOf(stored), stored.bytes);
      // A view into a larger buffer is stored as its own bytes only.
      const big = Uint8Array.of(9, 8, 7, 6, 5);
      await store.append(doc, big.subarray(1, 3));
      assert.deepEqual([...(await store.load(doc)).updates.at(-1)!], [8, 7]);
    });

    test('documents are independent', async (t) => {
      const store = await open(t);
      const [a, b] = [docName('a'), docName('b')];
      await store.append(a, Uint8Array.of(1));
      await store.append(b, Uint8Array.of(2));
      await store.delete(a);
      assert.deepEqual((await store.load(a)).updates, []);
      assert.deepEqual(
        (await store.load(b)).updates.map((u) => [...u]),
        [[2]],
      );
    });

    test('compaction replaces the snapshot and the first N updates; appends made meanwhile stay in the tail', async (t) => {
      const store = await open(t);
      const name = docName('compact');
      const { doc, updates } = recordingDoc();
      const text = doc.getText('t');
      for (let i = 0; i < 20; i++) text.insert(text.length, `line ${i}\n`);
      for (const u of updates) await store.append(name, u);
      const loaded = await store.load(name);
      assert.equal(loaded.updates.length, 20);
      const snapshot = Y.encodeStateAsUpdate(rebuild(loaded));
      // Edits that race the compaction: issued before, during and after it, none awaited until the end.
      const before = updates.length;
      const racing: Promise<void>[] = [];
      for (let i = 0; i < 5; i++) text.insert(0, `race ${i} `);
      racing.push(...updates.slice(before, before + 2).map((u) => store.append(name, u)));
      const compaction = store.compact(name, snapshot, loaded.updates.length);
      racing.push(...updates.slice(before + 2).map((u) => store.append(name, u)));
      await Promise.all([compaction, ...racing]);
      const after = await store.load(name);
      assert.notEqual(after.snapshot, null);
      assert.equal(after.updates.length, 5, 'the racing appends are the tail');
      assert.equal(after.bytes, bytesOf(after));
      assertSameDoc(rebuild(after), doc, 'after compaction');
      // A second compaction of the new tail leaves only a snapshot.
      await store.compact(name, Y.encodeStateAsUpdate(doc), 5);
      const last = await store.load(name);
      assert.equal(last.updates.length, 0);
      assertSameDoc(rebuild(last), doc, 'after the second compaction');
    });

    test('compaction of an unknown document stores the snapshot; replacing more updates than exist is refused', async (t) => {
      const store = await open(t);
      const name = docName('compact-new');
      await store.compact(name, Uint8Array.of(0, 0), 0);
      assert.deepEqual([...((await store.load(name)).snapshot ?? [])], [0, 0]);
      await store.append(name, Uint8Array.of(7));
      await assert.rejects(store.compact(name, Uint8Array.of(1), 2), RangeError);
      await assert.rejects(store.compact(name, Uint8Array.of(1), -1), RangeError);
      const stored = await store.load(name);
      assert.deepEqual([...(stored.snapshot ?? [])], [0, 0], 'a refused compaction changed nothing');
      assert.deepEqual(
        stored.updates.map((u) => [...u]),
        [[7]],
      );
    });

    test('hostile names are stored apart from each other and load back', async (t) => {
      const store = await open(t);
      const suffix = randomUUID();
      const names = HOSTILE_NAMES.map((n) => `${n}${suffix}`);
      for (const [i, n] of names.entries()) await store.append(n, Uint8Array.of(i));
      for (const [i, n] of names.entries()) {
        assert.deepEqual(
          (await store.load(n)).updates.map((u) => [...u]),
          [[i]],
          `document ${JSON.stringify(n.slice(0, 40))}`,
        );
      }
      for (const n of names) await store.delete(n);
      for (const n of names) assert.equal((await store.load(n)).updates.length, 0);
    });

    test('10,000 appends load back into a Y.Doc equal to the source', async (t) => {
      const store = await open(t);
      const name = docName('ten-thousand');
      const { doc, updates } = recordingDoc();
      const text = doc.getText('t');
      for (let i = 0; i < 10_000; i++) {
        if (i % 7 === 3 && text.length > 10) text.delete((i * 31) % (text.length - 5), 3);
        else text.insert((i * 17) % (text.length + 1), `w${i} `);
      }
      assert.equal(updates.length, 10_000);
      // 50 appends in flight at a time: a store may batch them, and must still keep every one.
      for (let i = 0; i < updates.length; i += 50) {
        await Promise.all(updates.slice(i, i + 50).map((u) => store.append(name, u)));
      }
      const stored = await store.load(name);
      assert.equal(stored.updates.length, 10_000);
      assertSameDoc(rebuild(stored), doc, 'after 10,000 appends');
    });

    test('a closed store refuses every operation with BROKER_CLOSED', async (t) => {
      const store = await open(t);
      await store.close();
      const closed = (err: unknown): boolean => err instanceof BrokerError && err.code === 'BROKER_CLOSED';
      await assert.rejects(store.load(docName('closed')), closed);
      await assert.rejects(store.append(docName('closed'), Uint8Array.of(1)), closed);
      await assert.rejects(store.compact(docName('closed'), Uint8Array.of(1), 0), closed);
      await assert.rejects(store.delete(docName('closed')), closed);
      await store.close();
    });
  });
}
