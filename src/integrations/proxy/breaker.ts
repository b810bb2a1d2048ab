// Integrations/proxy: the circuit breaker of one backend endpoint. Closed: every call goes through and consecutive
// failures are counted; after `failureThreshold` of them it opens: calls are refused at once (no socket, no wait) for
// `resetAfterMs`; then it is half-open: exactly one call (the probe) goes through, and its outcome closes or reopens it.

/** Where a breaker stands; `half_open` means the next call is the probe (or the probe is in flight). */
export type BreakerState = 'closed' | 'open' | 'half_open';

/** Numeric form of a {@link BreakerState} for a Prometheus gauge: 0 closed, 1 half-open, 2 open. */
export const BREAKER_STATE_VALUE: Readonly<Record<BreakerState, number>> = { closed: 0, half_open: 1, open: 2 };

/** Options of {@link Breaker}. */
export interface BreakerOptions {
  /**
   * Consecutive failures that open the breaker.
   * @default 5: one or two failures are noise (a restart, a lost packet); five in a row is an outage
   */
  readonly failureThreshold?: number;
  /**
   * How long an open breaker refuses calls before it lets one probe through, in ms.
   * @default 5000: short enough that a recovered backend is used again within seconds, long enough that a dead one
   * costs one probe per 5 s instead of a timeout per call
   */
  readonly resetAfterMs?: number;
}

/** Default of {@link BreakerOptions.failureThreshold}. */
export const DEFAULT_FAILURE_THRESHOLD = 5;
/** Default of {@link BreakerOptions.resetAfterMs}. */
export const DEFAULT_RESET_AFTER_MS = 5000;

/** A circuit breaker; the clock is passed in so callers read it once per call. */
export class Breaker {
  readonly #threshold: number;
  readonly #resetAfterMs: number;
  readonly #changed: (state: BreakerState) => void;
  #state: BreakerState = 'closed';
  #consecutiveFailures = 0;
  #openedAtMs = 0;
  #probing = false;

  /**
   * @param options threshold and reset delay
   * @param changed called on every transition (logs, metrics)
   */
  constructor(options: BreakerOptions = {}, changed: (state: BreakerState) => void = () => {}) {
    this.#threshold = options.failureThreshold ?? DEFAULT_FAILURE_THRESHOLD;
    this.#resetAfterMs = options.resetAfterMs ?? DEFAULT_RESET_AFTER_MS;
    this.#changed = changed;
  }

  /**
   * The state as a caller would find it now: an open breaker whose delay has passed reads as half-open.
   * @param nowMs the clock
   */
  state(nowMs: number): BreakerState {
    if (this.#state === 'open' && nowMs - this.#openedAtMs >= this.#resetAfterMs) return 'half_open';
    return this.#state;
  }

  /** Failures since the last success. */
  get consecutiveFailures(): number {
    return this.#consecutiveFailures;
  }

  /**
   * Asks to make a call. Closed: yes. Open: no, until the delay passed; then yes once (the probe). Half-open with the
   * probe in flight: no.
   * @param nowMs the clock
   * @returns whether the call may go to the backend; a `true` must be followed by exactly one of
   *   {@link Breaker.success}, {@link Breaker.failure} or {@link Breaker.abandon}
   */
  allow(nowMs: number): boolean {
    switch (this.#state) {
      case 'closed':
        return true;
      case 'open':
        if (nowMs - this.#openedAtMs < this.#resetAfterMs) return false;
        this.#transition('half_open');
        this.#probing = true;
        return true;
      case 'half_open':
        if (this.#probing) return false;
        this.#probing = true;
        return true;
    }
  }

  /** The backend answered (whatever it said): closes a half-open breaker and resets the count. */
  success(): void {
    this.#consecutiveFailures = 0;
    this.#probing = false;
    if (this.#state !== 'closed') this.#transition('closed');
  }

  /**
   * The backend failed (unreachable, timeout, 5xx, oversized answer).
   * @param nowMs the clock
   */
  failure(nowMs: number): void {
    this.#consecutiveFailures++;
    const wasProbe = this.#state === 'half_open';
    this.#probing = false;
    if (wasProbe || (this.#state === 'closed' && this.#consecutiveFailures >= this.#threshold)) {
      this.#openedAtMs = nowMs;
      this.#transition('open');
    }
  }

  /** An allowed call never reached the backend (refused by the concurrency bound, proxy closed): no verdict. */
  abandon(): void {
    if (this.#state === 'half_open') this.#probing = false;
  }

  #transition(next: BreakerState): void {
    this.#state = next;
    this.#changed(next);
  }
}
