// The encoded form's folds with a kept scratch Y.Doc and its drip (src/realtime/documents/encoded-updates.ts): random
// typing by several authors (inserts and deletions), pushed in order, read (folded) at random moments, with event-loop
// turns between (the drip applies 32 or more pushed updates to the kept Y.Doc at the end of a turn), always holds the
// text a plain Y.Doc holds; closing stops the drip.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import * as Y from 'yjs';
import { classify } from '../../../src/realtime/documents/content.ts';
import { DRIP_UPDATES, EncodedUpdates } from '../../../src/realtime/documents/encoded-updates.ts';
import { inspectUpdate } from '../../../src/realtime/documents/validate.ts';
import { author, editArbitrary, textOf } from '../../helpers/yjs-edits.ts';

const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

type Step = 'push' | 'read' | 'turn';

test('folds on a kept scratch Y.Doc, with the drip between turns, hold what a Y.Doc holds', async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.array(editArbitrary(fc.nat(3)), { minLength: 1, maxLength: 160 }),
      fc.array(fc.constantFrom<Step>('push', 'push', 'push', 'push', 'read', 'turn'), { maxLength: 400 }),
      async (edits, steps) => {
        const { updates, text } = author(edits);
        const encoded = new EncodedUpdates(new Uint8Array([0, 0]));
        const reference = new Y.Doc();
        try {
          let next = 0;
          const push = (): void => {
            const update = updates[next++]!;
            Y.applyUpdate(reference, update);
            const shape = inspectUpdate(update);
            assert.ok(shape !== null);
            const verdict = classify(shape, encoded);
            assert.notEqual(verdict, 'needs-doc', 'typing in order is taken encoded');
            if (verdict === 'appended') encoded.push(update, shape);
          };
          for (const step of steps) {
            if (step === 'push' && next < updates.length) push();
            else if (step === 'read')
              assert.equal(textOf(encoded.merged()), reference.getText('text').toString(), 'a read mid-way');
            else if (step === 'turn') await turn();
          }
          while (next < updates.length) push();
          await turn();
          assert.equal(textOf(encoded.merged()), text);
        } finally {
          encoded.close();
          reference.destroy();
        }
      },
    ),
    { numRuns: 40 },
  );
});

test('the drip applies what was pushed to the kept Y.Doc at the end of the turn; a closed content drips no more', async () => {
  const edits = Array.from({ length: 4 * DRIP_UPDATES + 1 }, (_, i) => ({
    author: i % 3,
    at: 1000,
    text: 'ab',
    del: 0,
  }));
  const { updates, text } = author(edits);
  const encoded = new EncodedUpdates(new Uint8Array([0, 0]));
  const pushAll = (from: number, to: number): void => {
    for (const update of updates.slice(from, to)) encoded.push(update, inspectUpdate(update)!);
  };
  pushAll(0, DRIP_UPDATES);
  encoded.merged(); // the first fold makes the scratch Y.Doc, kept
  pushAll(DRIP_UPDATES, 3 * DRIP_UPDATES);
  await turn();
  // Everything pushed is in the kept Y.Doc: the fold only encodes it (no update is applied twice: the text is right).
  assert.equal(textOf(encoded.merged()), 'ab'.repeat(3 * DRIP_UPDATES));
  pushAll(3 * DRIP_UPDATES, 4 * DRIP_UPDATES);
  await turn(); // dripped: these are only in the kept Y.Doc and the pushed buffer
  pushAll(4 * DRIP_UPDATES, 4 * DRIP_UPDATES + 1);
  encoded.close();
  await turn();
  // Closed: the scratch is gone, and a read folds everything pushed since the last fold into the base again.
  assert.equal(textOf(encoded.merged()), text);
});
