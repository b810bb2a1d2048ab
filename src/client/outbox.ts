// Client SDK (Node-free): the offline outbox, bounded, ordered, optionally persisted through an OutboxStore.
import type { JsonValue } from '../messages/core.ts';

/** One message waiting for its acknowledgement. JSON-serialisable, so a store can write it as is. */
export interface OutboxEntry {
  /** The client message id: every retry carries it, so the server delivers the message once. */
  readonly id: string;
  readonly kind: 'publish' | 'send';
  /** `publish`: the channel; `send`: the recipient user id. */
  readonly target: string;
  readonly data: JsonValue;
  /** When it was queued, ms since the Unix epoch. */
  readonly queuedAt: number;
  /** `publish` with `echo: false`: the publishing connection does not receive it back. Absent: it does. */
  readonly echo?: false;
  /** `publish` with a feed key (snapshots and conflation keep the newest per key). Absent: none. */
  readonly key?: string;
}

/**
 * Where a persisted outbox lives. `save` receives the whole outbox (it is bounded), in order; `load` returns what the
 * last completed `save` wrote. Implementations: {@link IndexedDbOutboxStore} (browsers), {@link FileOutboxStore}
 * (any runtime given an `fs`-like object, e.g. `node:fs/promises`), {@link MemoryOutboxStore}.
 */
export interface OutboxStore {
  load(): Promise<OutboxEntry[]>;
  save(entries: readonly OutboxEntry[]): Promise<void>;
}

/** What to do when the outbox is full: refuse the new message (`reject`) or drop the oldest queued one (`drop-oldest`). */
export type OutboxFullPolicy = 'reject' | 'drop-oldest';

/** Options of the outbox. */
export interface OutboxOptions {
  /**
   * Most messages held while offline or unacknowledged.
   * @default 1000: minutes of a busy chat user, bounded so a long outage cannot exhaust memory or storage
   */
  readonly maxMessages?: number;
  /**
   * Policy when full.
   * @default 'reject': the application is told at once (`outbox_full`) and no message it was promised is lost silently
   */
  readonly whenFull?: OutboxFullPolicy;
  /** Persistence. @default undefined: memory only (a reload loses queued messages) */
  readonly store?: OutboxStore;
}

/** Ordered, bounded queue of unacknowledged messages with write-behind persistence (one write at a time, latest snapshot wins). */
export class Outbox {
  readonly #entries = new Map<string, OutboxEntry>();
  readonly #max: number;
  readonly #policy: OutboxFullPolicy;
  readonly #store: OutboxStore | undefined;
  readonly #onStoreError: (err: unknown) => void;
  #writing: Promise<void> | null = null;
  #dirty = false;
  readonly loaded: Promise<void>;

  /**
   * @param options Bound, policy, store.
   * @param onStoreError Called when the store fails (the outbox keeps working in memory).
   */
  constructor(options: OutboxOptions, onStoreError: (err: unknown) => void) {
    this.#max = Math.max(1, options.maxMessages ?? 1000);
    this.#policy = options.whenFull ?? 'reject';
    this.#store = options.store;
    this.#onStoreError = onStoreError;
    this.loaded =
      this.#store === undefined
        ? Promise.resolve()
        : this.#store.load().then(
            (entries) => {
              // Entries queued before the load finished go after the persisted ones: those are older.
              const later = [...this.#entries.values()];
              this.#entries.clear();
              for (const e of entries) if (isEntry(e) && this.#entries.size < this.#max) this.#entries.set(e.id, e);
              for (const e of later) this.#entries.set(e.id, e);
            },
            (err: unknown) => this.#onStoreError(err),
          );
  }

  /** Number of queued messages. */
  get size(): number {
    return this.#entries.size;
  }

  /** The queued messages, oldest first (a copy). */
  entries(): OutboxEntry[] {
    return [...this.#entries.values()];
  }

  /** The queued messages, oldest first, without a copy (do not add or remove while iterating). */
  values(): IterableIterator<OutboxEntry> {
    return this.#entries.values();
  }

  /** Whether `id` is still queued. */
  has(id: string): boolean {
    return this.#entries.has(id);
  }

  /**
   * Queues a message.
   * @param entry The message.
   * @returns The entry dropped to make room (policy `drop-oldest`), null when there was room.
   * @throws {RangeError} When full under policy `reject` (the caller turns it into `outbox_full`).
   */
  add(entry: OutboxEntry): OutboxEntry | null {
    let dropped: OutboxEntry | null = null;
    if (this.#entries.size >= this.#max) {
      if (this.#policy === 'reject') throw new RangeError(`Cannot queue: the outbox holds ${this.#max} messages`);
      const oldest = this.#entries.values().next().value;
      if (oldest !== undefined) {
        this.#entries.delete(oldest.id);
        dropped = oldest;
      }
    }
    this.#entries.set(entry.id, entry);
    this.#persist();
    return dropped;
  }

  /** Removes an acknowledged (or abandoned) message. @returns whether it was queued. */
  remove(id: string): boolean {
    const had = this.#entries.delete(id);
    if (had) this.#persist();
    return had;
  }

  /** Resolves once everything queued so far is written to the store (immediately without one). */
  async flushed(): Promise<void> {
    await this.loaded;
    while (this.#writing !== null) await this.#writing;
  }

  #persist(): void {
    if (this.#store === undefined) return;
    this.#dirty = true;
    if (this.#writing !== null) return;
    const store = this.#store;
    this.#writing = (async () => {
      await this.loaded;
      while (this.#dirty) {
        this.#dirty = false;
        try {
          await store.save(this.entries());
        } catch (err) {
          this.#onStoreError(err);
        }
      }
      this.#writing = null;
    })();
  }
}

function isEntry(value: unknown): value is OutboxEntry {
  if (typeof value !== 'object' || value === null) return false;
  const e = value as Record<string, unknown>;
  return (
    typeof e['id'] === 'string' &&
    (e['kind'] === 'publish' || e['kind'] === 'send') &&
    typeof e['target'] === 'string' &&
    'data' in e &&
    typeof e['queuedAt'] === 'number' &&
    (e['echo'] === undefined || e['echo'] === false) &&
    (e['key'] === undefined || typeof e['key'] === 'string')
  );
}

/** An {@link OutboxStore} in memory: survives a `Client` being replaced, not a reload. */
export class MemoryOutboxStore implements OutboxStore {
  #entries: OutboxEntry[] = [];
  /** @returns the last saved entries. */
  load(): Promise<OutboxEntry[]> {
    return Promise.resolve([...this.#entries]);
  }
  /** @param entries The outbox, in order. */
  save(entries: readonly OutboxEntry[]): Promise<void> {
    this.#entries = [...entries];
    return Promise.resolve();
  }
}

/** The part of `node:fs/promises` a {@link FileOutboxStore} needs; inject it so this module stays Node-free. */
export interface OutboxFileSystem {
  readFile(path: string, encoding: 'utf8'): Promise<string>;
  writeFile(path: string, data: string, encoding: 'utf8'): Promise<void>;
  rename(from: string, to: string): Promise<void>;
}

/**
 * An {@link OutboxStore} in one JSON file, written atomically (temporary file, then rename), so a crash mid-write leaves
 * the previous complete outbox. A missing or unreadable file loads as empty.
 *
 * @example
 * ```ts
 * import fs from 'node:fs/promises';
 * const store = new FileOutboxStore('/var/lib/app/outbox.json', { fs });
 * ```
 */
export class FileOutboxStore implements OutboxStore {
  readonly #path: string;
  readonly #fs: OutboxFileSystem;

  /**
   * @param path The file.
   * @param options `fs`: `node:fs/promises` or anything with the same three functions.
   */
  constructor(path: string, options: { readonly fs: OutboxFileSystem }) {
    this.#path = path;
    this.#fs = options.fs;
  }

  /** @returns the entries of the last complete write, or none. */
  async load(): Promise<OutboxEntry[]> {
    let text: string;
    try {
      text = await this.#fs.readFile(this.#path, 'utf8');
    } catch {
      return [];
    }
    try {
      const parsed: unknown = JSON.parse(text);
      return Array.isArray(parsed) ? parsed.filter(isEntry) : [];
    } catch {
      return [];
    }
  }

  /** @param entries The outbox, in order. */
  async save(entries: readonly OutboxEntry[]): Promise<void> {
    const tmp = `${this.#path}.tmp`;
    await this.#fs.writeFile(tmp, JSON.stringify(entries), 'utf8');
    await this.#fs.rename(tmp, this.#path);
  }
}

/** The slice of IndexedDB used here, declared structurally so Node builds (without the DOM lib) type-check. */
interface IdbRequest<T> {
  readonly result: T;
  readonly error: unknown;
  onsuccess: (() => void) | null;
  onerror: (() => void) | null;
}
interface IdbObjectStore {
  get(key: string): IdbRequest<unknown>;
  put(value: unknown, key: string): IdbRequest<unknown>;
}
interface IdbTransaction {
  objectStore(name: string): IdbObjectStore;
  readonly error: unknown;
  oncomplete: (() => void) | null;
  onerror: (() => void) | null;
  onabort: (() => void) | null;
}
interface IdbDatabase {
  transaction(name: string, mode: 'readonly' | 'readwrite'): IdbTransaction;
  createObjectStore(name: string): unknown;
}
interface IdbOpenRequest extends IdbRequest<IdbDatabase> {
  onupgradeneeded: (() => void) | null;
}
/** The `indexedDB` factory shape {@link IndexedDbOutboxStore} needs (the browser's `indexedDB` fits). */
export interface IdbFactoryLike {
  open(name: string, version: number): IdbOpenRequest;
}

function asError(value: unknown, fallback: string): Error {
  return value instanceof Error ? value : new Error(fallback);
}

/**
 * An {@link OutboxStore} in IndexedDB (browsers): one object store holding the outbox under one key, replaced in one
 * transaction, so a reload finds either the old or the new outbox, never half of one.
 */
export class IndexedDbOutboxStore implements OutboxStore {
  readonly #dbName: string;
  readonly #key: string;
  readonly #factory: IdbFactoryLike;
  #db: Promise<IdbDatabase> | null = null;

  /**
   * @param options `database` name (default `switchboard-outbox`), `key` for several clients on one origin (default `default`),
   * `indexedDB` factory (default `globalThis.indexedDB`).
   * @throws {TypeError} When no IndexedDB is available.
   */
  constructor(
    options: { readonly database?: string; readonly key?: string; readonly indexedDB?: IdbFactoryLike } = {},
  ) {
    this.#dbName = options.database ?? 'switchboard-outbox';
    this.#key = options.key ?? 'default';
    const factory = options.indexedDB ?? (globalThis as { indexedDB?: IdbFactoryLike }).indexedDB;
    if (factory === undefined) throw new TypeError('Cannot use IndexedDbOutboxStore: no indexedDB in this runtime');
    this.#factory = factory;
  }

  #open(): Promise<IdbDatabase> {
    this.#db ??= new Promise<IdbDatabase>((resolve, reject) => {
      const req = this.#factory.open(this.#dbName, 1);
      req.onupgradeneeded = () => req.result.createObjectStore('outbox');
      req.onsuccess = () => resolve(req.result);
      req.onerror = () => reject(asError(req.error, 'Cannot open IndexedDB'));
    });
    return this.#db;
  }

  /** @returns the stored outbox. */
  async load(): Promise<OutboxEntry[]> {
    const db = await this.#open();
    return new Promise<OutboxEntry[]>((resolve, reject) => {
      const req = db.transaction('outbox', 'readonly').objectStore('outbox').get(this.#key);
      req.onsuccess = () => resolve(Array.isArray(req.result) ? (req.result as unknown[]).filter(isEntry) : []);
      req.onerror = () => reject(asError(req.error, 'Cannot read IndexedDB'));
    });
  }

  /** @param entries The outbox, in order. */
  async save(entries: readonly OutboxEntry[]): Promise<void> {
    const db = await this.#open();
    return new Promise<void>((resolve, reject) => {
      const tx = db.transaction('outbox', 'readwrite');
      tx.objectStore('outbox').put(
        entries.map((e) => ({ ...e })),
        this.#key,
      );
      tx.oncomplete = () => resolve();
      tx.onerror = () => reject(asError(tx.error, 'Cannot write IndexedDB'));
      tx.onabort = () => reject(asError(tx.error, 'IndexedDB write aborted'));
    });
  }
}
