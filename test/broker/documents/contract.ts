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
      assert.deepEqual(await store.load(docName('unknown')), { snapshot: null, updates: [], bytes: 0, seq: 0 });
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
      const compaction = store.compact(name, snapshot, loaded.seq);
      racing.push(...updates.slice(before + 2).map((u) => store.append(name, u)));
      const [compacted] = await Promise.all([compaction, ...racing]);
      assert.equal(compacted, true);
      const after = await store.load(name);
      assert.ok(after.seq > loaded.seq, `seq ${after.seq} after ${loaded.seq}: the racing appends are numbered on`);
      assert.notEqual(after.snapshot, null);
      assert.equal(after.updates.length, 5, 'the racing appends are the tail');
      assert.equal(after.bytes, bytesOf(after));
      assertSameDoc(rebuild(after), doc, 'after compaction');
      // A second compaction of the new tail leaves only a snapshot.
      assert.equal(await store.compact(name, Y.encodeStateAsUpdate(doc), after.seq), true);
      const last = await store.load(name);
      assert.equal(last.updates.length, 0);
      assert.equal(last.seq, after.seq, 'a compaction keeps the numbering');
      assertSameDoc(rebuild(last), doc, 'after the second compaction');
    });

    test('compaction of an unknown document stores the snapshot; compacting beyond the last update is refused', async (t) => {
      const store = await open(t);
      const name = docName('compact-new');
      assert.equal(await store.compact(name, Uint8Array.of(0, 0), 0), true);
      assert.deepEqual([...((await store.load(name)).snapshot ?? [])], [0, 0]);
      await store.append(name, Uint8Array.of(7));
      const { seq } = await store.load(name);
      assert.ok(seq > 0, `seq ${seq} after an append`);
      await assert.rejects(store.compact(name, Uint8Array.of(1), seq + 1), RangeError);
      for (const bad of [-1, 1.5, Number.NaN, Number.MAX_SAFE_INTEGER + 1]) {
        await assert.rejects(store.compact(name, Uint8Array.of(1), bad), RangeError, String(bad));
      }
      const stored = await store.load(name);
      assert.deepEqual([...(stored.snapshot ?? [])], [0, 0], 'a refused compaction changed nothing');
      assert.deepEqual(
        stored.updates.map((u) => [...u]),
        [[7]],
      );
    });

    test('seq numbers appends, survives compaction, and a compaction older than the stored one changes nothing', async (t) => {
      const store = await open(t);
      const name = docName('seq');
      const seqs: number[] = [];
      for (let i = 1; i <= 3; i++) {
        await store.append(name, Uint8Array.of(i));
        seqs.push((await store.load(name)).seq);
      }
      assert.ok(seqs[0]! > 0 && seqs[0]! < seqs[1]! && seqs[1]! < seqs[2]!, `increasing: ${seqs}`);
      // Two readers built snapshots: one after update 1, one after update 3. The newer compacts first.
      assert.equal(await store.compact(name, Uint8Array.of(13), seqs[2]!), true);
      assert.equal(await store.compact(name, Uint8Array.of(11), seqs[0]!), false, 'the older snapshot is refused');
      const stored = await store.load(name);
      assert.deepEqual([...(stored.snapshot ?? [])], [13]);
      assert.equal(stored.updates.length, 0);
      assert.equal(stored.seq, seqs[2]);
      await store.append(name, Uint8Array.of(4));
      const next = await store.load(name);
      assert.ok(next.seq > seqs[2]!, `numbering goes on after a compaction: ${next.seq}`);
      // The same read compacted twice (a retry) is harmless.
      assert.equal(await store.compact(name, Uint8Array.of(14), next.seq), true);
      assert.equal(await store.compact(name, Uint8Array.of(14), next.seq), true);
      assert.deepEqual(await store.load(name), { snapshot: Uint8Array.of(14), updates: [], bytes: 1, seq: next.seq });
    });

    test('appends racing compactions from two readers, many rounds: no update is ever lost', async (t) => {
      const store = await open(t);
      const name = docName('race');
      // Three writers with their own Yjs clients; an update missed by a snapshot leaves that writer's later ones
      // unintegrable, so the rebuilt document would fall short of the writer's state.
      const writers = [0, 1, 2].map(() => recordingDoc());
      const ROUNDS = 40;
      const PER_ROUND = 6;
      let compactions = 0;
      let refused = 0;
      const read = async () => {
        const loaded = await store.load(name);
        return { seq: loaded.seq, snapshot: Y.encodeStateAsUpdate(rebuild(loaded)) };
      };
      const compactWith = async (r: { seq: number; snapshot: Uint8Array }): Promise<void> => {
        if (await store.compact(name, r.snapshot, r.seq)) compactions++;
        else refused++;
      };
      const compactor = async (): Promise<void> => {
        const r = await read();
        // Let appends and the other reader's compaction run between this read and this compaction.
        await new Promise((resolve) => setImmediate(resolve));
        await compactWith(r);
      };
      const write = (from: number, to: number): Promise<void>[] =>
        writers.map(async ({ updates }) => {
          for (const u of updates.slice(from, to)) await store.append(name, u);
        });
      for (let round = 0; round < ROUNDS; round++) {
        const from = round * PER_ROUND;
        for (const [w, { doc }] of writers.entries()) {
          for (let i = 0; i < PER_ROUND; i++) doc.getArray<string>('a').push([`${w}.${round}.${i}`]);
        }
        if (round % 2 === 0) {
          // Free for all: both readers and every writer at once.
          await Promise.all([...write(from, from + PER_ROUND), compactor(), compactor()]);
        } else {
          // Forced: reader A reads, appends land, reader B reads and compacts, then A compacts its older read (while
          // more appends land). A's read completes before the appends are sent: with a pool of connections (PostgreSQL)
          // a read merely started first can still see them, and A's read would not be older.
          await Promise.all(write(from, from + 2));
          const readA = await read();
          await Promise.all(write(from + 2, from + 4));
          await compactWith(await read());
          await Promise.all([compactWith(readA), ...write(from + 4, from + PER_ROUND)]);
        }
      }
      const stored = await store.load(name);
      const rebuilt = rebuild(stored);
      assert.equal(rebuilt.getArray('a').length, ROUNDS * PER_ROUND * writers.length, 'every item is in the store');
      for (const [w, { doc }] of writers.entries()) {
        assert.equal(
          Y.decodeStateVector(Y.encodeStateVector(rebuilt)).get(doc.clientID),
          Y.decodeStateVector(Y.encodeStateVector(doc)).get(doc.clientID),
          `writer ${w}: the store holds all of its updates`,
        );
      }
      assert.ok(compactions >= ROUNDS, `${compactions} compactions ran (${refused} refused as older)`);
      assert.ok(refused >= ROUNDS / 2, `${refused} older compactions refused`);
      t.diagnostic(`${compactions} compactions, ${refused} refused as older than the stored snapshot`);
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
