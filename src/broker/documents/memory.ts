// Broker: a DocumentStore in process memory, for tests and a single node without a disk (`documents.store: memory`).
// A document's updates since its last compaction are held in one growing buffer with their end offsets, not one
// Uint8Array each: a small update costs its bytes plus one array slot, not a typed array's ~200 bytes of heap.
import type { DocumentStore, StoredDocument } from '../document-store.ts';
import { BrokerError } from '../errors.ts';
import { beyondLast, checkThroughSeq } from './seq.ts';

/** Smallest capacity of a document's update buffer, in bytes (it doubles when full). */
const MIN_TAIL_CAPACITY = 256;

/** The updates after a snapshot, back to back in one buffer. */
class Tail {
  /** The bytes; `used` of them are updates, the rest room to grow. */
  #buffer: Uint8Array;
  #used = 0;
  /** Where each update ends in the buffer (update i spans `ends[i - 1] ?? 0` to `ends[i]`). */
  readonly #ends: number[] = [];

  /** @param updates The first updates (copied). */
  constructor(updates: readonly Uint8Array[] = []) {
    let size = 0;
    for (const u of updates) size += u.byteLength;
    this.#buffer = new Uint8Array(size === 0 ? 0 : Math.max(MIN_TAIL_CAPACITY, size));
    for (const u of updates) this.push(u);
  }

  /** Number of updates. */
  get length(): number {
    return this.#ends.length;
  }

  /** Appends a copy of an update (the buffer doubles when full). */
  push(update: Uint8Array): void {
    const end = this.#used + update.byteLength;
    if (end > this.#buffer.byteLength) {
      const grown = new Uint8Array(Math.max(MIN_TAIL_CAPACITY, 2 * this.#buffer.byteLength, end));
      grown.set(this.#buffer.subarray(0, this.#used));
      this.#buffer = grown;
    }
    this.#buffer.set(update, this.#used);
    this.#used = end;
    this.#ends.push(end);
  }

  /** Copies of the updates from index `from` on. */
  copies(from = 0): Uint8Array[] {
    const out: Uint8Array[] = [];
    for (let i = from; i < this.#ends.length; i++) out.push(this.#buffer.slice(this.#start(i), this.#ends[i]));
    return out;
  }

  /** Bytes of the updates from index `from` on. */
  bytesFrom(from: number): number {
    return from >= this.#ends.length ? 0 : this.#used - this.#start(from);
  }

  /** A new tail of the updates from index `from` on (sized to them: the old buffer is dropped). */
  from(from: number): Tail {
    return new Tail(from >= this.#ends.length ? [] : this.copies(from));
  }

  #start(i: number): number {
    return i === 0 ? 0 : (this.#ends[i - 1] ?? 0);
  }
}

interface Entry {
  snapshot: Uint8Array | null;
  /** Sequence number of the last update the snapshot covers (0 without one). */
  snapshotSeq: number;
  /** Updates after the snapshot; the first is numbered `snapshotSeq + 1`. */
  updates: Tail;
  bytes: number;
}

function emptyEntry(): Entry {
  return { snapshot: null, snapshotSeq: 0, updates: new Tail(), bytes: 0 };
}

/**
 * Documents kept in a Map: nothing survives the process. Several servers in one process may share one instance
 * (tests of the cross-node path). Bytes are copied in and out, so callers may reuse their buffers.
 */
export class MemoryDocumentStore implements DocumentStore {
  readonly #docs = new Map<string, Entry>();
  #closed = false;

  /** Number of documents held (for tests). */
  get size(): number {
    return this.#docs.size;
  }

  async load(name: string): Promise<StoredDocument> {
    this.#check();
    const entry = this.#docs.get(name);
    if (entry === undefined) return { snapshot: null, updates: [], bytes: 0, seq: 0 };
    return {
      snapshot: entry.snapshot === null ? null : entry.snapshot.slice(),
      updates: entry.updates.copies(),
      bytes: entry.bytes,
      seq: entry.snapshotSeq + entry.updates.length,
    };
  }

  async append(name: string, update: Uint8Array): Promise<void> {
    this.#check();
    let entry = this.#docs.get(name);
    if (entry === undefined) {
      entry = emptyEntry();
      this.#docs.set(name, entry);
    }
    entry.updates.push(update);
    entry.bytes += update.byteLength;
  }

  async compact(name: string, snapshot: Uint8Array, throughSeq: number): Promise<boolean> {
    this.#check();
    checkThroughSeq(throughSeq);
    const entry = this.#docs.get(name) ?? emptyEntry();
    const last = entry.snapshotSeq + entry.updates.length;
    // As every store: replacing more updates than were appended is a caller's miscount, refused rather than guessed.
    if (throughSeq > last) throw beyondLast(name, throughSeq, last);
    if (throughSeq < entry.snapshotSeq) return false;
    const kept = throughSeq - entry.snapshotSeq;
    const bytes = snapshot.byteLength + entry.updates.bytesFrom(kept);
    this.#docs.set(name, {
      snapshot: snapshot.slice(),
      snapshotSeq: throughSeq,
      updates: entry.updates.from(kept),
      bytes,
    });
    return true;
  }

  async delete(name: string): Promise<void> {
    this.#check();
    this.#docs.delete(name);
  }

  async close(): Promise<void> {
    this.#closed = true;
  }

  #check(): void {
    if (this.#closed) {
      throw new BrokerError('Cannot use the document store: it is closed', { code: 'BROKER_CLOSED' });
    }
  }
}
