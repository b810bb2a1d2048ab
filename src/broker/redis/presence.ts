// Broker (Redis): presence hashes per channel, a heartbeat per node, and a sweeper that removes dead nodes' entries.
import type { Redis } from 'ioredis';
import type { BrokerChange, PresenceEntry, PresenceUser } from '../types.ts';
import { channelKeys, nodeKeys, packInfo, unpackInfo, type ChannelKeys } from './keys.ts';
import type { RedisOccupancy } from './occupancy.ts';
import {
  FORGET_NODE,
  HEARTBEAT,
  PRESENCE_ADD,
  PRESENCE_LIST,
  PRESENCE_REMOVE,
  PRESENCE_SWEEP,
} from './presence-scripts.ts';

/** What presence needs from its broker. */
export interface PresenceDeps {
  /** The command connection. */
  readonly redis: Redis;
  readonly prefix: string;
  readonly sharded: boolean;
  /** This node's id, unique among live nodes. */
  readonly node: string;
  /** Heartbeat period, in ms; the heartbeat key lives twice as long. */
  readonly heartbeatMs: number;
  /** Runs a Redis call under the broker's error mapping and in-flight bound. */
  run<T>(what: string, call: () => Promise<T>): Promise<T>;
  /** Reports a background failure. */
  error(error: Error): void;
  /** Whether Redis is reachable now (background work is skipped while it is not). */
  isUp(): boolean;
  /** Reports a join or leave this node's script made. */
  changed(change: BrokerChange): void;
  /** Channel occupancy, swept and rewritten on the same heartbeat. */
  readonly occupancy: RedisOccupancy;
}

/**
 * Reports the leaves a presence script made: pairs of user and `'0'` or `'1' .. packed info`.
 * @param deps Where to report.
 * @param channel The channel.
 * @param left The script's list.
 * @param swept Whether they were made on behalf of a dead node.
 */
function reportLeaves(deps: PresenceDeps, channel: string, left: readonly Buffer[], swept: boolean): void {
  for (let i = 0; i + 1 < left.length; i += 2) {
    const user = left[i]!.toString();
    const info = left[i + 1]!;
    deps.changed({
      type: 'leave',
      channel,
      user,
      ...(info[0] === 0x31 ? { info: unpackInfo(info.subarray(1)) } : {}),
      ...(swept ? { swept: true } : {}),
    });
  }
}

function keyList(keys: ChannelKeys): string[] {
  return [keys.presence, keys.presenceNode, keys.presenceInfo, keys.users, keys.userInfo];
}

/**
 * Presence over Redis. Each entry is stored with the id of the node that added it; each node refreshes a
 * heartbeat key every `heartbeatMs` (TTL `2 × heartbeatMs`) and sweeps, on the same period, the entries of
 * nodes whose heartbeat expired, publishing their leave events. So a node that dies without cleaning up
 * loses its entries within `3 × heartbeatMs` of its last heartbeat, as long as one node is alive.
 *
 * The node also remembers the entries it added: when it finds its own heartbeat expired (Redis was
 * unreachable longer than the TTL, or restarted empty) it adds them again, so presence heals after a partition.
 */
export class RedisPresence {
  readonly #deps: PresenceDeps;
  readonly #node: ReturnType<typeof nodeKeys>;
  /** Entries added by this node, per channel, for cleanup on close and re-adding after a partition. */
  readonly #local = new Map<string, Map<string, PresenceEntry>>();
  #timer: ReturnType<typeof setInterval> | null = null;
  #beating = false;
  /** Entries of dead nodes removed by this node's sweeper. */
  swept = 0;

  /** @param deps The broker's services. */
  constructor(deps: PresenceDeps) {
    this.#deps = deps;
    this.#node = nodeKeys(deps.prefix, deps.node);
  }

  /** Number of entries this node holds. */
  get localEntries(): number {
    let n = 0;
    for (const m of this.#local.values()) n += m.size;
    return n;
  }

  /** Starts the heartbeat and the sweeper (first beat at once). */
  start(): void {
    if (this.#timer !== null) return;
    this.#timer = setInterval(() => void this.tick(), this.#deps.heartbeatMs);
    this.#timer.unref();
    void this.tick();
  }

  /** Stops the heartbeat and the sweeper without touching Redis (what a crash looks like to other nodes). */
  stop(): void {
    if (this.#timer !== null) clearInterval(this.#timer);
    this.#timer = null;
  }

  /** One heartbeat, then one sweep. Exposed for tests; failures are reported, never thrown. */
  async tick(): Promise<void> {
    if (this.#beating || !this.#deps.isUp()) return;
    this.#beating = true;
    try {
      await this.#beat();
      await this.#deps.occupancy.retry();
      await this.sweep();
    } catch (err) {
      if (this.#deps.isUp()) this.#deps.error(err instanceof Error ? err : new Error(String(err)));
    } finally {
      this.#beating = false;
    }
  }

  /**
   * Adds or refreshes an entry (publishes a join for the user's first connection) and remembers it locally.
   * @param channel Channel name.
   * @param entry The connection, its user and info.
   * @throws {BrokerError} When Redis fails.
   */
  async add(channel: string, entry: PresenceEntry): Promise<void> {
    const keys = channelKeys(this.#deps.prefix, channel);
    const hasInfo = 'info' in entry && entry.info !== undefined;
    const [joined, left] = (await this.#deps.run('add presence', () =>
      PRESENCE_ADD.run(
        this.#deps.redis,
        [...keyList(keys), this.#node.channels],
        [
          entry.connection,
          entry.user,
          this.#deps.node,
          hasInfo ? '1' : '0',
          hasInfo ? packInfo(entry.info) : '',
          keys.pubsub,
          this.#deps.sharded ? '1' : '0',
          channel,
        ],
      ),
    )) as [number, Buffer[]];
    reportLeaves(this.#deps, channel, left, false);
    if (joined === 1)
      this.#deps.changed({ type: 'join', channel, user: entry.user, ...(hasInfo ? { info: entry.info } : {}) });
    let local = this.#local.get(channel);
    if (local === undefined) {
      local = new Map();
      this.#local.set(channel, local);
    }
    local.set(entry.connection, {
      connection: entry.connection,
      user: entry.user,
      ...(hasInfo ? { info: entry.info } : {}),
    });
  }

  /**
   * Removes an entry (publishes a leave for the user's last connection).
   * @param channel Channel name.
   * @param connection Connection id.
   * @throws {BrokerError} When Redis fails.
   */
  async remove(channel: string, connection: string): Promise<void> {
    const keys = channelKeys(this.#deps.prefix, channel);
    const local = this.#local.get(channel);
    const last = local === undefined || (local.size === 1 && local.has(connection)) || local.size === 0;
    const [, left] = (await this.#deps.run('remove presence', () =>
      PRESENCE_REMOVE.run(
        this.#deps.redis,
        [...keyList(keys), this.#node.channels],
        [connection, keys.pubsub, this.#deps.sharded ? '1' : '0', channel, last ? '1' : '0'],
      ),
    )) as [number, Buffer[]];
    reportLeaves(this.#deps, channel, left, false);
    if (local !== undefined) {
      local.delete(connection);
      if (local.size === 0) this.#local.delete(channel);
    }
  }

  /**
   * @param channel Channel name.
   * @returns Who is in the channel, per user, on every node.
   * @throws {BrokerError} When Redis fails.
   */
  async list(channel: string): Promise<PresenceUser[]> {
    const keys = channelKeys(this.#deps.prefix, channel);
    const reply = (await this.#deps.run('read presence', () =>
      PRESENCE_LIST.run(this.#deps.redis, [keys.users, keys.userInfo], []),
    )) as [Buffer[], Buffer[]];
    const infos = new Map<string, Buffer>();
    for (let i = 0; i + 1 < reply[1].length; i += 2) infos.set(reply[1][i]!.toString(), reply[1][i + 1]!);
    const users: PresenceUser[] = [];
    for (let i = 0; i + 1 < reply[0].length; i += 2) {
      const user = reply[0][i]!.toString();
      const connections = Number(reply[0][i + 1]!.toString());
      if (!(connections > 0)) continue;
      const info = infos.get(user);
      users.push(info === undefined ? { user, connections } : { user, connections, info: unpackInfo(info) });
    }
    return users;
  }

  /**
   * Removes every entry of every node whose heartbeat expired. Runs on every node each period; concurrent
   * sweeps are safe (each removal is counted once, by the script that removed it).
   */
  async sweep(): Promise<void> {
    const { redis, prefix } = this.#deps;
    const nodes = await this.#deps.run('sweep presence', () => redis.smembers(this.#node.registry));
    for (const node of nodes) {
      if (node === this.#deps.node) continue;
      const dead = nodeKeys(prefix, node);
      if ((await this.#deps.run('sweep presence', () => redis.exists(dead.heartbeat))) === 1) continue;
      const channels = await this.#deps.run('sweep presence', () => redis.smembers(dead.channels));
      for (const channel of channels) {
        const keys = channelKeys(prefix, channel);
        const [removed, left] = (await this.#deps.run('sweep presence', () =>
          PRESENCE_SWEEP.run(
            redis,
            [...keyList(keys), dead.heartbeat],
            [node, keys.pubsub, this.#deps.sharded ? '1' : '0'],
          ),
        )) as [number, Buffer[]];
        if (removed > 0) this.swept += removed;
        reportLeaves(this.#deps, channel, left, true);
      }
      await this.#deps.occupancy.sweep(node);
      await this.#deps.run('sweep presence', () =>
        FORGET_NODE.run(redis, [dead.heartbeat, dead.channels, dead.registry, dead.occupied], [node]),
      );
    }
  }

  /** Removes this node's entries and its heartbeat (a clean shutdown), best effort. */
  async leave(): Promise<void> {
    this.stop();
    for (const [channel, entries] of [...this.#local]) {
      for (const connection of [...entries.keys()]) await this.remove(channel, connection).catch(() => {});
    }
    await this.#deps.occupancy.leave();
    const { redis } = this.#deps;
    await this.#deps
      .run('leave', () =>
        redis
          .multi()
          .del(this.#node.heartbeat, this.#node.channels, this.#node.occupied)
          .srem(this.#node.registry, this.#deps.node)
          .exec(),
      )
      .catch(() => {});
  }

  async #beat(): Promise<void> {
    const alive = await this.#deps.run('heartbeat', () =>
      HEARTBEAT.run(
        this.#deps.redis,
        [this.#node.heartbeat, this.#node.registry],
        [this.#deps.node, 2 * this.#deps.heartbeatMs],
      ),
    );
    if (alive === 1) return;
    await this.#deps.occupancy.rewrite();
    if (this.#local.size === 0) return;
    // Our heartbeat had expired: another node may have swept our entries (or Redis restarted empty). Add them back.
    for (const [channel, entries] of [...this.#local]) {
      for (const entry of [...entries.values()]) await this.add(channel, entry);
    }
  }
}
