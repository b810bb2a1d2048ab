// Documents, hibernation property: random edits of several authors, delivered to a loaded document in a random order
// (so some wait parked for a missing dependency) with random hibernation points and joiner syncs in between, leave it
// with the same text as a document that never hibernated, and a joiner that syncs from it gets that text.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import * as Y from 'yjs';
import { type DocumentHost, LiveDocument } from '../../../src/realtime/documents/document.ts';
import { resolveNamespaceConfig } from '../../../src/realtime/namespaces.ts';

const AUTHORS = 3;
const CONFIG = resolveNamespaceConfig('doc', { document: true, documentHibernateMs: 0 });

/** A registry stand-in that drops what a document hands on: only the document's own state is under test. */
const HOST: DocumentHost = { broadcast() {}, persist() {}, applied() {}, deliver() {} };

type Edit = { readonly author: number; readonly at: number; readonly text: string; readonly del: number };

const edit: fc.Arbitrary<Edit> = fc.record({
  author: fc.nat(AUTHORS - 1),
  at: fc.nat(40),
  text: fc.string({ maxLength: 3, unit: fc.constantFrom('a', 'b', 'é', '😀') }),
  del: fc.nat(3),
});

function textOf(update: Uint8Array): string {
  const doc = new Y.Doc();
  Y.applyUpdate(doc, update);
  const text = doc.getText('text').toString();
  doc.destroy();
  return text;
}

test('random edits, random delivery order and random hibernation converge to the never-hibernated text', () => {
  fc.assert(
    fc.property(
      fc.array(edit, { minLength: 1, maxLength: 30 }),
      fc.infiniteStream(fc.nat(1_000_000)),
      fc.array(fc.constantFrom('hibernate', 'join', 'none'), { minLength: 30, maxLength: 30 }),
      (edits, order, between) => {
        // The authors edit, seeing each other's earlier edits (so later updates depend on earlier ones).
        const authors = Array.from({ length: AUTHORS }, () => new Y.Doc());
        const updates: Uint8Array[] = [];
        for (const e of edits) {
          const doc = authors[e.author]!;
          const before = Y.encodeStateVector(doc);
          const text = doc.getText('text');
          const at = Math.min(e.at, text.length);
          text.delete(at, Math.min(e.del, text.length - at));
          text.insert(at, e.text);
          const update = Y.encodeStateAsUpdate(doc, before);
          updates.push(update);
          for (const other of authors) if (other !== doc) Y.applyUpdate(other, update);
        }
        // Delivered in a random order.
        const shuffled = [...updates];
        const it = order[Symbol.iterator]();
        for (let i = shuffled.length - 1; i > 0; i--) {
          const j = (it.next().value as number) % (i + 1);
          [shuffled[i], shuffled[j]] = [shuffled[j]!, shuffled[i]!];
        }
        const sleeper = new LiveDocument('doc:p', CONFIG, HOST);
        const awake = new LiveDocument('doc:p', CONFIG, HOST);
        try {
          shuffled.forEach((update, i) => {
            assert.ok(sleeper.applyRemote('update', update));
            assert.ok(awake.applyRemote('update', update));
            if (between[i] === 'hibernate') sleeper.hibernate();
            else if (between[i] === 'join') {
              const joiner = new Y.Doc();
              Y.applyUpdate(joiner, sleeper.snapshot());
              assert.equal(joiner.getText('text').toString(), textOf(awake.snapshot()), 'a joiner mid-way');
              joiner.destroy();
            }
          });
          const expected = authors[0]!.getText('text').toString();
          assert.equal(textOf(awake.snapshot()), expected, 'the never-hibernated document');
          assert.equal(textOf(sleeper.snapshot()), expected, 'the hibernated one');
          sleeper.hibernate();
          assert.equal(textOf(sleeper.snapshot()), expected, 'hibernated at the end');
          assert.equal(sleeper.doc.getText('text').toString(), expected, 'woken at the end');
        } finally {
          sleeper.destroy();
          awake.destroy();
          for (const a of authors) a.destroy();
        }
      },
    ),
    { numRuns: 200 },
  );
});
