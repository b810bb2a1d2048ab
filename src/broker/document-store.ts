// Broker: the storage contract of collaborative documents (Yjs). The realtime layer's documents
// (`src/realtime/documents/`) load, append and compact through it; implementations: in memory (tests, a single
// node without a disk), an append-only file (the embedded default), Redis (shared by every node) and PostgreSQL.

/** What a store holds for one document: an optional compacted snapshot and the updates appended after it, in order. */
export interface StoredDocument {
  /** A Yjs update that encodes the whole document up to the compaction point (`Y.encodeStateAsUpdate`), or null. */
  readonly snapshot: Uint8Array | null;
  /** Updates appended after the snapshot, oldest first. Applying snapshot then updates rebuilds the document. */
  readonly updates: readonly Uint8Array[];
  /** Total bytes of snapshot plus updates, as stored. */
  readonly bytes: number;
}

/**
 * Durable storage for documents. Every method may reject (the store is down); callers answer their client with an
 * error and keep serving what is loaded. Names are the document's channel name (`doc:readme`), any string the channel
 * rules allow; implementations escape them for their keys or paths.
 */
export interface DocumentStore {
  /** The document's snapshot and tail; an unknown document is `{ snapshot: null, updates: [], bytes: 0 }`. */
  load(name: string): Promise<StoredDocument>;
  /** Appends one update durably (resolved = stored; a crash after that loses nothing). */
  append(name: string, update: Uint8Array): Promise<void>;
  /**
   * Replaces the snapshot and the first `replacedUpdates` updates with `snapshot`, atomically: updates appended
   * concurrently (by this or another node) after those stay in the tail. Called after a number of updates or bytes.
   */
  compact(name: string, snapshot: Uint8Array, replacedUpdates: number): Promise<void>;
  /** Removes the document. */
  delete(name: string): Promise<void>;
  /** Releases connections and file handles. */
  close(): Promise<void>;
}
