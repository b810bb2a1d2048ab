// Broker: the MemoryBroker's idempotency keys: a publish's result remembered for its window, bounded in number.
import type { PublishResult } from './types.ts';

interface Remembered {
  readonly result: PublishResult;
  readonly expiresAt: number;
}

/** Remembered publish results by idempotency key, oldest first; expired and over-the-cap keys are forgotten first. */
export class IdempotencyKeys {
  readonly #keys = new Map<string, Remembered>();
  readonly #maxKeys: number;
  readonly #now: () => number;

  /**
   * @param maxKeys Most keys held.
   * @param now The broker's clock.
   */
  constructor(maxKeys: number, now: () => number) {
    this.#maxKeys = maxKeys;
    this.#now = now;
  }

  /** Keys held now. */
  get size(): number {
    return this.#keys.size;
  }

  /** The result remembered under `key` while its window lasts, else undefined. */
  seen(key: string, now: number): PublishResult | undefined {
    const seen = this.#keys.get(key);
    return seen !== undefined && seen.expiresAt > now ? seen.result : undefined;
  }

  /** Remembers a result until `expiresAt`. */
  remember(key: string, result: PublishResult, expiresAt: number): void {
    this.#keys.set(key, { result, expiresAt });
    const now = this.#now();
    // Oldest first: drop expired keys at the front, then the oldest live ones beyond the cap.
    for (const [k, remembered] of this.#keys) {
      if (this.#keys.size <= this.#maxKeys && remembered.expiresAt > now) break;
      this.#keys.delete(k);
    }
  }

  /** Forgets every expired key. */
  sweep(now: number): void {
    for (const [key, remembered] of this.#keys) {
      if (remembered.expiresAt <= now) this.#keys.delete(key);
    }
  }

  clear(): void {
    this.#keys.clear();
  }
}
