// Client (Node-free): a set of pending timeouts that can all be cancelled at once when a client or publisher closes.

/** A timeout handle in browsers and Node alike. */
export type TimerHandle = ReturnType<typeof setTimeout>;

/** Tracks the timeouts it starts so `clearAll()` leaves nothing pending. */
export class TimerSet {
  readonly #timers = new Set<TimerHandle>();

  /**
   * Runs `fn` once after `ms`, tracked until it fires or is cleared.
   * @param fn The callback.
   * @param ms Delay in milliseconds.
   * @returns The handle, for `clear()`.
   */
  start(fn: () => void, ms: number): TimerHandle {
    const t = setTimeout(() => {
      this.#timers.delete(t);
      fn();
    }, ms);
    this.#timers.add(t);
    return t;
  }

  /**
   * Cancels one timeout (no-op for null or one already fired).
   * @param t The handle from `start()`, or null.
   */
  clear(t: TimerHandle | null): void {
    if (t === null) return;
    clearTimeout(t);
    this.#timers.delete(t);
  }

  /** Cancels every pending timeout. */
  clearAll(): void {
    for (const t of this.#timers) clearTimeout(t);
    this.#timers.clear();
  }
}
