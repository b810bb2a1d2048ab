// Broker (Redis): how RedisBroker's two connections behave (fail fast while Redis is down, never re-send a command
// whose outcome is unknown, reconnect with capped jittered backoff) and how its health ping tells a primary from a
// read-only replica; waiting for both connections to be up.
import type { EventEmitter } from 'node:events';
import type { Redis, RedisOptions } from 'ioredis';
import { BrokerError } from '../errors.ts';
import { positive } from '../checks.ts';
import type { BrokerHealth, BrokerStatus } from '../types.ts';
import { toBrokerError, type RedisBrokerOptions } from './options.ts';

/**
 * The ioredis settings of both connections: the caller's `redis` options with the broker's own on top.
 * @throws {RangeError} When a timeout or delay option is out of range.
 */
export function connectionSettings(options: RedisBrokerOptions): RedisOptions {
  const commandTimeout = positive(options.commandTimeoutMs ?? 2000, 'commandTimeoutMs');
  const maxDelay = positive(options.maxReconnectDelayMs ?? 1000, 'maxReconnectDelayMs');
  return {
    ...options.redis,
    // Fail fast while Redis is down, and never re-send a command whose outcome is unknown (a publish twice).
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    autoResendUnfulfilledCommands: false,
    autoResubscribe: true,
    commandTimeout,
    connectTimeout: positive(options.connectTimeoutMs ?? 2000, 'connectTimeoutMs'),
    retryStrategy: (attempt) => Math.min(maxDelay, 50 * 2 ** Math.min(attempt, 10)) * (0.75 + Math.random() / 2),
    // After a failover the old primary answers READONLY: reconnect (rediscovers the primary behind Sentinel).
    reconnectOnError: (err) => err.message.startsWith('READONLY'),
    lazyConnect: false,
  };
}

/**
 * Pings Redis with ROLE and times the answer.
 * @param run The broker's call wrapper (closed check, in-flight cap, error mapping).
 * @returns ok with the latency from a primary; not ok from a replica, on a timeout or a failure.
 */
export async function pingPrimary(
  redis: Redis,
  run: <T>(what: string, call: () => Promise<T>) => Promise<T>,
): Promise<BrokerHealth> {
  const started = performance.now();
  try {
    // ROLE doubles as the ping: after a failover the old primary still answers, but as a read-only replica
    // (docs/security-cases.md RD-07, centrifugo #766: a node stuck on it while /health said ok).
    const role = (await run('ping', () => redis.call('ROLE'))) as unknown[];
    const latencyMs = Math.round((performance.now() - started) * 1000) / 1000;
    if (Array.isArray(role) && role[0] !== 'master')
      return { ok: false, latencyMs, detail: 'Redis is a read-only replica' };
    return { ok: true, latencyMs };
  } catch (err) {
    return {
      ok: false,
      detail:
        toBrokerError('ping', err).code === 'BROKER_TIMEOUT' ? 'Redis did not answer in time' : 'Redis is unavailable',
    };
  }
}

/**
 * Resolves at the broker's next `status` event saying `up`.
 * @param lastError The last connection error, named in the timeout's message.
 * @throws {BrokerError} `BROKER_UNAVAILABLE` after `timeoutMs`.
 */
export function statusUp(events: EventEmitter, timeoutMs: number, lastError: () => string): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      events.off('status', onStatus);
      reject(
        new BrokerError(
          `Cannot connect: Redis did not answer within ${timeoutMs} ms${lastError() === '' ? '' : ` (${lastError()})`}`,
          { code: 'BROKER_UNAVAILABLE' },
        ),
      );
    }, timeoutMs);
    const onStatus = (status: BrokerStatus): void => {
      if (status.state !== 'up') return;
      clearTimeout(timer);
      events.off('status', onStatus);
      resolve();
    };
    events.on('status', onStatus);
  });
}
