// Realtime: rate limits as pure arithmetic over an injected clock. No timers, so tests never sleep.

/** A clock in milliseconds; `Date.now` in production, a variable in tests. */
export type Clock = () => number;

/** Options of {@link TokenBucket}. */
export interface TokenBucketOptions {
  /** Tokens added per second (the sustained rate). */
  readonly ratePerSecond: number;
  /** Bucket size: the burst allowed after an idle period. Starts full. */
  readonly burst: number;
  /**
   * @default Date.now
   */
  readonly now?: Clock;
}

/**
 * @param name the option's name, for the message
 * @param value its value
 * @throws RangeError unless `value` is a positive finite number
 */
export function checkPositive(name: string, value: number): void {
  if (!Number.isFinite(value) || value <= 0)
    throw new RangeError(`Cannot use ${name} "${value}": it must be a positive number`);
}

/**
 * A token bucket. Cost above the burst is allowed only from a full bucket and leaves a debt, so one maximal
 * message is possible but is paid for before the next.
 * @example
 * ```ts
 * const bucket = new TokenBucket({ ratePerSecond: 10, burst: 20 });
 * if (!bucket.tryRemove(1)) reply('rate_limited');
 * ```
 */
export class TokenBucket {
  readonly #rate: number;
  readonly #burst: number;
  readonly #now: Clock;
  #tokens: number;
  #updatedAt: number;

  /** @throws RangeError when the rate or burst is not positive */
  constructor(options: TokenBucketOptions) {
    checkPositive('ratePerSecond', options.ratePerSecond);
    checkPositive('burst', options.burst);
    this.#rate = options.ratePerSecond;
    this.#burst = options.burst;
    this.#now = options.now ?? Date.now;
    this.#tokens = options.burst;
    this.#updatedAt = this.#now();
  }

  #refill(): void {
    const now = this.#now();
    const elapsedMs = now - this.#updatedAt;
    // A clock that goes backwards adds nothing rather than removing tokens.
    if (elapsedMs > 0) this.#tokens = Math.min(this.#burst, this.#tokens + (elapsedMs * this.#rate) / 1000);
    this.#updatedAt = Math.max(now, this.#updatedAt);
  }

  /**
   * Takes `cost` tokens if available.
   * @param cost tokens to take
   * @returns whether the action is allowed
   */
  tryRemove(cost = 1): boolean {
    this.#refill();
    if (cost <= this.#tokens) {
      this.#tokens -= cost;
      return true;
    }
    if (cost > this.#burst && this.#tokens >= this.#burst) {
      this.#tokens -= cost;
      return true;
    }
    return false;
  }

  /** Tokens available now (negative while in debt). */
  get available(): number {
    this.#refill();
    return this.#tokens;
  }

  /** Whether the bucket is full, i.e. the key has been idle long enough to forget. */
  get isFull(): boolean {
    return this.available >= this.#burst;
  }

  /**
   * Milliseconds until `cost` tokens are available, for a `Retry-After` or a `retryAfterMs` field.
   * @param cost tokens wanted
   * @returns 0 when available now
   */
  msUntil(cost = 1): number {
    const need = Math.min(cost, this.#burst) - this.available;
    return need <= 0 ? 0 : Math.ceil((need * 1000) / this.#rate);
  }
}

/**
 * The rate-limit key of a remote address: IPv4 as is (IPv4-mapped IPv6 `::ffff:a.b.c.d` unwrapped), IPv6 by its
 * /64 prefix, because one host usually holds a whole /64 and could otherwise rotate addresses to escape a per-IP
 * limit and flush the bounded map.
 * @param address a socket's `remoteAddress`
 * @returns `a.b.c.d`, `2001:db8:0:1::/64`, or the input lower-cased when it is neither
 * @example
 * ```ts
 * rateLimitKey('2001:db8::1:2:3:4'); // '2001:db8:0:0::/64'
 * ```
 */
export function rateLimitKey(address: string): string {
  const a = address.toLowerCase().replace(/%.*$/, '');
  if (!a.includes(':')) return a;
  const mapped = /^(?:0{0,4}:){0,5}(?:0{0,4}:)?ffff:(\d{1,3}(?:\.\d{1,3}){3})$/.exec(a);
  if (mapped?.[1] !== undefined) return mapped[1];
  const halves = a.split('::');
  if (halves.length > 2) return a;
  const head = halves[0] === '' || halves[0] === undefined ? [] : halves[0].split(':');
  const tail = halves.length === 2 && halves[1] !== '' && halves[1] !== undefined ? halves[1].split(':') : [];
  const missing = 8 - head.length - tail.length;
  if (missing < 0 || (halves.length === 1 && missing !== 0)) return a;
  const groups = [...head, ...Array<string>(missing).fill('0'), ...tail];
  if (!groups.every((g) => /^[0-9a-f]{1,4}$/.test(g))) return a;
  return `${groups
    .slice(0, 4)
    .map((g) => parseInt(g, 16).toString(16))
    .join(':')}::/64`;
}

/** Options of {@link KeyedRateLimiter}. */
export interface KeyedRateLimitOptions {
  /** Actions allowed per minute per key (sustained). */
  readonly perMinute: number;
  /**
   * Burst per key.
   * @default perMinute - a whole minute's allowance at once, which a page reload storm needs
   */
  readonly burst?: number;
  /**
   * Keys tracked at most; the least recently used is forgotten beyond it.
   * @default 10000 - bounds memory against many source addresses (about 1 MB); a forgotten key starts full
   */
  readonly maxKeys?: number;
  /** @default Date.now */
  readonly now?: Clock;
}

/**
 * Token buckets per key (an IP address for new connections per minute), in a map bounded in size.
 * Eviction drops the least recently used key; an evicted key starts again with a full bucket, the price of
 * bounded memory.
 */
export class KeyedRateLimiter {
  readonly #buckets = new Map<string, KeyedBucket>();
  /** Least recently used first: a list of its own, because evicting the front of a `Map` by `keys().next()` walks every
   * entry deleted since V8 last rehashed the table (10-20 µs per call once 10,000 addresses are tracked). */
  readonly #recency = new RecencyList();
  readonly #rate: number;
  readonly #burst: number;
  readonly #maxKeys: number;
  readonly #now: Clock;

  /** @throws RangeError for non-positive limits */
  constructor(options: KeyedRateLimitOptions) {
    checkPositive('perMinute', options.perMinute);
    this.#rate = options.perMinute / 60;
    this.#burst = options.burst ?? options.perMinute;
    checkPositive('burst', this.#burst);
    const maxKeys = options.maxKeys ?? 10_000;
    if (!Number.isInteger(maxKeys) || maxKeys < 1)
      throw new RangeError(`Cannot use maxKeys "${maxKeys}": it must be a positive integer`);
    this.#maxKeys = maxKeys;
    this.#now = options.now ?? Date.now;
  }

  /**
   * Takes one token for `key`.
   * @param key e.g. the remote address
   * @returns whether the action is allowed
   */
  tryAcquire(key: string): boolean {
    let entry = this.#buckets.get(key);
    if (entry === undefined) {
      entry = new KeyedBucket(key, new TokenBucket({ ratePerSecond: this.#rate, burst: this.#burst, now: this.#now }));
      this.#buckets.set(key, entry);
      this.#recency.append(entry);
    } else {
      this.#recency.moveToBack(entry);
    }
    const allowed = entry.bucket.tryRemove(1);
    while (this.#buckets.size > this.#maxKeys) {
      const oldest = this.#recency.front;
      if (oldest === null) break;
      this.#forget(oldest);
    }
    return allowed;
  }

  /**
   * Milliseconds until `key` may act again (for `Retry-After`).
   * @param key the key
   * @returns 0 when it may act now
   */
  msUntil(key: string): number {
    return this.#buckets.get(key)?.bucket.msUntil(1) ?? 0;
  }

  /** Forgets keys whose bucket refilled completely; call it from an occasional sweep. @returns keys removed */
  prune(): number {
    let removed = 0;
    for (const entry of this.#buckets.values()) {
      if (entry.bucket.isFull) {
        this.#forget(entry);
        removed++;
      }
    }
    return removed;
  }

  #forget(entry: KeyedBucket): void {
    this.#buckets.delete(entry.key);
    this.#recency.remove(entry);
  }

  /** Keys tracked now. */
  get size(): number {
    return this.#buckets.size;
  }
}

/** A key's bucket, linked into the limiter's recency list. */
class KeyedBucket {
  readonly key: string;
  readonly bucket: TokenBucket;
  previous: KeyedBucket | null = null;
  next: KeyedBucket | null = null;

  constructor(key: string, bucket: TokenBucket) {
    this.key = key;
    this.bucket = bucket;
  }
}

/** A doubly linked list of buckets, least recently used at the front: every operation is O(1). */
class RecencyList {
  front: KeyedBucket | null = null;
  #back: KeyedBucket | null = null;

  append(entry: KeyedBucket): void {
    entry.previous = this.#back;
    entry.next = null;
    if (this.#back === null) this.front = entry;
    else this.#back.next = entry;
    this.#back = entry;
  }

  remove(entry: KeyedBucket): void {
    if (entry.previous === null) this.front = entry.next;
    else entry.previous.next = entry.next;
    if (entry.next === null) this.#back = entry.previous;
    else entry.next.previous = entry.previous;
    entry.previous = null;
    entry.next = null;
  }

  moveToBack(entry: KeyedBucket): void {
    if (this.#back === entry) return;
    this.remove(entry);
    this.append(entry);
  }
}

/** Options of {@link StrikeTracker}. */
export interface StrikeOptions {
  /**
   * Strikes within `windowMs` that end the connection.
   * @default 10 - a buggy client gets error replies; only sustained abuse is closed
   */
  readonly maxStrikes?: number;
  /**
   * @default 10000 - ten seconds
   */
  readonly windowMs?: number;
  /** @default Date.now */
  readonly now?: Clock;
}

/**
 * Counts violations (rate-limit trips, malformed messages) in a sliding window. When it reports `true` the caller
 * closes the connection: 4008 after rate-limit trips (reconnect after a backoff), 4500 after malformed messages
 * (do not reconnect). Memory is bounded by `maxStrikes`.
 */
export class StrikeTracker {
  readonly #max: number;
  readonly #windowMs: number;
  readonly #now: Clock;
  #times: number[] = [];

  /** @throws RangeError for non-positive limits */
  constructor(options: StrikeOptions = {}) {
    this.#max = options.maxStrikes ?? 10;
    this.#windowMs = options.windowMs ?? 10_000;
    if (!Number.isInteger(this.#max) || this.#max < 1)
      throw new RangeError(`Cannot use maxStrikes "${this.#max}": it must be a positive integer`);
    checkPositive('windowMs', this.#windowMs);
    this.#now = options.now ?? Date.now;
  }

  /**
   * Records one violation.
   * @returns true when `maxStrikes` violations happened within the window: close the connection
   */
  strike(): boolean {
    const now = this.#now();
    this.#times = this.#times.filter((t) => now - t < this.#windowMs);
    this.#times.push(now);
    if (this.#times.length > this.#max) this.#times.shift();
    return this.#times.length >= this.#max;
  }

  /** Violations within the window now. */
  get count(): number {
    const now = this.#now();
    return this.#times.filter((t) => now - t < this.#windowMs).length;
  }
}
