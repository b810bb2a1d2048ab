// Client SDK (Node-free): a circuit breaker around publishes; its state is visible, never a hidden retry loop.
import { TimerSet, type TimerHandle } from './timers.ts';

/** `closed`: publishes flow. `open`: the server keeps failing, publishes are refused or held. `half-open`: one probe is let through. */
export type BreakerState = 'closed' | 'open' | 'half-open';

/** Options of {@link CircuitBreaker}. */
export interface BreakerOptions {
  /**
   * Consecutive failed publishes (timeouts, `broker_unavailable`, `internal`, `rate_limited`) that open the circuit.
   * @default 5: one lost ack is noise, five in a row is a failing server
   */
  readonly failureThreshold?: number;
  /**
   * Time the circuit stays open before one probe publish is let through, in milliseconds.
   * @default 5000: long enough to let a broker restart, short enough for a chat to recover by itself
   */
  readonly resetTimeoutMs?: number;
  /**
   * What `publish()` does while the circuit is open: `reject` fails at once with `circuit_open`; `queue` keeps the
   * message in the outbox until the circuit closes.
   * @default 'reject': the application learns at once that the server is failing and decides (the state is surfaced, not hidden)
   */
  readonly whenOpen?: 'reject' | 'queue';
}

/**
 * Consecutive-failure circuit breaker with a timed half-open probe.
 *
 * closed --(threshold failures)--> open --(reset timeout)--> half-open --(probe acked)--> closed;
 * half-open --(probe failed)--> open; open --(an ack from an earlier send)--> closed, and the reset timer is cancelled
 * so the closed circuit never half-opens by itself.
 */
export class CircuitBreaker {
  readonly #threshold: number;
  readonly #resetMs: number;
  readonly #onChange: (state: BreakerState) => void;
  #state: BreakerState = 'closed';
  #failures = 0;
  readonly #timers: TimerSet;
  #timer: TimerHandle | null = null;

  /**
   * @param options Threshold and reset time.
   * @param onChange Called on every state change.
   * @param timers Where the reset timer runs. @default a TimerSet on the system clock
   */
  constructor(options: BreakerOptions, onChange: (state: BreakerState) => void, timers: TimerSet = new TimerSet()) {
    this.#threshold = Math.max(1, options.failureThreshold ?? 5);
    this.#resetMs = Math.max(0, options.resetTimeoutMs ?? 5000);
    this.#onChange = onChange;
    this.#timers = timers;
  }

  /** The current state. */
  get state(): BreakerState {
    return this.#state;
  }

  /** Whether a publish may be sent now (in `half-open`, only while no probe is out: the caller sends one). */
  get allows(): boolean {
    return this.#state !== 'open';
  }

  /** Records an acknowledged publish: closes the circuit and cancels a pending half-open. */
  success(): void {
    this.#failures = 0;
    this.#cancelReset();
    if (this.#state !== 'closed') this.#set('closed');
  }

  /** Records a failed publish: opens the circuit at the threshold, or again after a failed probe. */
  failure(): void {
    this.#failures++;
    if (this.#state === 'half-open' || (this.#state === 'closed' && this.#failures >= this.#threshold)) this.#open();
  }

  /** Stops the reset timer (client closed). */
  dispose(): void {
    this.#cancelReset();
  }

  #open(): void {
    this.#set('open');
    this.#cancelReset();
    this.#timer = this.#timers.start(() => {
      this.#timer = null;
      this.#set('half-open');
    }, this.#resetMs);
  }

  #cancelReset(): void {
    this.#timers.clear(this.#timer);
    this.#timer = null;
  }

  #set(state: BreakerState): void {
    this.#state = state;
    this.#onChange(state);
  }
}
