// Broker: the MemoryBroker's idempotency keys: a publish's result remembered for its window, bounded in number.
import type { PublishResult } from './types.ts';

interface Remembered {
  readonly result: PublishResult;
  readonly expiresAt: number;
  /** Which entry of the insertion queue is this key's current one (an older entry of the same key is stale). */
  readonly turn: number;
}

/** Queue entries handled before the queue's array is compacted (the front is dropped). */
const COMPACT_AFTER = 1024;

/**
 * Remembered publish results by idempotency key, oldest first; expired and over-the-cap keys are forgotten first.
 *
 * The order of insertion is kept in a queue of its own rather than read from the Map's iteration order: forgetting
 * the oldest key by iterating the Map from its front costs a walk over every entry deleted since V8 last rehashed
 * the table: at the cap (one deletion per publish, 100,000 keys by default) that was 30-130 µs per publish, more than
 * the whole publish costs otherwise. The queue makes each forget O(1).
 */
export class IdempotencyKeys {
  readonly #keys = new Map<string, Remembered>();
  readonly #maxKeys: number;
  readonly #now: () => number;
  /** Keys in the order they were remembered, with the turn each was remembered at; `#head` is the oldest live entry. */
  #queue: { readonly key: string; readonly turn: number }[] = [];
  #head = 0;
  #turn = 0;

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
    const turn = ++this.#turn;
    this.#keys.set(key, { result, expiresAt, turn });
    this.#queue.push({ key, turn });
    const now = this.#now();
    // Oldest first: drop expired keys at the front, then the oldest live ones beyond the cap; entries whose key was
    // remembered again later (or swept) are stale and just leave the queue.
    while (this.#head < this.#queue.length) {
      const entry = this.#queue[this.#head]!;
      const remembered = this.#keys.get(entry.key);
      if (remembered !== undefined && remembered.turn === entry.turn) {
        if (this.#keys.size <= this.#maxKeys && remembered.expiresAt > now) break;
        this.#keys.delete(entry.key);
      }
      this.#head++;
    }
    this.#compact();
  }

  /** Forgets every expired key. */
  sweep(now: number): void {
    for (const [key, remembered] of this.#keys) {
      if (remembered.expiresAt <= now) this.#keys.delete(key);
    }
    this.#compact();
  }

  clear(): void {
    this.#keys.clear();
    this.#queue = [];
    this.#head = 0;
  }

  /**
   * Drops the handled front of the queue once it is long, and the stale entries when they outnumber the keys (a key
   * remembered again and again behind a long-lived one): the queue stays within about twice the keys held.
   */
  #compact(): void {
    const queue = this.#queue;
    if (this.#head >= COMPACT_AFTER && this.#head * 2 >= queue.length) {
      this.#queue = queue.slice(this.#head);
      this.#head = 0;
    } else if (queue.length - this.#head > 2 * this.#keys.size + COMPACT_AFTER) {
      this.#queue = queue.slice(this.#head).filter((e) => this.#keys.get(e.key)?.turn === e.turn);
      this.#head = 0;
    }
  }

  /** Entries in the insertion queue, stale ones included: for tests of its bound. */
  get queueLength(): number {
    return this.#queue.length - this.#head;
  }
}
