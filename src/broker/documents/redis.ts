// Broker (documents): documents in Redis, shared by every node: a list of updates and a snapshot string per document.
//
// Keys (`prefix` default `sb:doc:`): `<prefix>{<name>}:u` the updates (RPUSH, oldest first), `<prefix>{<name>}:s`
// the snapshot and `<prefix>{<name>}:q` the sequence number of the last update the snapshot covers. The list holds
// the updates numbered q+1, q+2...; the hash tag keeps the keys in one slot of a Redis Cluster. Compaction is one Lua
// script (SET the snapshot and q, LTRIM the updates through the given seq away), so updates appended by any node
// after the read the snapshot was built from stay in the tail, and a compaction older than the stored one is a no-op. Durability
// is Redis's own: with `appendfsync always` an acknowledged append survives a crash of Redis; with the default
// `everysec`, at most a second of updates.
import { Redis, type RedisOptions } from 'ioredis';
import type { DocumentStore, StoredDocument } from '../document-store.ts';
import { BrokerError } from '../errors.ts';
import { toBrokerError } from '../redis/options.ts';
import { LuaScript } from '../redis/scripts.ts';
import { beyondLast, checkThroughSeq } from './seq.ts';

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

// KEYS[1] snapshot, KEYS[2] updates, KEYS[3] the snapshot's seq; ARGV[1] snapshot bytes, ARGV[2] throughSeq.
// The list holds updates numbered seq+1 .. seq+LLEN, so the updates through ARGV[2] are its first ARGV[2]-seq.
// Returns 1 when compacted, 0 when a newer snapshot is already stored.
const COMPACT = new LuaScript(`
local through = tonumber(ARGV[2])
local seq = tonumber(redis.call('GET', KEYS[3]) or '0')
local len = redis.call('LLEN', KEYS[2])
if through > seq + len then return redis.error_reply('ERR_BEYOND ' .. (seq + len)) end
if through < seq then return 0 end
redis.call('SET', KEYS[1], ARGV[1])
redis.call('SET', KEYS[3], ARGV[2])
redis.call('LTRIM', KEYS[2], through - seq, -1)
return 1
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
      this.#redis.multi().getBuffer(keys.snapshot).lrangeBuffer(keys.updates, 0, -1).get(keys.seq).exec(),
    );
    if (replies === null) throw toBrokerError('load a document', new Error('transaction aborted'));
    for (const [err] of replies) if (err !== null) throw toBrokerError('load a document', err);
    const snapshotReply = replies[0]?.[1] as Buffer | null;
    const updateReplies = (replies[1]?.[1] ?? []) as Buffer[];
    const snapshot = snapshotReply === null ? null : new Uint8Array(snapshotReply);
    const updates = updateReplies.map((u) => new Uint8Array(u));
    const bytes = (snapshot?.byteLength ?? 0) + updates.reduce((sum, u) => sum + u.byteLength, 0);
    const snapshotSeq = Number((replies[2]?.[1] as string | null) ?? 0);
    return { snapshot, updates, bytes, seq: snapshotSeq + updates.length };
  }

  async append(name: string, update: Uint8Array): Promise<void> {
    const key = this.#keys(name).updates;
    await this.#run('append to', () =>
      this.#redis.rpush(key, Buffer.from(update.buffer, update.byteOffset, update.byteLength)),
    );
  }

  async compact(name: string, snapshot: Uint8Array, throughSeq: number): Promise<boolean> {
    checkThroughSeq(throughSeq);
    const keys = this.#keys(name);
    const bytes = Buffer.from(snapshot.buffer, snapshot.byteOffset, snapshot.byteLength);
    try {
      const done = await this.#run('compact', () =>
        COMPACT.run(this.#redis, [keys.snapshot, keys.updates, keys.seq], [bytes, throughSeq]),
      );
      return done === 1;
    } catch (err) {
      const message = (err as BrokerError).cause instanceof Error ? ((err as BrokerError).cause as Error).message : '';
      const beyond = /ERR_BEYOND (\d+)/.exec(message);
      if (beyond !== null) throw beyondLast(name, throughSeq, Number(beyond[1]));
      throw err;
    }
  }

  async delete(name: string): Promise<void> {
    const keys = this.#keys(name);
    await this.#run('delete', () => this.#redis.del(keys.snapshot, keys.updates, keys.seq));
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

  #keys(name: string): { snapshot: string; updates: string; seq: string } {
    if (name.length === 0) throw new TypeError('A document name cannot be empty');
    const base = `${this.#prefix}{${name}}`;
    return { snapshot: `${base}:s`, updates: `${base}:u`, seq: `${base}:q` };
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
