// Realtime documents: a loaded document's Yjs content, held encoded (updates, no Y.Doc) or awake as a Y.Doc.
// Encoded is the usual form: one compact update and the updates pushed since (encoded-updates.ts), with the state vector
// and deleted ranges they add up to. An update that adds to it as it is (each client's structs start where the
// content ends for that client, no gap; deletions of clients without a gap: what typing sends) is pushed as it came,
// and one whose structs and deletions it all has already changes nothing; neither needs a Y.Doc, whose integration
// and garbage cost most of an update's CPU. Any other update (past a gap, or overlapping: what only a Y.Doc can tell
// the effect of) wakes the content into a Y.Doc, which stays until it has had no such update for the namespace's
// `documentHibernateMs`; then it is encoded again (`Y.encodeStateAsUpdate`, which also garbage-collects deleted
// content). Greeting a joiner, answering a sync1 and a compaction's snapshot read the encoded form without waking
// it. Pending structs and deletions (parked for a missing dependency) are part of `encodeStateAsUpdate`'s result, and
// parked again on waking, so they survive (docs/documents.md "Encoded and awake").
import * as Y from 'yjs';
import { EncodedUpdates, GAPPED, type StateSource } from './encoded-updates.ts';
import type { UpdateShape } from './validate.ts';

/** An update without structs or deletions (no client, no deleted range): 2 bytes. */
const NOTHING = new Uint8Array([0, 0]);

/** What {@link DocumentContent.append} did with an update. */
export type Appended = 'appended' | 'held' | 'needs-doc';

/** Whether `encoded` has every struct of `update` (within its state vector) and the same deletions. */
function holdsAll(encoded: Uint8Array, update: Uint8Array): boolean {
  const stateVector = Y.encodeStateVectorFromUpdate(encoded);
  const known = Y.decodeStateVector(stateVector);
  for (const [client, clock] of Y.parseUpdateMeta(update).to) if (clock > (known.get(client) ?? 0)) return false;
  // No struct is new: what is left of each side past the state vector is its deletions (and parked structs).
  const theirs = Y.diffUpdate(update, stateVector);
  return theirs.byteLength === NOTHING.byteLength || sameBytes(theirs, Y.diffUpdate(encoded, stateVector));
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.byteLength !== b.byteLength) return false;
  for (let i = 0; i < a.byteLength; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * How an update relates to a state: 'held' when the state has all its structs and all it deletes is deleted there
 * already; 'appended' when it brings something new that the state can take as it is: each client's new structs start
 * exactly where the state ends (no gap), and no range it deletes is of a client the state has a gap in; else
 * 'needs-doc'.
 */
export function classify(shape: UpdateShape, source: StateSource): Appended {
  if (shape.gaps) return 'needs-doc';
  const ranges = shape.ranges;
  let adds = false;
  for (let i = 0; i < ranges.length; i += 3) {
    const known = source.state(ranges[i]!);
    if (ranges[i + 2]! <= known) continue;
    if (ranges[i + 1] !== known) return 'needs-doc';
    adds = true;
  }
  const deleted = shape.deleted;
  for (let i = 0; i < deleted.length && !adds; i += 3) {
    adds = !source.deletes(deleted[i]!, deleted[i + 1]!, deleted[i + 2]!);
  }
  for (let i = 0; i < deleted.length; i += 3) if (source.state(deleted[i]!) === GAPPED) return 'needs-doc';
  return adds ? 'appended' : 'held';
}

/** An awake Y.Doc as a {@link StateSource}. */
class DocState implements StateSource {
  readonly #doc: Y.Doc;
  constructor(doc: Y.Doc) {
    this.#doc = doc;
  }
  state(client: number): number {
    return Y.getState(this.#doc.store, client);
  }
  /** Only asked whether the encoded form would take an update: any deletion would be (the answer is unused). */
  deletes(): boolean {
    return false;
  }
}

/** Called after each transaction of the (current) Y.Doc. */
export type TransactionListener = (transaction: Y.Transaction) => void;

/** A document's Yjs content and the timer that sends it back to its encoded form. */
export class DocumentContent {
  readonly #guid: string;
  readonly #onTransaction: TransactionListener;
  readonly #hibernateMs: number;
  /** The Y.Doc while awake; else the content is `#encoded` (settled: one update) or `#pushed` (a base and the updates pushed since). */
  #doc: Y.Doc | null = null;
  #encoded: Uint8Array | null = null;
  #pushed: EncodedUpdates | null = null;
  /** Updates that needed the Y.Doc since start: the timer compares it with its value when armed. */
  #activity = 0;
  /** Updates pushed on the encoded form since start (likewise). */
  #pushes = 0;
  #timer: ReturnType<typeof setTimeout> | null = null;
  #destroyed = false;

  /**
   * @param guid The Y.Doc guid (the document's name).
   * @param hibernateMs Time without an update that needs a Y.Doc after which the content is encoded again, and
   *   without any update after which what was pushed is compacted, in ms; 0: the content is a Y.Doc from the start
   *   and stays one.
   * @param onTransaction Listens to every Y.Doc this content creates.
   */
  constructor(guid: string, hibernateMs: number, onTransaction: TransactionListener) {
    this.#guid = guid;
    this.#hibernateMs = hibernateMs;
    this.#onTransaction = onTransaction;
    if (hibernateMs === 0) this.#doc = this.#create();
    else this.#encoded = NOTHING;
  }

  /** Whether the content is encoded (no Y.Doc in memory). */
  get hibernated(): boolean {
    return this.#doc === null;
  }

  /** The Y.Doc, woken from the encoded form when needed (it stays awake for `hibernateMs` at least). */
  get doc(): Y.Doc {
    if (this.#doc !== null) return this.#doc;
    const encoded = this.#merged();
    this.#encoded = null;
    this.#pushed?.close();
    this.#pushed = null;
    const doc = this.#create();
    this.#doc = doc;
    Y.applyUpdate(doc, encoded);
    this.touch();
    return doc;
  }

  /**
   * Takes an update without a Y.Doc when it can: appended to the encoded form, or held already (changes nothing).
   * 'needs-doc' when the content is awake, or when only a Y.Doc can apply the update; the caller applies it there.
   * @param update A valid update.
   * @param shape Its shape (from `inspectUpdate`).
   */
  append(update: Uint8Array, shape: UpdateShape): Appended {
    if (this.#doc !== null) return 'needs-doc';
    const pushed = this.#pushable();
    const verdict = classify(shape, pushed);
    if (verdict === 'appended') {
      pushed.push(update, shape);
      // Once quiet, the timer compacts what was pushed.
      this.#pushes++;
      if (this.#timer === null) this.#arm();
    }
    return verdict;
  }

  /**
   * Whether an update applied to the awake Y.Doc is one the encoded form would have taken (an append, or held):
   * such an update does not keep the Y.Doc awake.
   */
  appendsTo(shape: UpdateShape): boolean {
    const doc = this.#doc;
    return doc !== null && classify(shape, new DocState(doc)) !== 'needs-doc';
  }

  /**
   * Whether the content is encoded and surely holds an update: it has all its structs and deletions.
   * @param shape The update's shape; null (an invalid update) is never held.
   */
  has(shape: UpdateShape | null): boolean {
    return this.#doc === null && shape !== null && classify(shape, this.#pushable()) === 'held';
  }

  /** The state vector (`sync1`), read from the encoded form when encoded. */
  stateVector(): Uint8Array {
    return this.#doc !== null ? Y.encodeStateVector(this.#doc) : Y.encodeStateVectorFromUpdate(this.#merged());
  }

  /**
   * What a peer with this state vector lacks (`sync2`), read from the encoded form when encoded.
   * @param stateVector A valid Yjs state vector.
   */
  diff(stateVector: Uint8Array): Uint8Array {
    return this.#doc !== null
      ? Y.encodeStateAsUpdate(this.#doc, stateVector)
      : Y.diffUpdate(this.#merged(), stateVector);
  }

  /**
   * Whether an encoded content surely has everything an update brings (a joiner's `sync2` when it holds nothing
   * new): every struct within the state vector and the same deletions. Read from the encoded form, without waking;
   * false when awake or unsure (the caller then applies it to the Y.Doc, which decides).
   * @param update A valid Yjs update.
   * @param shape Its shape, when known (answers most cases without a merge).
   */
  holds(update: Uint8Array, shape?: UpdateShape): boolean {
    if (this.#doc !== null) return false;
    if (shape !== undefined && this.has(shape)) return true;
    try {
      return holdsAll(this.#merged(), update);
    } catch {
      return false;
    }
  }

  /** The whole content as one update (a compaction's snapshot), without waking it. */
  snapshot(): Uint8Array {
    return this.#doc !== null ? Y.encodeStateAsUpdate(this.#doc) : this.#merged();
  }

  /** Records an update that needed the Y.Doc: it stays awake for at least `hibernateMs` more. */
  touch(): void {
    this.#activity++;
    if (this.#timer === null) this.#arm();
  }

  /** Encodes the content now, as its timer does (no-op when already encoded or destroyed). */
  hibernate(): void {
    const doc = this.#doc;
    if (doc === null || this.#destroyed) return;
    this.#encoded = Y.encodeStateAsUpdate(doc);
    this.#doc = null;
    doc.destroy();
  }

  /** Drops the Y.Doc, the encoded form and the timer. */
  destroy(): void {
    this.#destroyed = true;
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timer = null;
    this.#doc?.destroy();
    this.#doc = null;
    this.#encoded = null;
    this.#pushed?.close();
    this.#pushed = null;
  }

  /** The encoded content as one update. */
  #merged(): Uint8Array {
    return this.#pushed?.merged() ?? this.#encoded ?? NOTHING;
  }

  /**
   * The encoded form that takes pushes (made from the settled update on first use, with its state vector; the timer
   * settles it again once quiet, so a check that pushed nothing does not keep it).
   */
  #pushable(): EncodedUpdates {
    if (this.#pushed === null) {
      this.#pushed = new EncodedUpdates(this.#encoded ?? NOTHING);
      this.#encoded = null;
      if (this.#timer === null) this.#arm();
    }
    return this.#pushed;
  }

  /** Once quiet: what was pushed is folded into one compact update, kept alone (no state vector, no buffer). */
  #settle(): void {
    const pushed = this.#pushed;
    if (pushed === null) return;
    this.#encoded = pushed.merged();
    pushed.close();
    this.#pushed = null;
  }

  #create(): Y.Doc {
    // The name as guid: the default draws a random UUID (31 random-number calls) per loaded document.
    const doc = new Y.Doc({ guid: this.#guid });
    doc.on('afterTransaction', this.#onTransaction);
    return doc;
  }

  /**
   * Fires `hibernateMs` after arming, and re-arms when an update needed the Y.Doc or was pushed meanwhile; so 1 to 2
   * × hibernateMs after the last one, an awake content is encoded, an encoded one has what was pushed folded in.
   */
  #arm(): void {
    if (this.#hibernateMs === 0 || this.#destroyed) return;
    const armedAt = this.#activity;
    const pushedAt = this.#pushes;
    this.#timer = setTimeout(() => {
      this.#timer = null;
      if (this.#activity !== armedAt || this.#pushes !== pushedAt) this.#arm();
      else if (this.#doc === null) this.#settle();
      else this.hibernate();
    }, this.#hibernateMs);
    this.#timer.unref?.();
  }
}
