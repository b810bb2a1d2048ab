// Client SDK (Node-free): reconnect delays, exponential with full jitter, so a crowd of clients spreads out.

/** Exponential backoff parameters. */
export interface BackoffOptions {
  /**
   * Upper bound of the first delay, in milliseconds.
   * @default 500: a dropped Wi-Fi is back within a second, and 1,000 clients still spread over half a second
   */
  readonly minDelayMs?: number;
  /**
   * Largest delay, in milliseconds.
   * @default 20000: a server that is down for minutes sees each client about three times a minute
   */
  readonly maxDelayMs?: number;
  /**
   * Growth of the upper bound per failed attempt.
   * @default 2: the classic doubling
   */
  readonly factor?: number;
}

/** The defaults of {@link BackoffOptions}. */
export const BACKOFF_DEFAULTS = { minDelayMs: 500, maxDelayMs: 20_000, factor: 2 } as const;

/**
 * The delay before reconnect attempt `attempt` (0 for the first retry after a loss): a uniform draw in
 * `[0, min(maxDelayMs, minDelayMs * factor^attempt))` ("full jitter", AWS Architecture Blog, 2015). Without the
 * jitter every client that lost the same server retries at the same instants (phoenix#4045).
 *
 * @param attempt Failed attempts so far (0-based).
 * @param options Bounds and factor; `random` draws in [0, 1).
 * @returns Milliseconds to wait.
 * @throws {RangeError} For negative bounds or a factor below 1.
 * @example
 * backoffDelay(3, { minDelayMs: 100, maxDelayMs: 5000, factor: 2 }); // somewhere in [0, 800)
 */
export function backoffDelay(
  attempt: number,
  options: BackoffOptions & { readonly random?: () => number } = {},
): number {
  const min = options.minDelayMs ?? BACKOFF_DEFAULTS.minDelayMs;
  const max = options.maxDelayMs ?? BACKOFF_DEFAULTS.maxDelayMs;
  const factor = options.factor ?? BACKOFF_DEFAULTS.factor;
  if (!(min >= 0) || !(max >= min))
    throw new RangeError(`Cannot back off: expected 0 <= minDelayMs <= maxDelayMs, got "${min}" and "${max}"`);
  if (!(factor >= 1)) throw new RangeError(`Cannot back off: factor "${factor}" is below 1`);
  const ceiling = Math.min(max, min * factor ** Math.min(Math.max(0, attempt), 64));
  return Math.floor((options.random ?? Math.random)() * ceiling);
}
