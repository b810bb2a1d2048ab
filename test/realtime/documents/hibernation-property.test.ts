// Documents, hibernation property: random edits of several authors, delivered to a loaded document in a random order
// (so some wait parked for a missing dependency) with random hibernation points and joiner syncs in between, leave it
// with the same text as a document that never hibernated, and a joiner that syncs from it gets that text.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import * as Y from 'yjs';
import { type DocumentHost, LiveDocument } from '../../../src/realtime/documents/document.ts';
import { resolveNamespaceConfig } from '../../../src/realtime/namespaces.ts';
import { author, editArbitrary, shuffle, textOf } from '../../helpers/yjs-edits.ts';

const CONFIG = resolveNamespaceConfig('doc', { document: true, documentHibernateMs: 0 });

/** A registry stand-in that drops what a document hands on: only the document's own state is under test. */
const HOST: DocumentHost = { broadcast() {}, persist() {}, applied() {}, deliver() {} };

const edit = editArbitrary(fc.nat(3));

test('random edits, random delivery order and random hibernation converge to the never-hibernated text', () => {
  fc.assert(
    fc.property(
      fc.array(edit, { minLength: 1, maxLength: 30 }),
      fc.infiniteStream(fc.nat(1_000_000)),
      fc.array(fc.constantFrom('hibernate', 'join', 'none'), { minLength: 30, maxLength: 30 }),
      (edits, order, between) => {
        const { updates, text: expected } = author(edits);
        // Delivered in a random order.
        const { shuffled } = shuffle(updates, order);
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
          assert.equal(textOf(awake.snapshot()), expected, 'the never-hibernated document');
          assert.equal(textOf(sleeper.snapshot()), expected, 'the hibernated one');
          sleeper.hibernate();
          assert.equal(textOf(sleeper.snapshot()), expected, 'hibernated at the end');
          assert.equal(sleeper.doc.getText('text').toString(), expected, 'woken at the end');
        } finally {
          sleeper.destroy();
          awake.destroy();
        }
      },
    ),
    { numRuns: 200 },
  );
});
