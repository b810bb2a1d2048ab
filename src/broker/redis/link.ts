// Broker (Redis): RedisBroker's two connections (commands, subscriptions) as one link: their up / down status, the
// gate every command passes (closed check, in-flight cap, error mapping), the health ping, and closing both.
import { Redis } from 'ioredis';
import { BrokerError } from '../errors.ts';
import { positive } from '../checks.ts';
import type { BrokerHealth, BrokerStatus } from '../types.ts';
import { connectionSettings, pingPrimary } from './connection.ts';
import { toBrokerError, type RedisBrokerOptions } from './options.ts';

/** Where Redis is when the options do not say. */
const DEFAULT_URL = 'redis://127.0.0.1:6379';
/** Commands in flight at most when the options do not say. */
const DEFAULT_MAX_PENDING = 10_000;

/** What the link tells its broker. */
export interface RedisLinkEvents {
  /** Both connections became ready, or one was lost (not called once closed). */
  status(status: BrokerStatus): void;
}

/** The command and subscriber connections of one broker. */
export class RedisLink {
  /** The connection commands go through. */
  readonly cmd: Redis;
  /** The connection in subscriber mode (pub/sub). */
  readonly sub: Redis;
  readonly #maxPending: number;
  readonly #events: RedisLinkEvents;
  #pending = 0;
  #closed = false;
  #up = false;
  #lastError = '';

  /**
   * Starts connecting both at once.
   * @param options Where Redis is, timeouts and limits.
   * @param nodeId This node's id, in the connections' names.
   * @throws {RangeError} When an option is out of range.
   */
  constructor(options: RedisBrokerOptions, nodeId: string, events: RedisLinkEvents) {
    this.#events = events;
    this.#maxPending = positive(options.maxPendingCommands ?? DEFAULT_MAX_PENDING, 'maxPendingCommands');
    const settings = connectionSettings(options);
    const url = options.url ?? DEFAULT_URL;
    this.cmd = new Redis(url, { ...settings, connectionName: `switchboard:${nodeId}` });
    this.sub = new Redis(url, { ...settings, connectionName: `switchboard-sub:${nodeId}` });
    for (const client of [this.cmd, this.sub]) {
      // A client without an 'error' listener would crash the process on the first connection failure.
      client.on('error', (err: Error) => {
        this.#lastError = err.message;
      });
      client.on('ready', () => this.#updateStatus());
      client.on('close', () => this.#updateStatus());
      client.on('end', () => this.#updateStatus());
    }
  }

  /** Whether both connections are ready. */
  get up(): boolean {
    return this.#up;
  }

  /** Whether {@link close} began. */
  get closed(): boolean {
    return this.#closed;
  }

  /** Commands in flight. */
  get pending(): number {
    return this.#pending;
  }

  /** The last connection error's message ('' when none yet). */
  get lastError(): string {
    return this.#lastError;
  }

  /** @throws {BrokerError} `BROKER_CLOSED` once closed. */
  checkOpen(what: string): void {
    if (this.#closed) throw new BrokerError(`Cannot ${what}: broker is closed`, { code: 'BROKER_CLOSED' });
  }

  /**
   * Runs one Redis call through the gate.
   * @param what The operation, for error messages.
   * @throws {BrokerError} `BROKER_CLOSED`, `BROKER_UNAVAILABLE` (too many in flight, Redis down), `BROKER_TIMEOUT`.
   */
  async run<T>(what: string, call: () => Promise<T>): Promise<T> {
    this.checkOpen(what);
    if (this.#pending >= this.#maxPending) {
      throw new BrokerError(`Cannot ${what}: ${this.#maxPending} Redis commands already in flight`, {
        code: 'BROKER_UNAVAILABLE',
      });
    }
    this.#pending++;
    try {
      return await call();
    } catch (err) {
      throw toBrokerError(what, err);
    } finally {
      this.#pending--;
    }
  }

  /** Closed, unreachable (with the last error), or the primary's answer to a ping. */
  async health(): Promise<BrokerHealth> {
    if (this.#closed) return { ok: false, detail: 'closed' };
    if (!this.#up)
      return {
        ok: false,
        detail: this.#lastError === '' ? 'Redis is unreachable' : `Redis is unreachable: ${this.#lastError}`,
      };
    return pingPrimary(this.cmd, (what, call) => this.run(what, call));
  }

  /**
   * Closes both connections (QUIT when ready, else disconnect); later commands fail with `BROKER_CLOSED`.
   * @returns Whether the link was up until now.
   */
  async close(): Promise<boolean> {
    this.#closed = true;
    await Promise.all(
      [this.cmd, this.sub].map(async (client) => {
        try {
          if (client.status === 'ready') await client.quit();
          else client.disconnect();
        } catch {
          client.disconnect();
        }
      }),
    );
    const wasUp = this.#up;
    this.#up = false;
    return wasUp;
  }

  #updateStatus(): void {
    if (this.#closed) return;
    const up = this.cmd.status === 'ready' && this.sub.status === 'ready';
    if (up === this.#up) return;
    this.#up = up;
    this.#events.status(
      up
        ? { state: 'up' }
        : { state: 'down', reason: this.#lastError === '' ? 'Redis connection lost' : this.#lastError },
    );
  }
}
