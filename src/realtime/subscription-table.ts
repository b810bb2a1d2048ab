// Realtime: a session's subscriptions by channel name, with the common case (one channel) held without a Map.
import type { Subscription } from './subscription.ts';

const NONE: readonly string[] = Object.freeze([]);

/**
 * A session's subscriptions by channel, with the Map methods the operations use. One subscription is held in two
 * fields; the Map exists from the second on (an empty Map costs ~180 bytes of heap, and an idle editor of a document
 * holds exactly one channel: bench/conn-heap.mjs, bench/documents.mjs (b)). Iteration follows insertion order.
 */
export class SubscriptionTable {
  #name: string | null = null;
  #one: Subscription | null = null;
  #many: Map<string, Subscription> | null = null;

  /** How many channels the session subscribed (pending and live). */
  get size(): number {
    if (this.#many !== null) return this.#many.size;
    return this.#name === null ? 0 : 1;
  }

  /**
   * @param channel A channel name.
   * @returns Its subscription, or undefined.
   */
  get(channel: string): Subscription | undefined {
    if (this.#many !== null) return this.#many.get(channel);
    return this.#name === channel ? (this.#one ?? undefined) : undefined;
  }

  /**
   * @param channel A channel name.
   * @returns Whether the session holds a subscription to it.
   */
  has(channel: string): boolean {
    if (this.#many !== null) return this.#many.has(channel);
    return this.#name === channel;
  }

  /**
   * Adds or replaces the subscription of `channel`.
   * @param channel A channel name.
   * @param subscription Its subscription.
   * @returns This table.
   */
  set(channel: string, subscription: Subscription): this {
    if (this.#many !== null) {
      this.#many.set(channel, subscription);
    } else if (this.#name === null || this.#name === channel) {
      this.#name = channel;
      this.#one = subscription;
    } else {
      this.#many = new Map([[this.#name, this.#one!]]);
      this.#many.set(channel, subscription);
      this.#name = null;
      this.#one = null;
    }
    return this;
  }

  /**
   * @param channel A channel name.
   * @returns Whether a subscription was removed.
   */
  delete(channel: string): boolean {
    if (this.#many !== null) return this.#many.delete(channel);
    if (this.#name !== channel) return false;
    this.#name = null;
    this.#one = null;
    return true;
  }

  /** @returns The channel names, in insertion order. */
  keys(): IterableIterator<string> {
    if (this.#many !== null) return this.#many.keys();
    return (this.#name === null ? NONE : [this.#name]).values();
  }
}
