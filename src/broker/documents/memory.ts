// Broker: a DocumentStore in process memory, for tests and a single node without a disk (`documents.store: memory`).
import type { DocumentStore, StoredDocument } from '../document-store.ts';
import { BrokerError } from '../errors.ts';
import { beyondLast, checkThroughSeq } from './seq.ts';

interface Entry {
  snapshot: Uint8Array | null;
  /** Sequence number of the last update the snapshot covers (0 without one). */
  snapshotSeq: number;
  /** Updates after the snapshot; the first is numbered `snapshotSeq + 1`. */
  updates: Uint8Array[];
  bytes: number;
}

function emptyEntry(): Entry {
  return { snapshot: null, snapshotSeq: 0, updates: [], bytes: 0 };
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
      updates: entry.updates.map((u) => u.slice()),
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
    entry.updates.push(update.slice());
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
    const tail = entry.updates.slice(throughSeq - entry.snapshotSeq);
    let bytes = snapshot.byteLength;
    for (const u of tail) bytes += u.byteLength;
    this.#docs.set(name, { snapshot: snapshot.slice(), snapshotSeq: throughSeq, updates: tail, bytes });
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
