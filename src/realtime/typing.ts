// Realtime: typing indicators, throttled per user and channel and expiring on their own. Timers only, no I/O.

/** Options of {@link TypingTracker}. */
export interface TypingOptions {
  /**
   * Repeated `on` signals of one user in one channel within this window are not relayed again.
   * @default 2000: a client sends `typing` on every keystroke; others need to hear it once every few seconds
   */
  readonly throttleMs?: number;
  /**
   * A typing state without a new `on` for this long ends by itself with an `off` event.
   * @default 6000: three throttle windows, so a client refreshing every 2-3 s never flickers, and a closed tab clears quickly
   */
  readonly expireMs?: number;
}

interface TypingState {
  lastRelayed: number;
  timer: ReturnType<typeof setTimeout>;
}

/**
 * Decides which typing signals are relayed. `relay(channel, user, on)` is called for every event to send;
 * the tracker holds one timer per typing user per channel, so its memory is bounded by active typists.
 */
export class TypingTracker {
  readonly #throttleMs: number;
  readonly #expireMs: number;
  readonly #relay: (channel: string, user: string, on: boolean) => void;
  readonly #states = new Map<string, TypingState>();

  /**
   * @param relay Sends a typing event to the channel's subscribers.
   * @param options Throttle and expiry.
   */
  constructor(relay: (channel: string, user: string, on: boolean) => void, options: TypingOptions = {}) {
    this.#relay = relay;
    this.#throttleMs = options.throttleMs ?? 2000;
    this.#expireMs = options.expireMs ?? 6000;
  }

  /** Number of users typing (all channels). */
  get size(): number {
    return this.#states.size;
  }

  /**
   * Records a typing signal.
   * @param channel Channel name.
   * @param user User id.
   * @param on Whether typing started (or continues) or stopped.
   * @returns Whether an event was relayed (false when throttled or when `off` had nothing to stop).
   */
  signal(channel: string, user: string, on: boolean): boolean {
    const key = `${channel}\u0000${user}`;
    const state = this.#states.get(key);
    if (!on) {
      if (state === undefined) return false;
      clearTimeout(state.timer);
      this.#states.delete(key);
      this.#relay(channel, user, false);
      return true;
    }
    const now = Date.now();
    if (state !== undefined) {
      clearTimeout(state.timer);
      state.timer = this.#expiry(key, channel, user);
      if (now - state.lastRelayed < this.#throttleMs) return false;
      state.lastRelayed = now;
      this.#relay(channel, user, true);
      return true;
    }
    this.#states.set(key, { lastRelayed: now, timer: this.#expiry(key, channel, user) });
    this.#relay(channel, user, true);
    return true;
  }

  /**
   * Ends a user's typing in a channel (unsubscribe, disconnect), relaying `off` if it was on.
   * @param channel Channel name.
   * @param user User id.
   */
  clear(channel: string, user: string): void {
    this.signal(channel, user, false);
  }

  /** Cancels every timer without relaying (shutdown). */
  dispose(): void {
    for (const state of this.#states.values()) clearTimeout(state.timer);
    this.#states.clear();
  }

  #expiry(key: string, channel: string, user: string): ReturnType<typeof setTimeout> {
    const timer = setTimeout(() => {
      this.#states.delete(key);
      this.#relay(channel, user, false);
    }, this.#expireMs);
    timer.unref?.();
    return timer;
  }
}
