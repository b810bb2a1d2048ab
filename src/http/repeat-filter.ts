// HTTP: lets a warning through once per key per window, so a client retrying in a loop cannot flood the log.

/** Options of {@link RepeatFilter}. */
export interface RepeatFilterOptions {
  /**
   * How long a key stays quiet after it was let through.
   * @default 60000: a reconnect loop logs once a minute, still soon enough to be seen
   */
  readonly windowMs?: number;
  /**
   * Keys remembered at once; beyond, the oldest is forgotten (and may be let through again).
   * @default 1000: bounded memory whatever the peers send
   */
  readonly maxKeys?: number;
  /**
   * Lines let through per window across all keys, so many distinct keys cannot flood the log either.
   * @default 20
   */
  readonly maxPerWindow?: number;
  /** @default Date.now */
  readonly now?: () => number;
}

/** Decides which repeated warnings reach the log; the ones held back are counted and reported with the next. */
export class RepeatFilter {
  readonly #windowMs: number;
  readonly #maxKeys: number;
  readonly #maxPerWindow: number;
  readonly #now: () => number;
  /** Key -> when it was last let through, oldest first. */
  readonly #seen = new Map<string, number>();
  #windowStart = -Infinity;
  #inWindow = 0;
  #suppressed = 0;

  constructor(options: RepeatFilterOptions = {}) {
    this.#windowMs = options.windowMs ?? 60_000;
    this.#maxKeys = options.maxKeys ?? 1000;
    this.#maxPerWindow = options.maxPerWindow ?? 20;
    this.#now = options.now ?? Date.now;
  }

  /**
   * @param key what the warning is about (e.g. the refused origin)
   * @returns null to stay quiet, else how many warnings were held back since the last one let through
   */
  take(key: string): number | null {
    const now = this.#now();
    const last = this.#seen.get(key);
    if (last !== undefined && now - last < this.#windowMs) {
      this.#suppressed++;
      return null;
    }
    if (now - this.#windowStart >= this.#windowMs) {
      this.#windowStart = now;
      this.#inWindow = 0;
    }
    if (this.#inWindow >= this.#maxPerWindow) {
      this.#suppressed++;
      return null;
    }
    this.#inWindow++;
    this.#seen.delete(key);
    this.#seen.set(key, now);
    if (this.#seen.size > this.#maxKeys) this.#seen.delete(this.#seen.keys().next().value as string);
    const held = this.#suppressed;
    this.#suppressed = 0;
    return held;
  }
}
