// Broker: a DocumentStore in process memory, for tests and a single node without a disk (`documents.store: memory`).
import type { DocumentStore, StoredDocument } from '../document-store.ts';

interface Entry {
  snapshot: Uint8Array | null;
  updates: Uint8Array[];
  bytes: number;
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
    if (entry === undefined) return { snapshot: null, updates: [], bytes: 0 };
    return {
      snapshot: entry.snapshot === null ? null : entry.snapshot.slice(),
      updates: entry.updates.map((u) => u.slice()),
      bytes: entry.bytes,
    };
  }

  async append(name: string, update: Uint8Array): Promise<void> {
    this.#check();
    let entry = this.#docs.get(name);
    if (entry === undefined) {
      entry = { snapshot: null, updates: [], bytes: 0 };
      this.#docs.set(name, entry);
    }
    entry.updates.push(update.slice());
    entry.bytes += update.byteLength;
  }

  async compact(name: string, snapshot: Uint8Array, replacedUpdates: number): Promise<void> {
    this.#check();
    if (!Number.isSafeInteger(replacedUpdates) || replacedUpdates < 0)
      throw new RangeError(`Cannot compact: replacedUpdates "${replacedUpdates}" is not a non-negative integer`);
    const entry = this.#docs.get(name) ?? { snapshot: null, updates: [], bytes: 0 };
    const tail = entry.updates.slice(Math.min(replacedUpdates, entry.updates.length));
    let bytes = snapshot.byteLength;
    for (const u of tail) bytes += u.byteLength;
    this.#docs.set(name, { snapshot: snapshot.slice(), updates: tail, bytes });
  }

  async delete(name: string): Promise<void> {
    this.#check();
    this.#docs.delete(name);
  }

  async close(): Promise<void> {
    this.#closed = true;
  }

  #check(): void {
    if (this.#closed) throw new Error('Cannot use the document store: it is closed');
  }
}
