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
  /**
   * Sequence number of the last update this read includes. Each document numbers its appends 1, 2, 3...; the numbers
   * never go back while the document exists (a compaction keeps them), so `seq` names exactly what was read, whatever
   * other nodes append or compact afterwards. 0 for a document nothing was ever appended to.
   */
  readonly seq: number;
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
   * Replaces the snapshot and every update numbered up to `throughSeq` with `snapshot`, atomically. `throughSeq` is the
   * `seq` of the `load` the snapshot was built from, so only what that load read is removed: updates appended after it
   * (by this or another node) stay in the tail, whatever happened in between. A compaction that arrives after another
   * one already covered more than `throughSeq` changes nothing and resolves `false` (its snapshot would lack updates
   * the newer one holds); otherwise it resolves `true`.
   * @throws RangeError when `throughSeq` is not a non-negative integer or is beyond the last update appended
   */
  compact(name: string, snapshot: Uint8Array, throughSeq: number): Promise<boolean>;
  /** Removes the document. */
  delete(name: string): Promise<void>;
  /** Releases connections and file handles. */
  close(): Promise<void>;
}
