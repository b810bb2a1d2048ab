// Broker: RedisBroker, the Broker contract shared by many nodes over one Redis (streams, pub/sub, presence hashes).
// The assembly of redis/ (bans, fan-out, keys, options, presence, streams, scripts) and the connection's status.
import { randomBytes } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { hostname } from 'node:os';
import { Redis } from 'ioredis';
import { checkDuration, positive } from './checks.ts';
import { BrokerError } from './errors.ts';
import { Fanout } from './redis/fanout.ts';
import { RedisBans } from './redis/bans.ts';
import { connectionSettings, pingPrimary, statusUp } from './redis/connection.ts';
import { channelKeys, packInfo } from './redis/keys.ts';
import { toBrokerError, type RedisBrokerOptions, type RedisBrokerStats } from './redis/options.ts';
import { RedisOccupancy } from './redis/occupancy.ts';
import { RedisPresence } from './redis/presence.ts';
import { RedisStreams } from './redis/streams.ts';
export type { RedisBrokerOptions, RedisBrokerStats } from './redis/options.ts';
import type {
  BanRecord,
  Broker,
  BrokerChange,
  BrokerHealth,
  BrokerStatus,
  ChannelHandler,
  DeleteOptions,
  DeleteResult,
  HistoryOptions,
  HistoryResult,
  LatestResult,
  PresenceEntry,
  PresenceUser,
  PublishOptions,
  PublishResult,
} from './types.ts';

/** First byte of a signal on a channel's pub/sub channel (redis/keys.ts parseMessage). */
const SIGNAL_PREFIX = Buffer.from('s');

/**
 * The Broker over Redis, for several nodes (processes or machines) sharing channels.
 *
 * - **History and offsets**: a Redis stream per channel, capped with `MAXLEN ~`, expiring with the history
 *   TTL; offsets come from a counter in the channel's meta hash, so concurrent publishes from every node get
 *   contiguous offsets. The epoch is created once per channel life (`HSETNX`-style, in the script): a Redis
 *   that restarted empty, or a channel idle past `channelTtlMs`, gets a new one.
 * - **Publish** is one Lua script (idempotency check, offset, XADD, expiries, idempotency record, PUBLISH) and
 *   resolves only after it ran: nothing is acknowledged that was not stored.
 * - **Fan-out**: one subscriber connection per node, one Redis subscription per channel with handlers.
 *   Delivery is gapless: a lost pub/sub message (subscriber kicked, reconnect) is read back from history before
 *   later ones; see {@link Fanout}.
 * - **Presence**: hashes per channel plus per-node heartbeats; see {@link RedisPresence}.
 * - **Outages**: no offline queue and no retried commands, so while Redis is down operations fail at once with
 *   `BROKER_UNAVAILABLE`; commands time out into `BROKER_TIMEOUT`; the `status` event says `down` / `up`.
 *
 * Targets a standalone Redis (or the primary behind Sentinel). The per-channel keys share a hash tag, but the
 * node registry is not slot-aware, so Redis Cluster is not supported.
 *
 * @example
 * const broker = await RedisBroker.connect({ url: 'redis://127.0.0.1:6379' });
 * await broker.subscribe('chat:general', (event) => console.log(event));
 * await broker.publish('chat:general', { text: 'hi' }, { historySize: 100, historyTtlMs: 3_600_000 });
 * await broker.close();
 */
export class RedisBroker extends EventEmitter implements Broker {
  readonly name = 'redis';
  /** This node's id (presence entries carry it). */
  readonly nodeId: string;
  readonly #cmd: Redis;
  readonly #sub: Redis;
  readonly #prefix: string;
  readonly #sharded: boolean;
  readonly #maxPending: number;
  readonly #fanout: Fanout;
  readonly #streams: RedisStreams;
  readonly #presence: RedisPresence;
  readonly #occupancy: RedisOccupancy;
  readonly #bans: RedisBans;
  #pending = 0;
  #closed = false;
  #up = false;
  #lastError = '';

  /**
   * Connects and waits until Redis answers, or fails.
   * @param options Where Redis is, and limits.
   * @param wait How long to wait for the first connection, in ms (default 5000).
   * @returns A ready broker.
   * @throws {BrokerError} `BROKER_UNAVAILABLE` when Redis did not answer in time (the broker is closed).
   */
  static async connect(
    options: RedisBrokerOptions = {},
    wait: { readonly timeoutMs?: number } = {},
  ): Promise<RedisBroker> {
    const broker = new RedisBroker(options);
    try {
      await broker.waitUntilUp(wait.timeoutMs ?? 5000);
    } catch (err) {
      await broker.close();
      throw err;
    }
    return broker;
  }

  /**
   * Starts connecting at once; use {@link RedisBroker.connect} or `waitUntilUp()` to wait for Redis.
   * @param options Where Redis is, and limits.
   * @throws {RangeError} When an option is out of range.
   */
  constructor(options: RedisBrokerOptions = {}) {
    super();
    this.#prefix = options.keyPrefix ?? 'sb:';
    this.#sharded = options.sharded ?? false;
    const idempotencyWindowMs = checkDuration(options.idempotencyWindowMs ?? 120_000, 'idempotencyWindowMs');
    const channelTtlMs = positive(options.channelTtlMs ?? 86_400_000, 'channelTtlMs');
    this.#maxPending = positive(options.maxPendingCommands ?? 10_000, 'maxPendingCommands');
    const heartbeatMs = positive(options.presenceHeartbeatMs ?? 5000, 'presenceHeartbeatMs');
    this.nodeId = options.nodeId ?? `${hostname()}-${process.pid}-${randomBytes(4).toString('hex')}`;
    const settings = connectionSettings(options);
    const url = options.url ?? 'redis://127.0.0.1:6379';
    this.#cmd = new Redis(url, { ...settings, connectionName: `switchboard:${this.nodeId}` });
    this.#sub = new Redis(url, { ...settings, connectionName: `switchboard-sub:${this.nodeId}` });
    for (const client of [this.#cmd, this.#sub]) {
      // A client without an 'error' listener would crash the process on the first connection failure.
      client.on('error', (err: Error) => {
        this.#lastError = err.message;
      });
      client.on('ready', () => this.#updateStatus());
      client.on('close', () => this.#updateStatus());
      client.on('end', () => this.#updateStatus());
    }
    this.#streams = new RedisStreams({
      redis: this.#cmd,
      prefix: this.#prefix,
      sharded: this.#sharded,
      channelTtlMs,
      idempotencyWindowMs,
      run: (what, call) => this.#run(what, call),
    });
    this.#fanout = new Fanout({
      subscriber: this.#sub,
      sharded: this.#sharded,
      pubsubName: (channel) => channelKeys(this.#prefix, channel).pubsub,
      history: (channel, opts) => this.history(channel, opts),
      error: (error) => this.#emitError(error),
      isClosed: () => this.#closed,
      pageSize: positive(options.recoveryPageSize ?? 1000, 'recoveryPageSize'),
      maxBuffered: positive(options.maxBufferedEvents ?? 10_000, 'maxBufferedEvents'),
    });
    this.#occupancy = new RedisOccupancy({
      redis: this.#cmd,
      prefix: this.#prefix,
      node: this.nodeId,
      run: (what, call) => this.#run(what, call),
      changed: (change) => this.#change(change),
    });
    this.#bans = new RedisBans({ redis: this.#cmd, prefix: this.#prefix, run: (what, call) => this.#run(what, call) });
    this.#presence = new RedisPresence({
      changed: (change) => this.#change(change),
      occupancy: this.#occupancy,
      redis: this.#cmd,
      prefix: this.#prefix,
      sharded: this.#sharded,
      node: this.nodeId,
      heartbeatMs,
      run: (what, call) => this.#run(what, call),
      error: (error) => this.#emitError(error),
      isUp: () => this.#up,
    });
  }

  /** Whether both connections (commands and subscriptions) are ready. */
  get isUp(): boolean {
    return this.#up;
  }

  /**
   * Resolves once both connections are ready.
   * @param timeoutMs How long to wait.
   * @throws {BrokerError} `BROKER_UNAVAILABLE` after the timeout, `BROKER_CLOSED` when closed.
   */
  async waitUntilUp(timeoutMs: number): Promise<void> {
    if (this.#closed) throw new BrokerError('Cannot connect: broker is closed', { code: 'BROKER_CLOSED' });
    if (this.#up) return;
    await statusUp(this, timeoutMs, () => this.#lastError);
  }

  /** @inheritdoc */
  async publish(channel: string, data: unknown, options: PublishOptions): Promise<PublishResult> {
    this.#checkOpen('publish');
    return this.#streams.publish(channel, data, options);
  }

  /** @inheritdoc */
  async subscribe(channel: string, handler: ChannelHandler): Promise<void> {
    this.#checkOpen('subscribe');
    if (typeof handler !== 'function') throw new TypeError('Cannot subscribe: handler is not a function');
    const subscribed = this.#fanout.subscribe(channel, handler);
    this.#syncOccupancy(channel);
    try {
      await subscribed;
    } catch (err) {
      this.#syncOccupancy(channel);
      throw toBrokerError('subscribe', err);
    }
  }

  /** @inheritdoc */
  async unsubscribe(channel: string, handler: ChannelHandler): Promise<void> {
    const unsubscribed = this.#fanout.unsubscribe(channel, handler);
    this.#syncOccupancy(channel);
    await unsubscribed;
  }

  /** Has the occupancy set follow whether this node has handlers for the channel (written in the background). */
  #syncOccupancy(channel: string): void {
    if (!this.#closed) void this.#occupancy.set(channel, this.#fanout.has(channel));
  }

  /** @inheritdoc */
  async history(channel: string, options: HistoryOptions = {}): Promise<HistoryResult> {
    this.#checkOpen('read history');
    return this.#streams.history(channel, options);
  }

  /** @inheritdoc */
  async latest(channel: string, limit: number): Promise<LatestResult> {
    this.#checkOpen('read the latest publications');
    return this.#streams.latest(channel, limit);
  }

  /** @inheritdoc */
  async deletePublication(channel: string, offset: number, options: DeleteOptions = {}): Promise<DeleteResult> {
    this.#checkOpen('delete a publication');
    return this.#streams.deletePublication(channel, offset, options);
  }

  /** @inheritdoc */
  async ban(user: string, durationMs: number, reason: string): Promise<BanRecord> {
    this.#checkOpen('ban');
    return this.#bans.ban(user, durationMs, reason);
  }

  /** @inheritdoc */
  async unban(user: string): Promise<boolean> {
    this.#checkOpen('unban');
    return this.#bans.unban(user);
  }

  /** @inheritdoc */
  async isBanned(user: string): Promise<BanRecord | null> {
    this.#checkOpen('read a ban');
    return this.#bans.get(user);
  }

  /** @inheritdoc */
  async bans(limit = 1000): Promise<BanRecord[]> {
    this.#checkOpen('list bans');
    return this.#bans.list(limit);
  }

  /** @inheritdoc */
  async signal(channel: string, data: unknown): Promise<void> {
    this.#checkOpen('signal');
    const message = Buffer.concat([SIGNAL_PREFIX, packInfo(data)]);
    const pubsub = channelKeys(this.#prefix, channel).pubsub;
    await this.#run('signal', () =>
      this.#sharded ? this.#cmd.spublish(pubsub, message) : this.#cmd.publish(pubsub, message),
    );
  }

  /** @inheritdoc Always true: the handlers of the other nodes are not known here. */
  othersListen(_channel: string, _handler: ChannelHandler): boolean {
    return true;
  }

  /** @inheritdoc */
  async addPresence(channel: string, entry: PresenceEntry): Promise<void> {
    this.#checkOpen('add presence');
    await this.#presence.add(channel, entry);
  }

  /** @inheritdoc */
  async removePresence(channel: string, connection: string): Promise<void> {
    this.#checkOpen('remove presence');
    await this.#presence.remove(channel, connection);
  }

  /** @inheritdoc */
  async presence(channel: string): Promise<PresenceUser[]> {
    this.#checkOpen('read presence');
    return this.#presence.list(channel);
  }

  /** @inheritdoc */
  async health(): Promise<BrokerHealth> {
    if (this.#closed) return { ok: false, detail: 'closed' };
    if (!this.#up)
      return {
        ok: false,
        detail: this.#lastError === '' ? 'Redis is unreachable' : `Redis is unreachable: ${this.#lastError}`,
      };
    return pingPrimary(this.#cmd, (what, call) => this.#run(what, call));
  }

  /** Counters of fan-out recovery and presence, plus sizes. */
  stats(): RedisBrokerStats {
    return {
      ...this.#fanout.stats,
      status: this.#up ? 'up' : 'down',
      channels: this.#fanout.channels,
      handlers: this.#fanout.handlers,
      localPresence: this.#presence.localEntries,
      sweptPresence: this.#presence.swept,
      pendingCommands: this.#pending,
    };
  }

  /**
   * Runs one heartbeat and one sweep of dead nodes' presence now (they also run on their timer).
   * @returns When both finished; failures go to the `error` event.
   */
  async tickPresence(): Promise<void> {
    await this.#presence.tick();
  }

  /**
   * Stops this node's presence heartbeat without removing anything: what other nodes see when this process
   * dies. For tests and for a process about to exit abruptly.
   */
  stopHeartbeat(): void {
    this.#presence.stop();
  }

  /**
   * Removes this node's presence entries (with their leave events) and heartbeat, then disconnects.
   * Later calls reject with `BROKER_CLOSED`. Idempotent.
   */
  async close(): Promise<void> {
    if (this.#closed) return;
    if (this.#up) await this.#presence.leave();
    else this.#presence.stop();
    this.#closed = true;
    this.#fanout.clear();
    await Promise.all(
      [this.#cmd, this.#sub].map(async (client) => {
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
    if (wasUp || this.listenerCount('status') > 0)
      this.emit('status', { state: 'down', reason: 'closed' } satisfies BrokerStatus);
  }

  #checkOpen(what: string): void {
    if (this.#closed) throw new BrokerError(`Cannot ${what}: broker is closed`, { code: 'BROKER_CLOSED' });
  }

  async #run<T>(what: string, call: () => Promise<T>): Promise<T> {
    if (this.#closed) throw new BrokerError(`Cannot ${what}: broker is closed`, { code: 'BROKER_CLOSED' });
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

  #updateStatus(): void {
    if (this.#closed) return;
    const up = this.#cmd.status === 'ready' && this.#sub.status === 'ready';
    if (up === this.#up) return;
    this.#up = up;
    if (up) {
      this.#presence.start();
      this.emit('status', { state: 'up' } satisfies BrokerStatus);
    } else {
      this.emit('status', {
        state: 'down',
        reason: this.#lastError === '' ? 'Redis connection lost' : this.#lastError,
      } satisfies BrokerStatus);
    }
  }

  /** Reports a change this node made on `change`; a throwing listener surfaces on `error`. */
  #change(change: BrokerChange): void {
    if (this.listenerCount('change') === 0) return;
    try {
      this.emit('change', change);
    } catch (cause) {
      this.#emitError(new Error('A change listener threw', { cause }));
    }
  }

  #emitError(error: Error): void {
    if (this.listenerCount('error') > 0) this.emit('error', error);
  }
}
