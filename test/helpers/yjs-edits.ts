// Test helper: random Yjs text edits by several authors, for the documents' property tests. The authors see each
// other's earlier edits, so later updates depend on earlier ones, and a random delivery order parks some of them.
import fc from 'fast-check';
import * as Y from 'yjs';

/** Authors of the edits. */
export const AUTHORS = 3;

/** One author's edit: delete `del` characters at `at` (clamped), then insert `text` there. */
export type Edit = { readonly author: number; readonly at: number; readonly text: string; readonly del: number };

/**
 * Random edits.
 * @param del How many characters an edit deletes.
 */
export function editArbitrary(del: fc.Arbitrary<number>): fc.Arbitrary<Edit> {
  return fc.record({
    author: fc.nat(AUTHORS - 1),
    at: fc.nat(40),
    text: fc.string({ maxLength: 3, unit: fc.constantFrom('a', 'b', 'é', '😀') }),
    del,
  });
}

/**
 * Makes the edits, each author seeing the others' earlier ones, on the text type `text`.
 * @returns Each edit's update (Yjs's full delete set included, as `encodeStateAsUpdate` writes it) and the text.
 */
export function author(edits: readonly Edit[]): { updates: Uint8Array[]; text: string } {
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
  const text = authors[0]!.getText('text').toString();
  for (const a of authors) a.destroy();
  return { updates, text };
}

/**
 * A copy of `items` in a random order (Fisher-Yates).
 * @param order Random numbers (a fast-check infinite stream); the iterator is returned for further draws.
 */
export function shuffle<T>(items: readonly T[], order: Iterable<number>): { shuffled: T[]; draws: Iterator<number> } {
  const shuffled = [...items];
  const draws = order[Symbol.iterator]();
  for (let i = shuffled.length - 1; i > 0; i--) {
    const j = (draws.next().value as number) % (i + 1);
    [shuffled[i], shuffled[j]] = [shuffled[j]!, shuffled[i]!];
  }
  return { shuffled, draws };
}

/** The text of the `text` type of a fresh Y.Doc that applied `update`. */
export function textOf(update: Uint8Array): string {
  const doc = new Y.Doc();
  Y.applyUpdate(doc, update);
  const text = doc.getText('text').toString();
  doc.destroy();
  return text;
}
