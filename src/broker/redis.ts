// Broker: RedisBroker, the Broker contract shared by many nodes over one Redis (streams, pub/sub, presence hashes).
// The assembly of redis/ (the connections' link, bans, fan-out, keys, options, presence, streams, scripts).
import { randomBytes } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { hostname } from 'node:os';
import { checkDuration, positive } from './checks.ts';
import { BrokerError } from './errors.ts';
import { Fanout } from './redis/fanout.ts';
import { RedisBans } from './redis/bans.ts';
import { statusUp } from './redis/connection.ts';
import { channelKeys, packInfo } from './redis/keys.ts';
import { RedisLink } from './redis/link.ts';
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
  readonly #link: RedisLink;
  readonly #prefix: string;
  readonly #sharded: boolean;
  readonly #fanout: Fanout;
  readonly #streams: RedisStreams;
  readonly #presence: RedisPresence;
  readonly #occupancy: RedisOccupancy;
  readonly #bans: RedisBans;

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
    const heartbeatMs = positive(options.presenceHeartbeatMs ?? 5000, 'presenceHeartbeatMs');
    // Every option is checked before the link connects: a RangeError must not leave two connections retrying.
    const pageSize = positive(options.recoveryPageSize ?? 1000, 'recoveryPageSize');
    const maxBuffered = positive(options.maxBufferedEvents ?? 10_000, 'maxBufferedEvents');
    this.nodeId = options.nodeId ?? `${hostname()}-${process.pid}-${randomBytes(4).toString('hex')}`;
    const link = new RedisLink(options, this.nodeId, {
      status: (status) => {
        if (status.state === 'up') this.#presence.start();
        this.emit('status', status);
      },
    });
    this.#link = link;
    const run = <T>(what: string, call: () => Promise<T>): Promise<T> => link.run(what, call);
    this.#streams = new RedisStreams({
      redis: link.cmd,
      prefix: this.#prefix,
      sharded: this.#sharded,
      channelTtlMs,
      idempotencyWindowMs,
      run,
    });
    this.#fanout = new Fanout({
      subscriber: link.sub,
      sharded: this.#sharded,
      pubsubName: (channel) => channelKeys(this.#prefix, channel).pubsub,
      history: (channel, opts) => this.history(channel, opts),
      error: (error) => this.#emitError(error),
      isClosed: () => link.closed,
      pageSize,
      maxBuffered,
    });
    this.#occupancy = new RedisOccupancy({
      redis: link.cmd,
      prefix: this.#prefix,
      node: this.nodeId,
      run,
      changed: (change) => this.#change(change),
    });
    this.#bans = new RedisBans({ redis: link.cmd, prefix: this.#prefix, run });
    this.#presence = new RedisPresence({
      changed: (change) => this.#change(change),
      occupancy: this.#occupancy,
      redis: link.cmd,
      prefix: this.#prefix,
      sharded: this.#sharded,
      node: this.nodeId,
      heartbeatMs,
      run,
      error: (error) => this.#emitError(error),
      isUp: () => link.up,
    });
  }

  /** Whether both connections (commands and subscriptions) are ready. */
  get isUp(): boolean {
    return this.#link.up;
  }

  /**
   * Resolves once both connections are ready.
   * @param timeoutMs How long to wait.
   * @throws {BrokerError} `BROKER_UNAVAILABLE` after the timeout, `BROKER_CLOSED` when closed.
   */
  async waitUntilUp(timeoutMs: number): Promise<void> {
    if (this.#link.closed) throw new BrokerError('Cannot connect: broker is closed', { code: 'BROKER_CLOSED' });
    if (this.#link.up) return;
    await statusUp(this, timeoutMs, () => this.#link.lastError);
  }

  /** @inheritdoc */
  async publish(channel: string, data: unknown, options: PublishOptions): Promise<PublishResult> {
    this.#link.checkOpen('publish');
    return this.#streams.publish(channel, data, options);
  }

  /** @inheritdoc */
  async subscribe(channel: string, handler: ChannelHandler): Promise<void> {
    this.#link.checkOpen('subscribe');
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
    if (!this.#link.closed) void this.#occupancy.set(channel, this.#fanout.has(channel));
  }

  /** @inheritdoc */
  async history(channel: string, options: HistoryOptions = {}): Promise<HistoryResult> {
    this.#link.checkOpen('read history');
    return this.#streams.history(channel, options);
  }

  /** @inheritdoc */
  async latest(channel: string, limit: number): Promise<LatestResult> {
    this.#link.checkOpen('read the latest publications');
    return this.#streams.latest(channel, limit);
  }

  /** @inheritdoc */
  async deletePublication(channel: string, offset: number, options: DeleteOptions = {}): Promise<DeleteResult> {
    this.#link.checkOpen('delete a publication');
    return this.#streams.deletePublication(channel, offset, options);
  }

  /** @inheritdoc */
  async ban(user: string, durationMs: number, reason: string): Promise<BanRecord> {
    this.#link.checkOpen('ban');
    return this.#bans.ban(user, durationMs, reason);
  }

  /** @inheritdoc */
  async unban(user: string): Promise<boolean> {
    this.#link.checkOpen('unban');
    return this.#bans.unban(user);
  }

  /** @inheritdoc */
  async isBanned(user: string): Promise<BanRecord | null> {
    this.#link.checkOpen('read a ban');
    return this.#bans.get(user);
  }

  /** @inheritdoc */
  async bans(limit = 1000): Promise<BanRecord[]> {
    this.#link.checkOpen('list bans');
    return this.#bans.list(limit);
  }

  /** @inheritdoc */
  async signal(channel: string, data: unknown): Promise<void> {
    this.#link.checkOpen('signal');
    const message = Buffer.concat([SIGNAL_PREFIX, packInfo(data)]);
    const pubsub = channelKeys(this.#prefix, channel).pubsub;
    const cmd = this.#link.cmd;
    await this.#link.run('signal', () =>
      this.#sharded ? cmd.spublish(pubsub, message) : cmd.publish(pubsub, message),
    );
  }

  /** @inheritdoc Always true: the handlers of the other nodes are not known here. */
  othersListen(_channel: string, _handler: ChannelHandler): boolean {
    return true;
  }

  /** @inheritdoc */
  async addPresence(channel: string, entry: PresenceEntry): Promise<void> {
    this.#link.checkOpen('add presence');
    await this.#presence.add(channel, entry);
  }

  /** @inheritdoc */
  async removePresence(channel: string, connection: string): Promise<void> {
    this.#link.checkOpen('remove presence');
    await this.#presence.remove(channel, connection);
  }

  /** @inheritdoc */
  async presence(channel: string): Promise<PresenceUser[]> {
    this.#link.checkOpen('read presence');
    return this.#presence.list(channel);
  }

  /** @inheritdoc */
  async health(): Promise<BrokerHealth> {
    return this.#link.health();
  }

  /** Counters of fan-out recovery and presence, plus sizes. */
  stats(): RedisBrokerStats {
    return {
      ...this.#fanout.stats,
      status: this.#link.up ? 'up' : 'down',
      channels: this.#fanout.channels,
      handlers: this.#fanout.handlers,
      localPresence: this.#presence.localEntries,
      sweptPresence: this.#presence.swept,
      pendingCommands: this.#link.pending,
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
    if (this.#link.closed) return;
    if (this.#link.up) await this.#presence.leave();
    else this.#presence.stop();
    this.#fanout.clear();
    const wasUp = await this.#link.close();
    if (wasUp || this.listenerCount('status') > 0)
      this.emit('status', { state: 'down', reason: 'closed' } satisfies BrokerStatus);
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
