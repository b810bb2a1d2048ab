// Broker: a DocumentStore in process memory, for tests and a single node without a disk (`documents.store: memory`).
// A document's updates since its last compaction are held in one growing buffer, each after its length, not one
// Uint8Array each: a small update costs its bytes and a byte or two, not a typed array's ~200 bytes of heap.
import type { DocumentStore, StoredDocument } from '../document-store.ts';
import { BrokerError } from '../errors.ts';
import { beyondLast, checkThroughSeq } from './seq.ts';

/** Smallest capacity of a document's update buffer, in bytes (it doubles when full). */
const MIN_TAIL_CAPACITY = 256;

/** A byte of an LEB128 length prefix carries 7 bits (a factor of 128); its top bit says another byte follows. */
const LEB128_MORE = 0x80;
const LEB128_LOW = 0x7f;
/** The longest prefix the tail writes (lengths below 2^35). */
const MAX_PREFIX = 5;

/**
 * The updates after a snapshot, back to back in one buffer, each after its length as an unsigned LEB128 prefix: no
 * array of end offsets beside the bytes (an idle document with 20-odd updates held a ~340-byte array of them).
 * Reading walks the prefixes; the tail is read only to load a document or compact it.
 */
class Tail {
  /** The bytes; `used` of them are updates, the rest room to grow. */
  #buffer: Uint8Array;
  #used = 0;
  #count = 0;

  /** @param updates The first updates (copied). */
  constructor(updates: readonly Uint8Array[] = []) {
    let size = 0;
    for (const u of updates) size += u.byteLength + MAX_PREFIX;
    this.#buffer = new Uint8Array(size === 0 ? 0 : Math.max(MIN_TAIL_CAPACITY, size));
    for (const u of updates) this.push(u);
  }

  /** Number of updates. */
  get length(): number {
    return this.#count;
  }

  /** Appends a copy of an update (the buffer doubles when full). */
  push(update: Uint8Array): void {
    const length = update.byteLength;
    const end = this.#used + MAX_PREFIX + length;
    if (end > this.#buffer.byteLength) {
      const grown = new Uint8Array(Math.max(MIN_TAIL_CAPACITY, 2 * this.#buffer.byteLength, end));
      grown.set(this.#buffer.subarray(0, this.#used));
      this.#buffer = grown;
    }
    const buffer = this.#buffer;
    let at = this.#used;
    let rest = length;
    while (rest > LEB128_LOW) {
      buffer[at++] = (rest % LEB128_MORE) | LEB128_MORE;
      rest = Math.floor(rest / LEB128_MORE);
    }
    buffer[at++] = rest;
    buffer.set(update, at);
    this.#used = at + length;
    this.#count++;
  }

  /** Copies of the updates from index `from` on. */
  copies(from = 0): Uint8Array[] {
    const out: Uint8Array[] = [];
    this.#walk(from, (start, end) => out.push(this.#buffer.slice(start, end)));
    return out;
  }

  /** Bytes of the updates from index `from` on. */
  bytesFrom(from: number): number {
    let bytes = 0;
    this.#walk(from, (start, end) => {
      bytes += end - start;
    });
    return bytes;
  }

  /** A new tail of the updates from index `from` on (sized to them: the old buffer is dropped). */
  from(from: number): Tail {
    return new Tail(from >= this.#count ? [] : this.copies(from));
  }

  /** Calls `visit` with where each update from index `from` on starts and ends in the buffer. */
  #walk(from: number, visit: (start: number, end: number) => void): void {
    const buffer = this.#buffer;
    let at = 0;
    for (let i = 0; i < this.#count; i++) {
      let length = 0;
      let scale = 1;
      let byte: number;
      do {
        byte = buffer[at++]!;
        length += (byte & LEB128_LOW) * scale;
        scale *= LEB128_MORE;
      } while ((byte & LEB128_MORE) !== 0);
      if (i >= from) visit(at, at + length);
      at += length;
    }
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
