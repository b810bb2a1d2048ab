// Webhooks: a bounded FIFO whose push drops the oldest entry when full (the endpoint's waiting events).

/** A FIFO of at most `capacity` entries, O(1) push, shift and drop, in one array reused as a ring. */
export class BoundedRing<T> {
  readonly capacity: number;
  readonly #slots: (T | undefined)[];
  #head = 0;
  #size = 0;

  /** @param capacity Most entries held (at least 1). */
  constructor(capacity: number) {
    if (!Number.isSafeInteger(capacity) || capacity < 1) throw new RangeError('Cannot make a ring of no capacity');
    this.capacity = capacity;
    this.#slots = [];
  }

  /** Entries held. */
  get size(): number {
    return this.#size;
  }

  /**
   * Appends an entry; when full, the oldest one is removed first and returned.
   * @param value The entry.
   * @returns The dropped entry, or undefined when there was room.
   */
  push(value: T): T | undefined {
    let dropped: T | undefined;
    if (this.#size === this.capacity) dropped = this.shift();
    this.#slots[(this.#head + this.#size) % this.capacity] = value;
    this.#size++;
    return dropped;
  }

  /** @returns The oldest entry without removing it. */
  peek(): T | undefined {
    return this.#size === 0 ? undefined : this.#slots[this.#head];
  }

  /** @returns The oldest entry, removed. */
  shift(): T | undefined {
    if (this.#size === 0) return undefined;
    const value = this.#slots[this.#head];
    this.#slots[this.#head] = undefined;
    this.#head = (this.#head + 1) % this.capacity;
    this.#size--;
    return value;
  }
}
