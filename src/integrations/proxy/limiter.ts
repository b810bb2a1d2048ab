// Integrations/proxy: the bound on concurrent backend requests of one proxy, with a bounded queue behind it. A call
// beyond both is refused at once: waiting longer than the backend can serve only moves the timeout elsewhere.

/** A queued call: resumed with `true` when it gets a slot, `false` when it was cancelled. */
type Waiter = (granted: boolean) => void;

/** Counts slots; hands a freed slot to the oldest waiter. */
export class ConcurrencyLimiter {
  readonly #max: number;
  readonly #maxQueued: number;
  readonly #queue = new Set<Waiter>();
  #active = 0;

  /**
   * @param max concurrent slots
   * @param maxQueued calls that may wait for a slot
   */
  constructor(max: number, maxQueued: number) {
    this.#max = max;
    this.#maxQueued = maxQueued;
  }

  /** Slots held now. */
  get active(): number {
    return this.#active;
  }

  /** Calls waiting now. */
  get queued(): number {
    return this.#queue.size;
  }

  /** @returns whether a slot was taken (call {@link ConcurrencyLimiter.release} once done) */
  tryAcquire(): boolean {
    if (this.#active >= this.#max) return false;
    this.#active++;
    return true;
  }

  /**
   * Queues a call for the next free slot.
   * @param waiter resumed with `true` holding a slot, or `false` when {@link ConcurrencyLimiter.cancelAll} ran
   * @returns false when the queue is full (the call is refused)
   */
  enqueue(waiter: Waiter): boolean {
    if (this.#queue.size >= this.#maxQueued) return false;
    this.#queue.add(waiter);
    return true;
  }

  /**
   * Removes a waiter that gave up (its deadline passed).
   * @returns whether it was still queued (false: it was already granted a slot, which it must release)
   */
  cancel(waiter: Waiter): boolean {
    return this.#queue.delete(waiter);
  }

  /** Frees a slot: the oldest waiter takes it over, or the count drops. */
  release(): void {
    for (const next of this.#queue) {
      this.#queue.delete(next);
      next(true);
      return;
    }
    this.#active--;
  }

  /** Resumes every waiter with `false` (the proxy is closing). */
  cancelAll(): void {
    const waiters = [...this.#queue];
    this.#queue.clear();
    for (const waiter of waiters) waiter(false);
  }
}
