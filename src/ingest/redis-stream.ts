// Ingest: Redis Streams source. A consumer group read with XREADGROUP; an entry is acknowledged (XACK) only after its
// publication is stored; entries left pending by this consumer are read again first after a restart, and entries
// left by another (dead) consumer are claimed with XAUTOCLAIM once idle. Position = entry id; lag = the group's lag.
import { hostname } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { z } from 'zod';
import type { Source, SourceMessage, SourceStatus } from './source.ts';

const keyText = z
  .string({ error: 'expected a key name' })
  .min(1, { error: 'expected a key name' })
  .max(256, { error: 'expected at most 256 characters' });

/** Options of a `redis-stream` source (the `source` object of an `ingest` entry). */
export const redisStreamSourceOptionsSchema = z
  .strictObject({
    kind: z.literal('redis-stream'),
    /** The Redis holding the stream; credentials in the URL are used and never logged. */
    url: z
      .string({ error: 'expected a redis:// URL' })
      .regex(/^rediss?:\/\/\S+$/, { error: 'expected a redis:// URL' })
      .default('redis://127.0.0.1:6379'),
    stream: keyText,
    /** The consumer group, created (from `startId`, with MKSTREAM) when missing. */
    group: keyText.default('switchboard'),
    /**
     * This node's consumer name. Give each node a stable one (`node-1`): after a restart it reads its own pending
     * entries first, in order. The default changes per process, so a restarted node's old entries wait `claimIdleMs`.
     * @default `<hostname>-<pid>`
     */
    consumer: keyText.optional(),
    /** Where poison entries go (XADD with `reason`, `id` and the original fields), acknowledged in the same MULTI. */
    deadLetterStream: keyText.optional(),
    /** Pending entries of other consumers idle this long are claimed, in ms (30 s: well past any publish). */
    claimIdleMs: z.number().int().min(100).max(86_400_000).default(30_000),
    /** The entry field holding the payload; the other fields become headers. */
    field: keyText.default('data'),
    /** Entries read per XREADGROUP (each stays pending until its publication is stored). */
    batchSize: z.number().int().min(1).max(1000).default(100),
    /** Where a newly created group starts: `0` the whole stream, `$` only new entries. */
    startId: z.enum(['0', '$']).default('0'),
  })
  .refine((o) => o.deadLetterStream === undefined || o.deadLetterStream !== o.stream, {
    error: 'expected a stream other than stream',
    path: ['deadLetterStream'],
  });
export type RedisStreamSourceOptions = z.input<typeof redisStreamSourceOptionsSchema>;

/** XREADGROUP blocks this long waiting for new entries, in ms (bounds how long close and claims wait). */
const BLOCK_MS = 2000;
/** Group lag is read at most this often, in ms (XINFO GROUPS is a round trip). */
const LAG_EVERY_MS = 1000;
const RETRY_MIN_MS = 250;
const RETRY_MAX_MS = 5000;

type Entry = { readonly id: string; readonly fields: Buffer[] | null };

/** Parses the entries of one stream in an XREADGROUP / XAUTOCLAIM reply (Buffers). */
function entriesOf(list: unknown): Entry[] {
  if (!Array.isArray(list)) return [];
  return list.map((item) => {
    const [id, fields] = item as [Buffer, Buffer[] | null];
    return { id: id.toString(), fields: Array.isArray(fields) ? fields : null };
  });
}

class RedisStreamSource implements Source {
  readonly kind = 'redis-stream';
  readonly name: string;
  readonly #o: z.output<typeof redisStreamSourceOptionsSchema>;
  readonly #consumer: string;
  #redis: Redis | null = null;
  #deliver: ((m: SourceMessage) => Promise<void>) | null = null;
  #state: SourceStatus['state'] = 'connecting';
  #lag: number | undefined;
  #lagAt = 0;
  #lastError: string | undefined;
  #paused = false;
  #closed = false;
  /** Set when an entry was given back (or a batch cut short): read this consumer's pending entries again first. */
  #rewind = true;
  #claimedAt = 0;
  #wake: (() => void) | null = null;
  readonly #abort = new AbortController();
  #loop: Promise<void> = Promise.resolve();

  constructor(name: string, options: RedisStreamSourceOptions) {
    this.name = name;
    this.#o = redisStreamSourceOptionsSchema.parse(options);
    this.#consumer = this.#o.consumer ?? `${hostname()}-${process.pid}`;
  }

  async start(deliver: (message: SourceMessage) => Promise<void>): Promise<void> {
    if (this.#deliver !== null) throw new Error(`redis-stream source ${this.name} already started`);
    this.#deliver = deliver;
    const redis = new Redis(this.#o.url, {
      // Commands wait for a reconnect instead of failing; the blocking read is re-sent after it.
      maxRetriesPerRequest: null,
      retryStrategy: (attempt) => Math.min(RETRY_MAX_MS, attempt * 100),
      connectionName: `switchboard-ingest-${this.name}`,
      lazyConnect: true,
    });
    redis.on('error', (err: Error) => {
      this.#lastError = err.message;
    });
    redis.on('close', () => {
      if (this.#closed) return;
      this.#state = 'down';
      // A read in flight is sent again on the new connection, but Redis may have handed it entries whose answer was
      // lost with the old one: they are pending for this consumer, and only a read of its pending list brings them
      // back, before anything newer (an XREADGROUP '>' never returns them again).
      this.#rewind = true;
    });
    redis.on('ready', () => {
      if (!this.#closed) this.#state = this.#paused ? 'paused' : 'running';
    });
    this.#redis = redis;
    redis.connect().catch(() => {}); // retried by retryStrategy; the state says down meanwhile
    this.#loop = this.#run(redis);
  }

  pause(): void {
    this.#paused = true;
  }

  resume(): void {
    this.#paused = false;
    this.#wake?.();
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#abort.abort();
    this.#wake?.();
    const redis = this.#redis;
    // The blocking read (at most BLOCK_MS) and an in-flight entry finish; its XACK goes out before QUIT.
    await Promise.race([this.#loop, sleep(BLOCK_MS + 1000)]);
    if (redis !== null) await redis.quit().catch(() => redis.disconnect());
    this.#state = 'closed';
  }

  status(): SourceStatus {
    const state = this.#paused && this.#state === 'running' ? 'paused' : this.#state;
    return {
      state,
      ...(this.#lag === undefined ? {} : { lag: this.#lag }),
      ...(this.#lastError === undefined ? {} : { lastError: this.#lastError }),
    };
  }

  async #run(redis: Redis): Promise<void> {
    let delay = RETRY_MIN_MS;
    let grouped = false;
    while (!this.#closed) {
      try {
        if (!grouped) {
          await this.#ensureGroup(redis);
          grouped = true;
        }
        if (this.#paused) {
          await new Promise<void>((resolve) => {
            this.#wake = resolve;
          });
          this.#wake = null;
          continue;
        }
        if (this.#rewind) {
          this.#rewind = false;
          await this.#drainPending(redis);
        } else if (Date.now() - this.#claimedAt >= this.#o.claimIdleMs / 2) {
          await this.#claimIdle(redis);
        } else {
          const reply = await redis.callBuffer(
            'XREADGROUP',
            'GROUP',
            this.#o.group,
            this.#consumer,
            'COUNT',
            this.#o.batchSize,
            'BLOCK',
            BLOCK_MS,
            'STREAMS',
            this.#o.stream,
            '>',
          );
          const entries = Array.isArray(reply) ? entriesOf((reply[0] as [Buffer, unknown])[1]) : [];
          await this.#handle(redis, entries);
        }
        if (this.#state === 'down' && redis.status === 'ready') this.#state = 'running';
        await this.#readLag(redis);
        delay = RETRY_MIN_MS;
      } catch (err) {
        if (this.#closed) break;
        const message = err instanceof Error ? err.message : String(err);
        this.#lastError = message;
        // The stream or group vanished (a Redis restarted without persistence, a DEL): create it again.
        if (message.includes('NOGROUP')) grouped = false;
        this.#rewind = true;
        try {
          await sleep(delay, undefined, { signal: this.#abort.signal });
        } catch {
          break;
        }
        delay = Math.min(RETRY_MAX_MS, delay * 2);
      }
    }
  }

  async #ensureGroup(redis: Redis): Promise<void> {
    try {
      await redis.call('XGROUP', 'CREATE', this.#o.stream, this.#o.group, this.#o.startId, 'MKSTREAM');
    } catch (err) {
      if (!(err instanceof Error && err.message.includes('BUSYGROUP'))) throw err;
    }
  }

  /** Re-reads this consumer's pending entries (delivered before, not acknowledged), oldest first. */
  async #drainPending(redis: Redis): Promise<void> {
    let cursor = '0';
    while (!this.#closed && !this.#paused) {
      const reply = await redis.callBuffer(
        'XREADGROUP',
        'GROUP',
        this.#o.group,
        this.#consumer,
        'COUNT',
        this.#o.batchSize,
        'STREAMS',
        this.#o.stream,
        cursor,
      );
      const entries = Array.isArray(reply) ? entriesOf((reply[0] as [Buffer, unknown])[1]) : [];
      if (entries.length === 0) return;
      if (!(await this.#handle(redis, entries))) return;
      cursor = entries[entries.length - 1]!.id;
    }
  }

  /** Claims entries another consumer left pending for claimIdleMs (a node that died), and handles them. */
  async #claimIdle(redis: Redis): Promise<void> {
    this.#claimedAt = Date.now();
    let cursor = '0-0';
    do {
      const reply = (await redis.callBuffer(
        'XAUTOCLAIM',
        this.#o.stream,
        this.#o.group,
        this.#consumer,
        this.#o.claimIdleMs,
        cursor,
        'COUNT',
        this.#o.batchSize,
      )) as [Buffer, unknown, unknown?];
      cursor = reply[0].toString();
      if (!(await this.#handle(redis, entriesOf(reply[1])))) return;
    } while (cursor !== '0-0' && !this.#closed && !this.#paused);
  }

  /**
   * Delivers entries one at a time. Stops early (leaving the rest pending, to be re-read in order) when paused,
   * closed or an entry was given back.
   * @returns true when every entry was settled.
   */
  async #handle(redis: Redis, entries: readonly Entry[]): Promise<boolean> {
    for (const entry of entries) {
      if (this.#closed || this.#paused || this.#rewind) {
        this.#rewind = true;
        return false;
      }
      if (entry.fields === null) {
        // Trimmed or deleted while pending: nothing to deliver, only the pending entry to clear.
        await redis.call('XACK', this.#o.stream, this.#o.group, entry.id);
        continue;
      }
      await this.#deliver!(this.#message(redis, entry.id, entry.fields));
    }
    return true;
  }

  #message(redis: Redis, id: string, fields: Buffer[]): SourceMessage {
    const headers: Record<string, string> = {};
    let payload: Uint8Array = new Uint8Array(0);
    for (let i = 0; i + 1 < fields.length; i += 2) {
      const name = fields[i]!.toString();
      if (name === this.#o.field) payload = fields[i + 1]!;
      else headers[name.toLowerCase()] = fields[i + 1]!.toString();
    }
    const { stream, group, deadLetterStream } = this.#o;
    return {
      position: id,
      subject: stream,
      payload,
      headers,
      timestamp: Number(id.slice(0, id.indexOf('-'))),
      ack: async () => {
        await redis.call('XACK', stream, group, id);
      },
      retry: async () => {
        // Left pending: re-read from this consumer's pending list (in order) before anything new.
        this.#rewind = true;
      },
      deadLetter: async (reason: string) => {
        if (deadLetterStream === undefined) {
          await redis.call('XACK', stream, group, id);
          return;
        }
        await redis
          .multi()
          .xadd(deadLetterStream, '*', ...fields, 'reason', reason.slice(0, 512), 'id', id, 'stream', stream)
          .xack(stream, group, id)
          .exec();
      },
    };
  }

  async #readLag(redis: Redis): Promise<void> {
    if (Date.now() - this.#lagAt < LAG_EVERY_MS) return;
    this.#lagAt = Date.now();
    const groups = (await redis.call('XINFO', 'GROUPS', this.#o.stream)) as unknown[][];
    for (const g of groups) {
      const info: Record<string, unknown> = {};
      for (let i = 0; i + 1 < g.length; i += 2) info[String(g[i])] = g[i + 1];
      if (info['name'] === this.#o.group) {
        const lag = info['lag'];
        this.#lag = typeof lag === 'number' ? lag : undefined;
      }
    }
  }
}

/**
 * Creates a Redis Streams source.
 * @param name The connector's name.
 * @param options Validated or hand-written options ({@link redisStreamSourceOptionsSchema}).
 * @returns The source; `start` begins connecting (retrying until Redis answers).
 */
export function createRedisStreamSource(name: string, options: RedisStreamSourceOptions): Source {
  return new RedisStreamSource(name, options);
}
