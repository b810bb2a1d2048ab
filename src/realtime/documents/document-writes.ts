// Realtime (documents): a node's writes to the document store: every local update appended once, in order, then a
// compaction when the namespace's policy says so (docs/documents.md "Compaction").
import { createHash } from 'node:crypto';
import type { DocumentStore } from '../../broker/index.ts';
import type { RealtimeObserver } from '../observer.ts';
import type { LiveDocument } from './document.ts';

/** Appends and compactions of the documents of one registry. */
export class DocumentWrites {
  readonly #store: DocumentStore;
  readonly #observer: RealtimeObserver;
  readonly #compacted: (document: LiveDocument, bytes: number) => void;
  /** Each document's latest store append: true once stored, false when the store refused it. */
  readonly #lastAppend = new WeakMap<LiveDocument, Promise<boolean>>();
  /**
   * The digest of the snapshot this node last stored (or loaded) for each document. The live document holds
   * everything in that snapshot (it was encoded from it or built from it, and a loaded document only grows), so the
   * next compaction, finding the same snapshot in the store, does not apply it again: decoding a large document's
   * whole snapshot again was most of a compaction's cost. A snapshot another node stored since differs, and is applied.
   */
  readonly #ownSnapshot = new WeakMap<LiveDocument, string>();

  /**
   * @param store The document store.
   * @param observer Where store failures are reported.
   * @param compacted Called after this node compacted a document (the registry tells the other nodes its new size).
   */
  constructor(
    store: DocumentStore,
    observer: RealtimeObserver,
    compacted: (document: LiveDocument, bytes: number) => void,
  ) {
    this.#store = store;
    this.#observer = observer;
    this.#compacted = compacted;
  }

  /**
   * Records that a document was loaded whole from this stored state (every entry applied): its snapshot is held.
   * @param document The loaded document.
   * @param snapshot The snapshot it was loaded from, or null.
   */
  loaded(document: LiveDocument, snapshot: Uint8Array | null): void {
    if (snapshot !== null) this.#ownSnapshot.set(document, digest(snapshot));
  }

  /** The document's latest append (a `rid` is answered once it is stored), or undefined before the first. */
  lastAppend(document: LiveDocument): Promise<boolean> | undefined {
    return this.#lastAppend.get(document);
  }

  /** Appends a local update after the document's earlier writes, then compacts when the policy says so. */
  persist(document: LiveDocument, update: Uint8Array): void {
    const appended = document.writes
      .then(() => this.#store.append(document.name, update))
      .then(stored, (err: unknown) => {
        // The update stays in the live document; the next compaction stores it in its snapshot.
        this.#observer.internalError?.(err);
        return false;
      });
    this.#lastAppend.set(document, appended);
    // Four promises per update, not six: the common case (no compaction due) settles without another one.
    document.writes = appended.then((ok) => (ok ? this.#appended(document, update.byteLength) : undefined));
  }

  /** Counts a stored update; compacts (never rejecting) when the policy says so. */
  #appended(document: LiveDocument, bytes: number): Promise<void> | undefined {
    const since = document.sinceCompaction;
    since.updates++;
    since.bytes += bytes;
    if (!compactionDue(document)) return undefined;
    return this.#compact(document).catch((err: unknown) => {
      this.#observer.internalError?.(err);
    });
  }

  /**
   * Replaces the stored updates with one snapshot. The store is read again first, so updates other nodes appended are
   * in the snapshot, and only the updates that read returned are replaced (through its `seq`): ones appended
   * meanwhile stay in the tail, and a newer compaction (another node's) wins.
   *
   * What the read brings is applied to the live document first, unless the document surely holds it: the snapshot is
   * the one this node stored or loaded (or there is none), and the tail has as many updates as this node counted
   * since (`sinceCompaction.updates`: the ones it loaded and the ones it appended, each applied here first; this
   * node's appends and compactions run one after the other, so none is in flight). Any update another node appended
   * makes the tail longer than the count, and then every update is applied.
   */
  async #compact(document: LiveDocument): Promise<void> {
    const stored = await this.#store.load(document.name);
    if (document.state === 'unloaded') return;
    const held = stored.snapshot === null || this.#ownSnapshot.get(document) === digest(stored.snapshot);
    if (!held || stored.updates.length !== document.sinceCompaction.updates)
      document.applyStored(held ? null : stored.snapshot, stored.updates);
    const snapshot = document.snapshot();
    if (!(await this.#store.compact(document.name, snapshot, stored.seq))) return;
    this.#ownSnapshot.set(document, digest(snapshot));
    document.bytes = snapshot.byteLength;
    document.sinceCompaction.updates = 0;
    document.sinceCompaction.bytes = 0;
    this.#compacted(document, snapshot.byteLength);
  }
}

/**
 * A compaction encodes the whole document, so it also waits until the updates since the last one weigh at least this
 * share of the snapshot: its cost then stays proportional to what it folds in (each stored byte is encoded again a
 * bounded number of times) however large the document grows, and a late joiner still loads one snapshot and a tail
 * of at most about half its size (or `documentCompactUpdates` updates, whichever is more).
 */
export const COMPACT_MIN_TAIL_SHARE = 0.5;

/**
 * Past this share of `documentMaxBytes` a compaction is not put off for {@link COMPACT_MIN_TAIL_SHARE}: the tail counts
 * against the limit, and folding it into the snapshot gives room back before edits are refused.
 */
export const COMPACT_NEAR_MAX_SHARE = 0.75;

/**
 * Whether a document's stored tail calls for a compaction: `documentCompactUpdates` updates or `documentCompactBytes`
 * bytes since the last one, and at least {@link COMPACT_MIN_TAIL_SHARE} of the snapshot's size (unless the document
 * is near its `documentMaxBytes`).
 */
export function compactionDue(document: LiveDocument): boolean {
  const since = document.sinceCompaction;
  const config = document.config;
  if (since.updates < config.documentCompactUpdates && since.bytes < config.documentCompactBytes) return false;
  if (document.bytes >= config.documentMaxBytes * COMPACT_NEAR_MAX_SHARE) return true;
  // The snapshot's size as this node knows it: the stored bytes before the tail.
  const snapshotBytes = document.bytes - since.bytes;
  return since.bytes >= snapshotBytes * COMPACT_MIN_TAIL_SHARE;
}

/** An append's outcome when the store took it. */
function stored(): true {
  return true;
}

/** A snapshot's identity (SHA-256: native, about a millisecond per MiB). */
function digest(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('base64');
}
