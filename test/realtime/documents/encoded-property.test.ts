// Documents, the encoded form (content.ts, encoded-updates.ts): a document that takes appends without a Y.Doc and wakes
// for anything else ends with the same text as one that is always a Y.Doc, whatever the edits (inserts and
// deletions), their delivery order (some wait parked for a missing dependency) and repeats; a peer that only ever
// receives the document's fan-out ends with that text too (nothing it needs is held back); and once everything is
// integrated, delivering every update again sends nothing on (bytes that change nothing go nowhere). Typing in order,
// deletions included, never wakes it, across several folds of the pushed updates into its base; an update past a gap
// does.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import * as Y from 'yjs';
import type { DocKind, ErrorCode } from '../../../src/messages/index.ts';
import type { Identity } from '../../../src/realtime/auth/identity.ts';
import { type DocumentHost, LiveDocument } from '../../../src/realtime/documents/document.ts';
import { FOLD_MIN_BYTES } from '../../../src/realtime/documents/encoded-updates.ts';
import type { DocumentPeer } from '../../../src/realtime/documents/peer.ts';
import { resolveNamespaceConfig } from '../../../src/realtime/namespaces.ts';
import { AUTHORS, author, type Edit, editArbitrary, shuffle, textOf } from '../../helpers/yjs-edits.ts';

/** Always a Y.Doc. */
const AWAKE = resolveNamespaceConfig('doc', { document: true, documentHibernateMs: 0 });
/** Encoded from the start; woken by an update that needs a Y.Doc, and encoded again only when the test says so. */
const ENCODED = resolveNamespaceConfig('doc', { document: true, documentHibernateMs: 600_000 });

const HOST: DocumentHost = { broadcast() {}, persist() {}, applied() {}, deliver() {} };

/** A peer holding the document: applies every update fanned out to it to its own Y.Doc, and counts them. */
class WatchingPeer implements DocumentPeer {
  readonly id = 'watcher';
  readonly format = 'bytes';
  readonly transport = null;
  readonly doc = new Y.Doc();
  updates = 0;
  get identity(): Identity {
    throw new Error('not used');
  }
  frame(_channel: string, kind: DocKind, bytes: Uint8Array): Uint8Array {
    return kind === 'update' ? bytes : new Uint8Array(0);
  }
  sendFrame(frame: string | Uint8Array): void {
    if (typeof frame === 'string' || frame.byteLength === 0) return;
    this.updates++;
    Y.applyUpdate(this.doc, frame);
  }
  fannedOut(): void {}
  refuse(_code: ErrorCode, _message: string): void {}
  accepted(): void {}
  lost(): void {}
}

function open(config: typeof AWAKE): { live: LiveDocument; peer: WatchingPeer } {
  const live = new LiveDocument('doc:p', config, HOST);
  live.state = 'ready';
  const peer = new WatchingPeer();
  live.add(peer);
  return { live, peer };
}

const edit = editArbitrary(fc.oneof(fc.constant(0), fc.nat(3)));

test('encoded or awake, random edits, order, repeats and re-encoding: one text, peers converge, repeats go nowhere', () => {
  fc.assert(
    fc.property(
      fc.array(edit, { minLength: 1, maxLength: 40 }),
      fc.infiniteStream(fc.nat(1_000_000)),
      fc.array(fc.constantFrom('encode', 'repeat', 'none', 'none'), { minLength: 40, maxLength: 40 }),
      (edits, order, between) => {
        const { updates, text: expected } = author(edits);
        const { shuffled, draws: it } = shuffle(updates, order);
        const awake = open(AWAKE);
        const encoded = open(ENCODED);
        try {
          shuffled.forEach((update, i) => {
            for (const { live } of [awake, encoded]) assert.ok(live.applyRemote('update', update));
            if (between[i] === 'encode') encoded.live.hibernate();
            else if (between[i] === 'repeat') {
              const again = shuffled[(it.next().value as number) % (i + 1)]!;
              for (const { live } of [awake, encoded]) assert.ok(live.applyRemote('update', again));
            }
          });
          for (const { live, peer } of [awake, encoded]) {
            assert.equal(textOf(live.snapshot()), expected, 'the document');
            // What the peer holds, parked structs included: a Y.Doc fed some delivery orders keeps structs parked
            // although their dependencies arrived (Yjs retries a parked update only for some arrivals), which
            // a fresh Y.Doc reading them all at once integrates.
            assert.equal(textOf(Y.encodeStateAsUpdate(peer.doc)), expected, 'its peer, from the fan-out alone');
          }
          // Everything is here now: the same updates again change nothing and go nowhere (from a Y.Doc that still
          // has structs parked, Yjs re-parks a repeat, and it is sent on as parked).
          encoded.live.hibernate();
          const stuck = awake.live.doc.store.pendingStructs !== null || awake.live.doc.store.pendingDs !== null;
          for (const { live, peer } of stuck ? [encoded] : [awake, encoded]) {
            const before = peer.updates;
            for (const update of updates) assert.ok(live.applyRemote('update', update));
            assert.equal(peer.updates, before, 'repeats are not sent on');
          }
          assert.equal(textOf(encoded.live.snapshot()), expected, 'encoded at the end');
          assert.equal(encoded.live.doc.getText('text').toString(), expected, 'woken at the end');
        } finally {
          for (const { live, peer } of [awake, encoded]) {
            live.destroy();
            peer.doc.destroy();
          }
        }
      },
    ),
    { numRuns: 150 },
  );
});

test('typing in order, several authors, deletions too, never wakes an encoded document, across several folds', () => {
  const edits: Edit[] = [];
  // Long inserts: the pushed updates weigh several times FOLD_MIN_BYTES, so they are folded into the base on the way.
  const text = 'abcdefghijklmnopqrstuvwxyz0123456789'.repeat(3);
  for (let i = 0; i < 400; i++)
    edits.push({ author: i % AUTHORS, at: (i * 7) % (i + 1), text: i % 5 === 0 ? '' : text, del: i % 3 });
  const { updates, text: expected } = author(edits);
  const { live, peer } = open(ENCODED);
  // The reference: a Y.Doc tells which updates change something (an author's update always carries all it ever
  // deleted, so one that neither inserts nor deletes anything new changes nothing).
  const reference = open(AWAKE);
  try {
    for (const [i, update] of updates.entries()) {
      assert.ok(live.applyRemote('update', update));
      assert.ok(reference.live.applyRemote('update', update));
      assert.ok(live.hibernated, `update ${i} was taken encoded`);
      assert.equal(peer.updates, reference.peer.updates, `update ${i} was sent on when it changed something`);
      if (i % 97 === 0) assert.equal(textOf(live.snapshot()), peer.doc.getText('text').toString(), 'mid-way');
    }
    const changes = peer.updates;
    assert.ok(updates.reduce((n, u) => n + u.byteLength, 0) > 3 * FOLD_MIN_BYTES);
    assert.equal(textOf(live.snapshot()), expected);
    assert.equal(peer.doc.getText('text').toString(), expected);
    // Updates it already has (an insert, a deletion) change nothing.
    for (const i of [3, 4, 6]) assert.ok(live.applyRemote('update', updates[i]!));
    assert.equal(peer.updates, changes, 'a repeat goes nowhere');
    assert.ok(live.hibernated);
    // A new author's second update, sent first: past a gap, which only a Y.Doc can hold (parked).
    const late = new Y.Doc();
    Y.applyUpdate(late, live.snapshot());
    const lateUpdates: Uint8Array[] = [];
    late.on('update', (u: Uint8Array) => lateUpdates.push(u));
    late.getText('text').insert(0, 'x');
    late.getText('text').insert(1, 'y');
    assert.ok(live.applyRemote('update', lateUpdates[1]!));
    assert.equal(live.hibernated, false, 'an update past a gap needs the Y.Doc');
    assert.ok(live.applyRemote('update', lateUpdates[0]!));
    const after = late.getText('text').toString();
    assert.equal(live.doc.getText('text').toString(), after);
    assert.equal(peer.doc.getText('text').toString(), after);
    late.destroy();
  } finally {
    for (const opened of [{ live, peer }, reference]) {
      opened.live.destroy();
      opened.peer.doc.destroy();
    }
  }
});

test('a remote update that is not valid Yjs is dropped, encoded or awake', () => {
  for (const config of [AWAKE, ENCODED]) {
    const { live, peer } = open(config);
    try {
      assert.equal(live.applyRemote('update', new Uint8Array([1, 1, 5, 0, 0xff])), false);
      assert.equal(peer.updates, 0);
    } finally {
      live.destroy();
      peer.doc.destroy();
    }
  }
});
