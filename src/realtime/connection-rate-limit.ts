// Realtime: the per-connection limits on messages and bytes received, as pure arithmetic over an injected clock.
import { type Clock, checkPositive } from './rate-limit.ts';

/** Options of {@link ConnectionRateLimiter}. */
export interface ConnectionRateLimitOptions {
  /**
   * @default 50 - a chat client sends a few messages per second; 50/s leaves room for typing and acks
   */
  readonly messagesPerSecond?: number;
  /**
   * @default 100 - two seconds of the sustained rate, so a reconnect that resubscribes to many channels fits
   */
  readonly messagesBurst?: number;
  /**
   * @default 262144 - 256 KiB/s sustained per connection
   */
  readonly bytesPerSecond?: number;
  /**
   * @default 1048576 - 1 MiB, above the default 64 KiB message limit so single messages never starve
   */
  readonly bytesBurst?: number;
  /** @default Date.now */
  readonly now?: Clock;
}

/** Which limit a message broke; a bounded set, safe as a metric label. */
export type RateLimitVerdict = 'ok' | 'messages' | 'bytes';

const DEFAULT_MESSAGES_PER_SECOND = 50;
const DEFAULT_MESSAGES_BURST = 100;
const DEFAULT_BYTES_PER_SECOND = 256 * 1024;
const DEFAULT_BYTES_BURST = 1024 * 1024;
const MS_PER_SECOND = 1000;

/** The limits of {@link ConnectionRateLimitOptions}, defaulted and checked: one frozen object per options object. */
interface ConnectionLimits {
  readonly messagesPerSecond: number;
  readonly messagesBurst: number;
  readonly bytesPerSecond: number;
  readonly bytesBurst: number;
  readonly now: Clock;
}

/**
 * Every session of a hub is handed the same options object: its limits are resolved once and shared, so a connection
 * holds only its two token counts and a timestamp (two TokenBucket objects each repeating the limits cost ~150 bytes
 * more per idle connection, bench/conn-heap.mjs).
 */
const resolved = new WeakMap<ConnectionRateLimitOptions, ConnectionLimits>();

/**
 * @param options the per-connection rates
 * @returns the shared resolved limits of `options`
 * @throws RangeError for a rate or burst that is not a positive number
 */
export function connectionLimits(options: ConnectionRateLimitOptions): ConnectionLimits {
  const known = resolved.get(options);
  if (known !== undefined) return known;
  const messagesPerSecond = options.messagesPerSecond ?? DEFAULT_MESSAGES_PER_SECOND;
  const messagesBurst = options.messagesBurst ?? DEFAULT_MESSAGES_BURST;
  const bytesPerSecond = options.bytesPerSecond ?? DEFAULT_BYTES_PER_SECOND;
  const bytesBurst = options.bytesBurst ?? DEFAULT_BYTES_BURST;
  checkPositive('ratePerSecond', messagesPerSecond);
  checkPositive('burst', messagesBurst);
  checkPositive('ratePerSecond', bytesPerSecond);
  checkPositive('burst', bytesBurst);
  const limits = Object.freeze({
    messagesPerSecond,
    messagesBurst,
    bytesPerSecond,
    bytesBurst,
    now: options.now ?? Date.now,
  });
  resolved.set(options, limits);
  return limits;
}

/**
 * Per-connection limits on messages and bytes received: two token buckets (as {@link TokenBucket}: full at the start,
 * a message above the burst passes only from a full bucket and leaves a debt) refilled together from one timestamp.
 */
export class ConnectionRateLimiter {
  readonly #limits: ConnectionLimits;
  #messages: number;
  #bytes: number;
  #updatedAt: number;

  /** @throws RangeError for non-positive rates */
  constructor(options: ConnectionRateLimitOptions = {}) {
    const limits = connectionLimits(options);
    this.#limits = limits;
    this.#messages = limits.messagesBurst;
    this.#bytes = limits.bytesBurst;
    this.#updatedAt = limits.now();
  }

  /**
   * Accounts one received message. A refused message costs nothing in the other bucket.
   * @param bytes the message's size
   * @returns 'ok', or which limit it broke
   */
  check(bytes: number): RateLimitVerdict {
    const limits = this.#limits;
    const now = limits.now();
    const elapsedMs = now - this.#updatedAt;
    // A clock that goes backwards adds nothing rather than removing tokens.
    if (elapsedMs > 0) {
      this.#messages = Math.min(
        limits.messagesBurst,
        this.#messages + (elapsedMs * limits.messagesPerSecond) / MS_PER_SECOND,
      );
      this.#bytes = Math.min(limits.bytesBurst, this.#bytes + (elapsedMs * limits.bytesPerSecond) / MS_PER_SECOND);
      this.#updatedAt = now;
    }
    if (this.#messages < 1) return 'messages';
    const tokens = this.#bytes;
    // As TokenBucket.tryRemove: above the burst only from a full bucket.
    if (bytes > tokens && !(bytes > limits.bytesBurst && tokens >= limits.bytesBurst)) return 'bytes';
    this.#bytes = tokens - bytes;
    this.#messages -= 1;
    return 'ok';
  }
}
