// Realtime documents: a loaded document's Yjs content, awake as a Y.Doc or hibernated as one encoded update. A
// document that had no update for its namespace's `documentHibernateMs` drops its Y.Doc (a few KiB of structs, maps
// and listeners) and keeps `Y.encodeStateAsUpdate` of it: garbage-collected, and a fraction of the size. Greeting a
// joiner and answering a sync1 read the encoded state without waking it; the next update wakes it (a new Y.Doc from
// the bytes, then the update). Pending structs and deletions (parked for a missing dependency) are part of
// `encodeStateAsUpdate`'s result, and parked again on waking, so they survive (docs/documents.md "Hibernation").
import * as Y from 'yjs';

/** An update without structs or deletions (no client, no deleted range): 2 bytes. */
const NOTHING = new Uint8Array([0, 0]);

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

/** Called after each transaction of the (current) Y.Doc. */
export type TransactionListener = (transaction: Y.Transaction) => void;

/** A document's Yjs content and the timer that sends it to sleep. */
export class DocumentContent {
  readonly #guid: string;
  readonly #onTransaction: TransactionListener;
  readonly #hibernateMs: number;
  #doc: Y.Doc | null = null;
  /** The whole content as one update while hibernated, else null. */
  #encoded: Uint8Array | null = null;
  /** Changes since start: the timer compares it with its value when armed (no timer work per update). */
  #activity = 0;
  #timer: ReturnType<typeof setTimeout> | null = null;
  #destroyed = false;

  /**
   * @param guid The Y.Doc guid (the document's name).
   * @param hibernateMs Quiet time after which the content hibernates, in ms; 0: never.
   * @param onTransaction Listens to every Y.Doc this content creates.
   */
  constructor(guid: string, hibernateMs: number, onTransaction: TransactionListener) {
    this.#guid = guid;
    this.#hibernateMs = hibernateMs;
    this.#onTransaction = onTransaction;
    this.#doc = this.#create();
    this.touch();
  }

  /** Whether the content is hibernated (no Y.Doc in memory). */
  get hibernated(): boolean {
    return this.#encoded !== null;
  }

  /** The Y.Doc, woken from the encoded state when hibernated. */
  get doc(): Y.Doc {
    if (this.#doc !== null) return this.#doc;
    const doc = this.#create();
    const encoded = this.#encoded;
    this.#encoded = null;
    this.#doc = doc;
    if (encoded !== null) Y.applyUpdate(doc, encoded);
    // Woken by a read (not an update) too: it goes back to sleep after another quiet spell.
    this.touch();
    return doc;
  }

  /** The state vector (`sync1`), read from the encoded state when hibernated. */
  stateVector(): Uint8Array {
    return this.#encoded === null ? Y.encodeStateVector(this.doc) : Y.encodeStateVectorFromUpdate(this.#encoded);
  }

  /**
   * What a peer with this state vector lacks (`sync2`), read from the encoded state when hibernated.
   * @param stateVector A valid Yjs state vector.
   */
  diff(stateVector: Uint8Array): Uint8Array {
    return this.#encoded === null
      ? Y.encodeStateAsUpdate(this.doc, stateVector)
      : Y.diffUpdate(this.#encoded, stateVector);
  }

  /**
   * Whether a hibernated content surely has everything an update brings (a joiner's `sync2` when it holds nothing
   * new): every struct within the state vector and the same deletions. Read from the encoded state, without waking;
   * false when awake or unsure (the caller then applies it to the Y.Doc, which decides).
   * @param update A valid Yjs update.
   */
  holds(update: Uint8Array): boolean {
    const encoded = this.#encoded;
    if (encoded === null) return false;
    try {
      return holdsAll(encoded, update);
    } catch {
      return false;
    }
  }

  /** The whole content as one update (a compaction's snapshot), without waking it. */
  snapshot(): Uint8Array {
    return this.#encoded ?? Y.encodeStateAsUpdate(this.doc);
  }

  /** Records a change: the content stays awake for at least `hibernateMs` more (arms the timer if none is armed). */
  touch(): void {
    this.#activity++;
    if (this.#timer === null) this.#arm();
  }

  /** Hibernates now: the Y.Doc is replaced by its encoded state (no-op when already hibernated or destroyed). */
  hibernate(): void {
    const doc = this.#doc;
    if (doc === null || this.#destroyed) return;
    this.#encoded = Y.encodeStateAsUpdate(doc);
    this.#doc = null;
    doc.destroy();
  }

  /** Drops the Y.Doc, the encoded state and the timer. */
  destroy(): void {
    this.#destroyed = true;
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timer = null;
    this.#doc?.destroy();
    this.#doc = null;
    this.#encoded = null;
  }

  #create(): Y.Doc {
    // The name as guid: the default draws a random UUID (31 random-number calls) per loaded document.
    const doc = new Y.Doc({ guid: this.#guid });
    doc.on('afterTransaction', this.#onTransaction);
    return doc;
  }

  /** Fires `hibernateMs` after arming; a change meanwhile re-arms it (so the content sleeps 1-2 × hibernateMs after its last change). */
  #arm(): void {
    if (this.#hibernateMs === 0 || this.#destroyed) return;
    const armedAt = this.#activity;
    this.#timer = setTimeout(() => {
      this.#timer = null;
      if (this.#activity !== armedAt) this.#arm();
      else this.hibernate();
    }, this.#hibernateMs);
    this.#timer.unref?.();
  }
}
