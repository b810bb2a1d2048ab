// HTTP transports: one lazy timer for a deadline that moves often (a polling session's poll and session timeouts).
import { performance } from 'node:perf_hooks';

/**
 * A timer fires at most this early, in ms: Node schedules timers on the event loop's cached clock, which may lag the
 * clock read when the deadline was set, so a timer can fire a fraction of a millisecond before the deadline.
 */
const EARLY_TOLERANCE_MS = 1;

/**
 * Runs `fire` once its deadline passes, for a deadline moved on every poll. Moving it later costs no timer: the
 * running timer fires at the old time, sees the new deadline and waits the rest. Only a deadline moved earlier than
 * the running timer starts a new one. So a session polled hundreds of times a second arms a timer about once per
 * timeout instead of twice per poll (one `Timeout` allocated and cleared per poll was a visible share of the polling
 * server's CPU and garbage).
 */
export class DeadlineTimer {
  readonly #fire: () => void;
  #timer: ReturnType<typeof setTimeout> | null = null;
  /** When the running timer fires (performance.now() ms). */
  #timerDue = 0;
  /** When `fire` is due (performance.now() ms); 0: not armed. */
  #deadline = 0;
  readonly #onTimer = (): void => {
    this.#timer = null;
    if (this.#deadline === 0) return;
    const rest = this.#deadline - performance.now();
    if (rest >= EARLY_TOLERANCE_MS) {
      this.#start(rest);
      return;
    }
    this.#deadline = 0;
    this.#fire();
  };

  /** @param fire Called when the deadline passes (not called again until re-armed). */
  constructor(fire: () => void) {
    this.#fire = fire;
  }

  /**
   * Sets the deadline `ms` from now, replacing any other.
   * @param ms Delay in ms.
   */
  arm(ms: number): void {
    const due = performance.now() + ms;
    this.#deadline = due;
    if (this.#timer !== null) {
      if (this.#timerDue <= due) return;
      clearTimeout(this.#timer);
    }
    this.#start(ms);
  }

  /** Forgets the deadline; a running timer fires later and does nothing (see {@link stop} to end it at once). */
  disarm(): void {
    this.#deadline = 0;
  }

  /** Forgets the deadline and clears the running timer (the owner is done). */
  stop(): void {
    this.#deadline = 0;
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timer = null;
  }

  #start(ms: number): void {
    this.#timerDue = performance.now() + ms;
    this.#timer = setTimeout(this.#onTimer, ms);
  }
}
