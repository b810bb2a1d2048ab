// Client (Node-free): the one place the SDK reads time: a replaceable clock and a set of pending timeouts that can all
// be cancelled at once when a client or publisher closes.

/** A timeout handle: whatever the clock's `setTimeout` returns. */
export type TimerHandle = unknown;

/**
 * Where the SDK gets time from. Every timeout and every "now" of the client goes through one clock, so a test can
 * drive all of its timing by hand.
 */
export interface Clock {
  /** Milliseconds since the Unix epoch. */
  now(): number;
  /** Runs `fn` once after `ms` milliseconds; returns a handle for `clearTimeout`. */
  setTimeout(fn: () => void, ms: number): TimerHandle;
  /** Cancels a pending timeout (a no-op for one that already fired). */
  clearTimeout(handle: TimerHandle): void;
}

/** The runtime's clock: `Date.now`, and the global `setTimeout` / `clearTimeout` (browsers and Node alike). */
export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};

/** Tracks the timeouts it starts so `clearAll()` leaves nothing pending. */
export class TimerSet {
  readonly #timers = new Set<TimerHandle>();
  /** The clock this set schedules on. */
  readonly clock: Clock;

  /** @param clock Where the timeouts run. @default systemClock */
  constructor(clock: Clock = systemClock) {
    this.clock = clock;
  }

  /**
   * Runs `fn` once after `ms`, tracked until it fires or is cleared.
   * @param fn The callback.
   * @param ms Delay in milliseconds.
   * @returns The handle, for `clear()`.
   */
  start(fn: () => void, ms: number): TimerHandle {
    const t = this.clock.setTimeout(() => {
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
    if (t === null || !this.#timers.delete(t)) return;
    this.clock.clearTimeout(t);
  }

  /** Cancels every pending timeout. */
  clearAll(): void {
    for (const t of this.#timers) this.clock.clearTimeout(t);
    this.#timers.clear();
  }

  /** Timeouts started and neither fired nor cleared yet. */
  get size(): number {
    return this.#timers.size;
  }
}
