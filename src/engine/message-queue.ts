// Node binding: the bounded message queue behind a WebSocket's async iterator.

/** Messages queued by an async iterator before the socket stops reading. */
const ITERATOR_HIGH_WATER_COUNT = 128;
/** Bytes queued by an async iterator before the socket stops reading. */
const ITERATOR_HIGH_WATER_BYTES = 1024 * 1024;

/**
 * The bounded queue behind `for await (const message of ws)`: while more than 128 messages or
 * 1 MiB wait, the socket stops reading, so TCP backpressure reaches the peer.
 */
export class MessageQueue implements AsyncIterableIterator<string | Buffer> {
  readonly #pause: (on: boolean) => void;
  readonly #onAbandon: () => void;
  #items: (string | Buffer)[] = [];
  #sizes: number[] = [];
  #bytes = 0;
  #paused = false;
  #done = false;
  #waiter: ((r: IteratorResult<string | Buffer>) => void) | null = null;

  /**
   * @param pause - called with true when the queue is long (stop reading), false when drained
   * @param onAbandon - called when the consumer breaks out of the loop
   */
  constructor(pause: (on: boolean) => void, onAbandon: () => void) {
    this.#pause = pause;
    this.#onAbandon = onAbandon;
  }

  /** Whether the queue ended (connection closed) or was abandoned. */
  get done(): boolean {
    return this.#done;
  }

  /**
   * Adds a received message; hands it straight to a waiting `next()` when there is one.
   * @param value - the message
   * @param size - its size in bytes, for the byte high-water mark
   */
  push(value: string | Buffer, size: number): void {
    if (this.#done) return;
    const waiter = this.#waiter;
    if (waiter !== null) {
      this.#waiter = null;
      waiter({ value, done: false });
      return;
    }
    this.#items.push(value);
    this.#sizes.push(size);
    this.#bytes += size;
    if (
      !this.#paused &&
      (this.#items.length >= ITERATOR_HIGH_WATER_COUNT || this.#bytes >= ITERATOR_HIGH_WATER_BYTES)
    ) {
      this.#paused = true;
      this.#pause(true);
    }
  }

  /** The connection closed: `next()` drains what is queued, then reports done. */
  end(): void {
    this.#done = true;
    const waiter = this.#waiter;
    if (waiter !== null && this.#items.length === 0) {
      this.#waiter = null;
      waiter({ value: undefined, done: true });
    }
  }

  /** The next message, or done once the queue ended and is empty. */
  next(): Promise<IteratorResult<string | Buffer>> {
    if (this.#items.length > 0) {
      const value = this.#items.shift()!;
      this.#bytes -= this.#sizes.shift()!;
      if (this.#paused && this.#items.length === 0) {
        this.#paused = false;
        this.#pause(false);
      }
      return Promise.resolve({ value, done: false });
    }
    if (this.#done) return Promise.resolve({ value: undefined, done: true });
    if (this.#waiter !== null) return Promise.reject(new TypeError('Cannot call next() twice without awaiting'));
    return new Promise((resolve) => {
      this.#waiter = resolve;
    });
  }

  /** The consumer left the loop: drop what is queued and resume reading; the connection stays open. */
  return(): Promise<IteratorResult<string | Buffer>> {
    this.#done = true;
    this.#items = [];
    this.#sizes = [];
    this.#bytes = 0;
    if (this.#paused) {
      this.#paused = false;
      this.#pause(false);
    }
    const waiter = this.#waiter;
    this.#waiter = null;
    waiter?.({ value: undefined, done: true });
    this.#onAbandon();
    return Promise.resolve({ value: undefined, done: true });
  }

  /** The queue is its own iterator. */
  [Symbol.asyncIterator](): this {
    return this;
  }
}
