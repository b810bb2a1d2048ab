// Broker (documents): documents in this process's memory, for tests and a single node that needs no persistence.
import { BrokerError } from '../errors.ts';
import type { DocumentStore, StoredDocument } from '../document-store.ts';

interface Entry {
  snapshot: Uint8Array | null;
  updates: Uint8Array[];
}

/** Keeps every document in memory (copies of the bytes given); everything is lost when the process exits. */
export class MemoryDocumentStore implements DocumentStore {
  readonly #docs = new Map<string, Entry>();
  #closed = false;

  async load(name: string): Promise<StoredDocument> {
    this.#check('load');
    const entry = this.#docs.get(name);
    if (entry === undefined) return { snapshot: null, updates: [], bytes: 0 };
    const updates = entry.updates.slice();
    const bytes = (entry.snapshot?.byteLength ?? 0) + updates.reduce((sum, u) => sum + u.byteLength, 0);
    return { snapshot: entry.snapshot, updates, bytes };
  }

  async append(name: string, update: Uint8Array): Promise<void> {
    this.#check('append to');
    let entry = this.#docs.get(name);
    if (entry === undefined) {
      entry = { snapshot: null, updates: [] };
      this.#docs.set(name, entry);
    }
    entry.updates.push(update.slice());
  }

  async compact(name: string, snapshot: Uint8Array, replacedUpdates: number): Promise<void> {
    this.#check('compact');
    const entry = this.#docs.get(name) ?? { snapshot: null, updates: [] };
    if (!Number.isSafeInteger(replacedUpdates) || replacedUpdates < 0 || replacedUpdates > entry.updates.length) {
      throw new RangeError(
        `Cannot compact document ${JSON.stringify(name)}: ${replacedUpdates} updates to replace, it has ${entry.updates.length}`,
      );
    }
    this.#docs.set(name, { snapshot: snapshot.slice(), updates: entry.updates.slice(replacedUpdates) });
  }

  async delete(name: string): Promise<void> {
    this.#check('delete');
    this.#docs.delete(name);
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.#docs.clear();
  }

  #check(what: string): void {
    if (this.#closed)
      throw new BrokerError(`Cannot ${what} a document: the store is closed`, { code: 'BROKER_CLOSED' });
  }
}
