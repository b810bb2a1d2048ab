// Broker (documents): documents in Redis, shared by every node: a list of updates and a snapshot string per document.
//
// Keys (`prefix` default `sb:doc:`): `<prefix>{<name>}:u` the updates (RPUSH, oldest first) and `<prefix>{<name>}:s`
// the snapshot. The hash tag keeps both in one slot of a Redis Cluster. Compaction is one Lua script (SET the
// snapshot, LTRIM the replaced updates away), so updates appended by any node meanwhile stay in the tail. Durability
// is Redis's own: with `appendfsync always` an acknowledged append survives a crash of Redis; with the default
// `everysec`, at most a second of updates.
import { Redis, type RedisOptions } from 'ioredis';
import type { DocumentStore, StoredDocument } from '../document-store.ts';
import { BrokerError } from '../errors.ts';
import { toBrokerError } from '../redis/options.ts';
import { LuaScript } from '../redis/scripts.ts';

/** Options of {@link RedisDocumentStore}. */
export interface RedisDocumentStoreOptions {
  /** `redis://[user:password@]host:port[/db]` or `rediss://`. */
  readonly url: string;
  /**
   * Prefix of every key.
   * @default 'sb:doc:' - beside the broker's `sb:` keys, never colliding with its channel keys
   */
  readonly prefix?: string;
  /** Extra ioredis options (TLS, Sentinel...); the store's own settings below win over them. */
  readonly redis?: RedisOptions;
  /**
   * Deadline of each command, in ms.
   * @default 5000 - a load of a large document is one reply of up to a few MB; still fails long before a client gives up
   */
  readonly commandTimeoutMs?: number;
  /**
   * Longest pause between reconnection attempts, in ms.
   * @default 1000 - a restarted Redis is found within a second
   */
  readonly maxReconnectDelayMs?: number;
}

// KEYS[1] snapshot, KEYS[2] updates; ARGV[1] snapshot bytes, ARGV[2] updates replaced. Returns the tail length.
const COMPACT = new LuaScript(`
local n = tonumber(ARGV[2])
local len = redis.call('LLEN', KEYS[2])
if n > len then return redis.error_reply('ERR_TOO_MANY ' .. len) end
redis.call('SET', KEYS[1], ARGV[1])
redis.call('LTRIM', KEYS[2], n, -1)
return len - n
`);

/** Documents in Redis. */
export class RedisDocumentStore implements DocumentStore {
  readonly #redis: Redis;
  readonly #prefix: string;
  #closed = false;

  constructor(options: RedisDocumentStoreOptions) {
    this.#prefix = options.prefix ?? 'sb:doc:';
    const maxDelay = options.maxReconnectDelayMs ?? 1000;
    this.#redis = new Redis(options.url, {
      ...options.redis,
      // Fail fast while Redis is down, and never re-send a command whose outcome is unknown (an append twice).
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      autoResendUnfulfilledCommands: false,
      commandTimeout: options.commandTimeoutMs ?? 5000,
      retryStrategy: (attempt) => Math.min(maxDelay, 50 * 2 ** Math.min(attempt, 10)) * (0.75 + Math.random() / 2),
      connectionName: 'switchboard:documents',
    });
    // Without an 'error' listener ioredis would crash the process on the first connection failure.
    this.#redis.on('error', () => {});
  }

  /** Connects and waits until Redis answers (or rejects after `timeoutMs`, closing the store). */
  static async connect(options: RedisDocumentStoreOptions, timeoutMs = 5000): Promise<RedisDocumentStore> {
    const store = new RedisDocumentStore(options);
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      try {
        await store.#redis.ping();
        return store;
      } catch (err) {
        if (Date.now() > deadline) {
          await store.close();
          throw toBrokerError('open the document store', err);
        }
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    }
  }

  async load(name: string): Promise<StoredDocument> {
    const keys = this.#keys(name);
    const replies = await this.#run('load', () =>
      this.#redis.multi().getBuffer(keys.snapshot).lrangeBuffer(keys.updates, 0, -1).exec(),
    );
    if (replies === null) throw toBrokerError('load a document', new Error('transaction aborted'));
    for (const [err] of replies) if (err !== null) throw toBrokerError('load a document', err);
    const snapshotReply = replies[0]?.[1] as Buffer | null;
    const updateReplies = (replies[1]?.[1] ?? []) as Buffer[];
    const snapshot = snapshotReply === null ? null : new Uint8Array(snapshotReply);
    const updates = updateReplies.map((u) => new Uint8Array(u));
    const bytes = (snapshot?.byteLength ?? 0) + updates.reduce((sum, u) => sum + u.byteLength, 0);
    return { snapshot, updates, bytes };
  }

  async append(name: string, update: Uint8Array): Promise<void> {
    const key = this.#keys(name).updates;
    await this.#run('append to', () =>
      this.#redis.rpush(key, Buffer.from(update.buffer, update.byteOffset, update.byteLength)),
    );
  }

  async compact(name: string, snapshot: Uint8Array, replacedUpdates: number): Promise<void> {
    if (!Number.isSafeInteger(replacedUpdates) || replacedUpdates < 0) {
      throw new RangeError(`replacedUpdates must be a non-negative integer, got ${replacedUpdates}`);
    }
    const keys = this.#keys(name);
    const bytes = Buffer.from(snapshot.buffer, snapshot.byteOffset, snapshot.byteLength);
    try {
      await this.#run('compact', () =>
        COMPACT.run(this.#redis, [keys.snapshot, keys.updates], [bytes, replacedUpdates]),
      );
    } catch (err) {
      const message = (err as BrokerError).cause instanceof Error ? ((err as BrokerError).cause as Error).message : '';
      const tooMany = /ERR_TOO_MANY (\d+)/.exec(message);
      if (tooMany !== null) {
        throw new RangeError(
          `Cannot compact document ${JSON.stringify(name)}: ${replacedUpdates} updates to replace, it has ${tooMany[1]}`,
        );
      }
      throw err;
    }
  }

  async delete(name: string): Promise<void> {
    const keys = this.#keys(name);
    await this.#run('delete', () => this.#redis.del(keys.snapshot, keys.updates));
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    try {
      await this.#redis.quit();
    } catch {
      this.#redis.disconnect();
    }
  }

  #keys(name: string): { snapshot: string; updates: string } {
    if (name.length === 0) throw new TypeError('A document name cannot be empty');
    const base = `${this.#prefix}{${name}}`;
    return { snapshot: `${base}:s`, updates: `${base}:u` };
  }

  async #run<T>(what: string, call: () => Promise<T>): Promise<T> {
    if (this.#closed) {
      throw new BrokerError(`Cannot ${what} a document: the store is closed`, { code: 'BROKER_CLOSED' });
    }
    try {
      return await call();
    } catch (err) {
      throw toBrokerError(`${what} a document`, err);
    }
  }
}
