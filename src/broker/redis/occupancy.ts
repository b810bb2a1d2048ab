// Broker (Redis): cluster-wide channel occupancy, one set of node ids per channel, changed by atomic scripts.
import type { Redis } from 'ioredis';
import type { BrokerChange } from '../types.ts';
import { channelKeys, nodeKeys } from './keys.ts';
import { OCCUPANCY_SET, OCCUPANCY_SWEEP } from './occupancy-scripts.ts';

/** What occupancy needs from its broker. */
export interface OccupancyDeps {
  /** The command connection. */
  readonly redis: Redis;
  readonly prefix: string;
  /** This node's id. */
  readonly node: string;
  /** Runs a Redis call under the broker's error mapping and in-flight bound. */
  run<T>(what: string, call: () => Promise<T>): Promise<T>;
  /** Reports a change this node made. */
  changed(change: BrokerChange): void;
}

/**
 * Which nodes have handlers for a channel, kept in Redis as a set of node ids per channel (`{channel}:o`) plus,
 * per node, the set of channels it occupies (`node:<id>:oc`, for the sweeper).
 *
 * Semantics. A channel is occupied while at least one live node has at least one handler for it. The node whose
 * script adds the first member emits `occupied`; the node whose script removes the last member emits `vacated`.
 * The scripts are atomic, so each transition is seen by exactly one caller in the cluster, whatever the timing.
 *
 * Ordering. The wanted state (this node has handlers or not) changes locally at once; a per-channel worker then
 * writes it with an idempotent "set membership to X" script, re-reading the wanted state after each write, so a
 * quick subscribe/unsubscribe/subscribe settles on the last state and never leaves a stale member behind.
 *
 * Faults. A write that fails (Redis down) is retried on the next heartbeat. A node that dies keeps its memberships
 * until its heartbeat expires (`2 × heartbeatMs`); the next sweep by any live node (every `heartbeatMs`) removes it
 * and emits `vacated` where it was the last member: within `3 × heartbeatMs` of its last heartbeat, as long as one
 * node is alive. A node cut from Redis longer than its heartbeat's life may be swept the same way; when it finds its
 * heartbeat expired it writes its memberships again, emitting `occupied` where the channel had been vacated.
 */
export class RedisOccupancy {
  readonly #deps: OccupancyDeps;
  readonly #index: string;
  /** Channels this node has handlers for (bounded by the fan-out's channels). */
  readonly #wanted = new Set<string>();
  /** Channels this node's membership is written for, as far as it knows. */
  readonly #written = new Set<string>();
  /** Running workers per channel: a caller arriving meanwhile waits for the same one (it re-reads the wanted state). */
  readonly #busy = new Map<string, Promise<void>>();
  /** Channels whose last write failed: retried by {@link RedisOccupancy.retry}. */
  readonly #failed = new Set<string>();

  /** @param deps The broker's services. */
  constructor(deps: OccupancyDeps) {
    this.#deps = deps;
    this.#index = nodeKeys(deps.prefix, deps.node).occupied;
  }

  /**
   * Sets whether this node has handlers for a channel; the write to Redis follows in the background.
   * @param channel Channel name.
   * @param has Whether this node has at least one handler.
   * @returns Resolves once the channel's worker is idle (tests; callers need not wait).
   */
  set(channel: string, has: boolean): Promise<void> {
    if (has) this.#wanted.add(channel);
    else this.#wanted.delete(channel);
    return this.#work(channel);
  }

  /** Writes again every channel whose write failed (called on each heartbeat). */
  async retry(): Promise<void> {
    const failed = [...this.#failed];
    this.#failed.clear();
    await Promise.all(failed.map((channel) => this.#work(channel)));
  }

  /** This node's heartbeat had expired: other nodes may have swept its memberships. Write them all again. */
  async rewrite(): Promise<void> {
    this.#written.clear();
    await Promise.all([...this.#wanted].map((channel) => this.#work(channel)));
  }

  /** Removes every membership of this node (a clean shutdown), emitting `vacated` where it was the last. */
  async leave(): Promise<void> {
    const channels = new Set([...this.#wanted, ...this.#written, ...this.#failed]);
    this.#wanted.clear();
    await Promise.all([...channels].map((channel) => this.#work(channel)));
  }

  /**
   * Removes a dead node from every channel it occupied (the caller checked its heartbeat expired; the script
   * checks again), emitting `vacated` where it was the last member.
   * @param node The dead node's id.
   */
  async sweep(node: string): Promise<void> {
    const dead = nodeKeys(this.#deps.prefix, node);
    const channels = await this.#deps.run('sweep occupancy', () => this.#deps.redis.smembers(dead.occupied));
    for (const channel of channels) {
      const keys = channelKeys(this.#deps.prefix, channel);
      const result = await this.#deps.run('sweep occupancy', () =>
        OCCUPANCY_SWEEP.run(this.#deps.redis, [keys.occupancy, dead.heartbeat], [node]),
      );
      if (result === -1) this.#deps.changed({ type: 'vacated', channel, swept: true });
    }
  }

  #work(channel: string): Promise<void> {
    const running = this.#busy.get(channel);
    if (running !== undefined) return running;
    const work = this.#loop(channel).finally(() => this.#busy.delete(channel));
    this.#busy.set(channel, work);
    return work;
  }

  async #loop(channel: string): Promise<void> {
    for (;;) {
      const want = this.#wanted.has(channel);
      if (want === this.#written.has(channel)) return;
      const keys = channelKeys(this.#deps.prefix, channel);
      let result: unknown;
      try {
        result = await this.#deps.run('set occupancy', () =>
          OCCUPANCY_SET.run(
            this.#deps.redis,
            [keys.occupancy, this.#index],
            [this.#deps.node, want ? '1' : '0', channel],
          ),
        );
      } catch {
        this.#failed.add(channel);
        return;
      }
      if (want) this.#written.add(channel);
      else this.#written.delete(channel);
      if (result === 1) this.#deps.changed({ type: 'occupied', channel });
      else if (result === -1) this.#deps.changed({ type: 'vacated', channel });
    }
  }
}
