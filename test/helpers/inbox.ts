// Test helper: a bounded-wait queue of received items (messages, events) for promise-style tests.
export class Inbox<T> {
  #items: T[] = [];
  #waiters: Array<(item: T) => void> = [];

  push(item: T): void {
    const w = this.#waiters.shift();
    if (w) w(item);
    else this.#items.push(item);
  }

  /** Next item, or a rejection after `timeoutMs`. */
  next(timeoutMs = 10_000, what = 'item'): Promise<T> {
    const item = this.#items.shift();
    if (item !== undefined) return Promise.resolve(item);
    return new Promise((resolve, reject) => {
      const w = (x: T) => {
        clearTimeout(timer);
        resolve(x);
      };
      const timer = setTimeout(() => {
        this.#waiters = this.#waiters.filter((f) => f !== w);
        reject(new Error(`no ${what} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.#waiters.push(w);
    });
  }

  get size(): number {
    return this.#items.length;
  }
}

/** The sizes every interop peer exchanges (125/126/65535/65536 bytes across the length encodings, and 4 MiB). */
export const INTEROP_SIZES = [125, 126, 65_535, 65_536, 4 * 1024 * 1024] as const;
