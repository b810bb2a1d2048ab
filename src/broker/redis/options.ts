// Broker (Redis): RedisBroker's options with their defaults and the mapping of Redis failures.
import { BrokerError } from '../errors.ts';
import type { RedisOptions } from 'ioredis';
import type { FanoutStats } from './fanout.ts';

/** Options of `RedisBroker`. */
export interface RedisBrokerOptions {
  /**
   * Where Redis listens: `redis://[user:password@]host:port[/db]` or `rediss://` for TLS.
   * @default 'redis://127.0.0.1:6379' - a local Redis with its default port
   */
  readonly url?: string;
  /** Extra ioredis options (TLS, password, Sentinel...). The broker's own settings below win over them. */
  readonly redis?: RedisOptions;
  /**
   * Prefix of every key and pub/sub channel, so several applications can share one Redis.
   * @default 'sb:'
   */
  readonly keyPrefix?: string;
  /**
   * Fan out with sharded pub/sub (SPUBLISH / SSUBSCRIBE, Redis 7+) instead of PUBLISH / SUBSCRIBE.
   * @default false - classic pub/sub works with every Redis; sharded pub/sub matters only on a Redis Cluster
   */
  readonly sharded?: boolean;
  /**
   * Deadline of each Redis command, in ms; a publish that misses it rejects with `BROKER_TIMEOUT`.
   * @default 2000 - a healthy Redis answers in well under a millisecond; a publisher learns about a stalled
   * one long before a client's own acknowledgement timeout (5-10 s in our SDK)
   */
  readonly commandTimeoutMs?: number;
  /**
   * Deadline of each connection attempt, in ms.
   * @default 2000 - loopback or LAN; reconnection continues in the background with backoff
   */
  readonly connectTimeoutMs?: number;
  /**
   * Longest pause between reconnection attempts, in ms (the pause doubles from 50 ms, plus jitter).
   * @default 1000 - a restarted Redis is found within a second without hammering a dead one
   */
  readonly maxReconnectDelayMs?: number;
  /**
   * Default deduplication window, in ms.
   * @default 120000 - covers a client's retry after a reconnect with backoff, like MemoryBroker
   */
  readonly idempotencyWindowMs?: number;
  /**
   * How long a channel's epoch and offset counter outlive its last publish (or first read), in ms; at least
   * the history TTL. An idle channel then starts a new epoch.
   * @default 86400000 - a day: positions stay valid across long idle periods, and dead channels leave Redis
   */
  readonly channelTtlMs?: number;
  /**
   * Presence heartbeat period, in ms. A dead node's presence entries vanish within 3 × this.
   * @default 5000 - a crashed node's users leave within 15 s, for one small write per node per period
   */
  readonly presenceHeartbeatMs?: number;
  /**
   * Most Redis commands in flight from this node; beyond it operations fail at once with `BROKER_UNAVAILABLE`.
   * @default 10000 - bounds memory while Redis is slow instead of queueing without limit
   */
  readonly maxPendingCommands?: number;
  /**
   * Publications read per history page when a subscription catches up after lost pub/sub messages.
   * @default 1000
   */
  readonly recoveryPageSize?: number;
  /**
   * Events buffered per channel while it catches up; beyond it, queued publications are re-read from history.
   * @default 10000
   */
  readonly maxBufferedEvents?: number;
  /**
   * This node's id in presence entries. Must be unique among live nodes.
   * @default `${hostname}-${pid}-${random}`
   */
  readonly nodeId?: string;
}

/** Counters and sizes, for `/api/stats`, `/health` and tests. */
export interface RedisBrokerStats extends FanoutStats {
  readonly status: 'up' | 'down';
  readonly channels: number;
  readonly handlers: number;
  readonly localPresence: number;
  readonly sweptPresence: number;
  readonly pendingCommands: number;
}

/** An ioredis error as a BrokerError: a command timeout is BROKER_TIMEOUT, anything else BROKER_UNAVAILABLE. */
export function toBrokerError(what: string, cause: unknown): BrokerError {
  if (cause instanceof BrokerError) return cause;
  const message = cause instanceof Error ? cause.message : String(cause);
  if (/timed out/i.test(message))
    return new BrokerError(`Cannot ${what}: Redis did not answer in time`, { code: 'BROKER_TIMEOUT', cause });
  return new BrokerError(`Cannot ${what}: Redis is unavailable`, { code: 'BROKER_UNAVAILABLE', cause });
}
