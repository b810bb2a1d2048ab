// Realtime: the limits and timings a session and its operations read, resolved from the hub's options.
import type { ConnectionRateLimitOptions } from './connection-rate-limit.ts';

/** Limits and timings a session reads. */
export interface SessionOptions {
  readonly authTimeoutMs: number;
  readonly maxStrikes: number;
  readonly strikeWindowMs: number;
  readonly maxSubscriptions: number;
  readonly maxConnectionsPerUser: number;
  readonly rateLimit: ConnectionRateLimitOptions;
  /** Largest `limit` served by `history` when the client gives none. */
  readonly defaultHistoryLimit: number;
  /** Time without an application message (pings excluded) after which the session closes with 4506; 0: never. */
  readonly idleTimeoutMs: number;
}
