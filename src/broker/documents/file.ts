// Broker (documents): the embedded document store, one append-only log file per document with compaction.
//
// Why a log file and not SQLite: no native module to build or download, and an append of a Yjs update is exactly one
// framed write + fdatasync. Durability: `append` resolves after the data reached the disk (concurrent appends to one
// document share one write and one sync). A crash mid-append leaves a torn last record, detected by its length and
// CRC-32 and truncated on the next load or append. Compaction writes the snapshot and the remaining tail to a temporary
// file, syncs it, renames it over the log and syncs the directory, so a crash leaves either the old or the new log.
// One process per directory, enforced by a lock file (file-lock.ts): two processes appending to one document would
// interleave their writes.
import { mkdir, open, readdir, readFile, rename, truncate, unlink, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { BrokerError } from '../errors.ts';
import type { DocumentStore, StoredDocument } from '../document-store.ts';
import { type DirectoryLock, lockDirectory } from './file-lock.ts';
import { COMPACT_TEMP_SUFFIX, documentFileName } from './file-names.ts';
import { CorruptLogError, encodeRecord, fileHeader, parseLog, RecordType, snapshotPayload } from './file-records.ts';
import { beyondLast, checkThroughSeq } from './seq.ts';

/** Options of {@link FileDocumentStore}. */
export interface FileDocumentStoreOptions {
  /** Directory of the logs (created if missing). One process per directory: `open` takes its lock. */
  readonly dir: string;
  /**
   * Most log files kept open for appending; the least recently used idle one is closed beyond it.
   * @default 64 - a few hundred actively edited documents cost a reopen now and then, far below any fd limit
   */
  readonly maxOpenFiles?: number;
  /**
   * Logs whose size this process knows to be valid (so an append need not re-read them); least recently used forgotten.
   * @default 4096 - 4096 small entries; a forgotten log is re-read once before its next append
   */
  readonly maxKnownLogs?: number;
}

interface PendingAppend {
  readonly frame: Buffer;
  readonly resolve: () => void;
  readonly reject: (err: unknown) => void;
}

/** Per-document serialisation: loads, append batches, compactions and deletes of one document run one at a time. */
interface DocState {
  chain: Promise<void>;
  users: number;
  active: boolean;
  pending: PendingAppend[];
  flushQueued: boolean;
}

interface OpenLog {
  readonly handle: FileHandle;
  size: number;
}

function empty(): StoredDocument {
  return { snapshot: null, updates: [], bytes: 0, seq: 0 };
}

function isMissing(err: unknown): boolean {
  return (err as NodeJS.ErrnoException | null)?.code === 'ENOENT';
}

function storeError(what: string, name: string, cause: unknown): BrokerError {
  if (cause instanceof BrokerError) return cause;
  const detail = cause instanceof CorruptLogError ? `its log is damaged (${cause.message})` : 'the disk refused';
  return new BrokerError(`Cannot ${what} document ${JSON.stringify(name)}: ${detail}`, {
    code: 'BROKER_UNAVAILABLE',
    cause,
  });
}

/** The embedded document store: an append-only log file per document under one directory. */
export class FileDocumentStore implements DocumentStore {
  readonly dir: string;
  readonly #maxOpenFiles: number;
  readonly #maxKnownLogs: number;
  readonly #docs = new Map<string, DocState>();
  /** Open logs in least-recently-used order (oldest first). */
  readonly #open = new Map<string, OpenLog>();
  /** Sizes of logs known to end on a record boundary, in least-recently-used order. */
  readonly #known = new Map<string, number>();
  readonly #lock: DirectoryLock;
  #closed = false;

  private constructor(options: FileDocumentStoreOptions, lock: DirectoryLock) {
    this.dir = options.dir;
    this.#lock = lock;
    this.#maxOpenFiles = Math.max(1, options.maxOpenFiles ?? 64);
    this.#maxKnownLogs = Math.max(1, options.maxKnownLogs ?? 4096);
  }

  /**
   * Creates the directory if needed, takes its exclusive lock (file-lock.ts), and removes temporary files of
   * compactions a crash interrupted.
   * @throws DocumentStoreLockedError when another live process (or another open store of this one) uses the directory
   */
  static async open(options: FileDocumentStoreOptions): Promise<FileDocumentStore> {
    await mkdir(options.dir, { recursive: true });
    const lock = await lockDirectory(options.dir);
    try {
      for (const entry of await readdir(options.dir)) {
        if (entry.endsWith(COMPACT_TEMP_SUFFIX)) await unlink(join(options.dir, entry)).catch(() => {});
      }
    } catch (err) {
      await lock.release();
      throw err;
    }
    return new FileDocumentStore(options, lock);
  }

  /** Number of log files currently open (bounded by `maxOpenFiles` plus documents with an operation in flight). */
  get openFiles(): number {
    return this.#open.size;
  }

  async load(name: string): Promise<StoredDocument> {
    const path = this.#path(name);
    return this.#exclusive(name, 'load', async () => {
      let file: Buffer;
      try {
        file = await readFile(path);
      } catch (err) {
        if (isMissing(err)) return empty();
        throw err;
      }
      const log = await this.#checked(name, path, file);
      return {
        snapshot: log.snapshot,
        updates: log.updates,
        bytes: log.bytes,
        seq: log.snapshotSeq + log.updates.length,
      };
    });
  }

  async append(name: string, update: Uint8Array): Promise<void> {
    const path = this.#path(name);
    if (this.#closed) throw this.#closedError('append to');
    const frame = encodeRecord(RecordType.update, update);
    await new Promise<void>((resolve, reject) => {
      const state = this.#state(name);
      state.pending.push({ frame, resolve, reject });
      if (state.flushQueued) return;
      state.flushQueued = true;
      this.#exclusive(name, 'append to', () => this.#flush(name, path, state)).catch((err: unknown) => {
        // #flush settles every append it took; appends it never took (the batch never ran) are refused here.
        state.flushQueued = false;
        for (const p of state.pending.splice(0)) p.reject(err);
      });
    });
  }

  async compact(name: string, snapshot: Uint8Array, throughSeq: number): Promise<boolean> {
    const path = this.#path(name);
    checkThroughSeq(throughSeq);
    return this.#exclusive(name, 'compact', async () => {
      let file: Buffer;
      try {
        file = await readFile(path);
      } catch (err) {
        if (!isMissing(err)) throw err;
        file = Buffer.alloc(0);
      }
      const log = await this.#checked(name, path, file);
      const last = log.snapshotSeq + log.updates.length;
      if (throughSeq > last) throw beyondLast(name, throughSeq, last);
      if (throughSeq < log.snapshotSeq) return false;
      const parts = [fileHeader(), encodeRecord(RecordType.snapshot, snapshotPayload(throughSeq, snapshot))];
      for (const update of log.updates.slice(throughSeq - log.snapshotSeq)) {
        parts.push(encodeRecord(RecordType.update, update));
      }
      const next = Buffer.concat(parts);
      const temp = `${path}${COMPACT_TEMP_SUFFIX}`;
      const handle = await open(temp, 'w');
      try {
        await handle.writeFile(next);
        await handle.sync();
      } finally {
        await handle.close();
      }
      await this.#closeLog(name);
      await rename(temp, path);
      await this.#syncDir();
      this.#remember(name, next.length);
      return true;
    });
  }

  async delete(name: string): Promise<void> {
    const path = this.#path(name);
    return this.#exclusive(name, 'delete', async () => {
      await this.#closeLog(name);
      this.#known.delete(name);
      try {
        await unlink(path);
      } catch (err) {
        if (isMissing(err)) return;
        throw err;
      }
      await this.#syncDir();
    });
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await Promise.all([...this.#docs.values()].map((state) => state.chain));
    await Promise.all([...this.#open.keys()].map((name) => this.#closeLog(name)));
    await this.#lock.release();
  }

  #path(name: string): string {
    return join(this.dir, documentFileName(name));
  }

  #closedError(what: string): BrokerError {
    return new BrokerError(`Cannot ${what} a document: the store is closed`, { code: 'BROKER_CLOSED' });
  }

  #state(name: string): DocState {
    let state = this.#docs.get(name);
    if (state === undefined) {
      state = { chain: Promise.resolve(), users: 0, active: false, pending: [], flushQueued: false };
      this.#docs.set(name, state);
    }
    return state;
  }

  /** Runs `fn` after every earlier operation on `name`; errors become BrokerErrors naming the document. */
  async #exclusive<T>(name: string, what: string, fn: () => Promise<T>): Promise<T> {
    if (this.#closed) throw this.#closedError(what);
    const state = this.#state(name);
    state.users++;
    const run = state.chain.then(async () => {
      state.active = true;
      try {
        return await fn();
      } finally {
        state.active = false;
        // Logs left open by operations that were in flight when the limit was reached are closed once idle.
        if (this.#open.size > this.#maxOpenFiles) await this.#evictIdleLogs();
      }
    });
    state.chain = run.then(
      () => {},
      () => {},
    );
    try {
      return await run;
    } catch (err) {
      throw err instanceof RangeError || err instanceof TypeError ? err : storeError(what, name, err);
    } finally {
      state.users--;
      if (state.users === 0 && this.#docs.get(name) === state) this.#docs.delete(name);
    }
  }

  /** Parses a log read from disk, truncating a torn last record, and remembers its valid size. */
  async #checked(name: string, path: string, file: Buffer): Promise<ReturnType<typeof parseLog>> {
    const log = parseLog(file);
    if (log.validLength < file.length) {
      await this.#closeLog(name);
      await truncate(path, log.validLength);
      const handle = await open(path, 'r+');
      try {
        await handle.datasync();
      } finally {
        await handle.close();
      }
    }
    this.#remember(name, log.validLength);
    return log;
  }

  /** Writes every pending append of the document in one write and one fdatasync, then settles them. */
  async #flush(name: string, path: string, state: DocState): Promise<void> {
    state.flushQueued = false;
    const batch = state.pending;
    state.pending = [];
    if (batch.length === 0) return;
    try {
      const log = await this.#openLog(name, path);
      const frames = batch.map((p) => p.frame);
      if (log.size === 0) frames.unshift(fileHeader());
      const data = frames.length === 1 ? frames[0]! : Buffer.concat(frames);
      try {
        await log.handle.appendFile(data);
        await log.handle.datasync();
        // Written to a file someone removed meanwhile: not stored, whatever write() said.
        if ((await log.handle.stat()).nlink === 0) throw new Error(`${path} was removed while open`);
      } catch (err) {
        // A partial write would put garbage before the next record: cut the file back to the last good record.
        await this.#closeLog(name);
        this.#known.delete(name);
        await truncate(path, log.size).catch(() => {});
        throw err;
      }
      log.size += data.length;
      this.#remember(name, log.size);
      for (const p of batch) p.resolve();
    } catch (err) {
      const error = storeError('append to', name, err);
      for (const p of batch) p.reject(error);
    }
  }

  /** The document's log opened for appending, validated (torn tail truncated) unless its size is known to be good. */
  async #openLog(name: string, path: string): Promise<OpenLog> {
    const cached = this.#open.get(name);
    if (cached !== undefined) {
      this.#open.delete(name);
      // A log removed behind the store's back (not by `delete` or a compaction, which close it first) is reopened.
      if ((await cached.handle.stat()).nlink > 0) {
        this.#open.set(name, cached);
        return cached;
      }
      await cached.handle.close().catch(() => {});
      this.#known.delete(name);
    }
    let handle = await open(path, 'a');
    let { size } = await handle.stat();
    if (size === 0) {
      // A new file: make its directory entry durable before acknowledging appends to it.
      await this.#syncDir();
    } else if (this.#known.get(name) !== size) {
      await handle.close();
      const log = await this.#checked(name, path, await readFile(path));
      handle = await open(path, 'a');
      size = log.validLength;
    }
    const log: OpenLog = { handle, size };
    this.#open.set(name, log);
    await this.#evictIdleLogs();
    return log;
  }

  async #evictIdleLogs(): Promise<void> {
    for (const name of this.#open.keys()) {
      if (this.#open.size <= this.#maxOpenFiles) return;
      if (this.#docs.get(name)?.active === true) continue;
      await this.#closeLog(name);
    }
  }

  async #closeLog(name: string): Promise<void> {
    const log = this.#open.get(name);
    if (log === undefined) return;
    this.#open.delete(name);
    await log.handle.close().catch(() => {});
  }

  #remember(name: string, size: number): void {
    this.#known.delete(name);
    this.#known.set(name, size);
    if (this.#known.size > this.#maxKnownLogs) {
      const oldest = this.#known.keys().next().value;
      if (oldest !== undefined) this.#known.delete(oldest);
    }
  }

  async #syncDir(): Promise<void> {
    const handle = await open(this.dir, 'r');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  }
}
