// Node binding: the process-wide FIFO limit on zlib jobs (ws's Limiter), and the per-connection lanes that keep one stream's jobs in order.

const DEFAULT_CONCURRENCY = 10;

/**
 * Runs zlib jobs with at most `concurrency` in flight, the rest waiting in FIFO order (ws's
 * `Limiter`). zlib work goes to libuv's thread pool (4 threads by default), which DNS lookups and
 * file I/O share: without a cap, thousands of compressing connections would queue unbounded work
 * and memory there (ws issues #1369, #1202).
 */
export class ZlibLimiter {
  readonly #concurrency: number;
  #running = 0;
  #queue: Array<(done: () => void) => void> = [];
  #head = 0;

  /**
   * @param concurrency - most jobs running at once, ≥ 1
   * @throws RangeError when `concurrency` is not a positive integer
   */
  constructor(concurrency: number) {
    if (!Number.isSafeInteger(concurrency) || concurrency < 1) {
      throw new RangeError(`Cannot use a zlib concurrency of "${concurrency}": expected a positive integer`);
    }
    this.#concurrency = concurrency;
  }

  /** Most jobs running at once. */
  get concurrency(): number {
    return this.#concurrency;
  }

  /** Jobs running now. */
  get running(): number {
    return this.#running;
  }

  /** Jobs waiting for a slot. */
  get pending(): number {
    return this.#queue.length - this.#head;
  }

  /**
   * Queues a job. It starts when a slot is free and must call `done` exactly once when its zlib
   * work is over (extra calls are ignored).
   * @param job - receives `done`
   */
  add(job: (done: () => void) => void): void {
    this.#queue.push(job);
    this.#next();
  }

  #next(): void {
    while (this.#running < this.#concurrency && this.#head < this.#queue.length) {
      const job = this.#queue[this.#head]!;
      this.#queue[this.#head] = undefined as unknown as (done: () => void) => void;
      this.#head++;
      if (this.#head === this.#queue.length) {
        this.#queue = [];
        this.#head = 0;
      } else if (this.#head > 1024 && this.#head * 2 > this.#queue.length) {
        this.#queue = this.#queue.slice(this.#head);
        this.#head = 0;
      }
      this.#running++;
      let called = false;
      job(() => {
        if (called) return;
        called = true;
        this.#running--;
        this.#next();
      });
    }
  }
}

/**
 * @internal Runs one connection's operations of one direction one at a time, in call order: each waits for
 * the previous one's `done` and then for a slot of the shared limiter. zlib streams are stateful,
 * so two writes of one stream must never be in flight for different messages.
 */
export class Lane {
  readonly #limiter: ZlibLimiter;
  #jobs: Array<(done: () => void) => void> = [];
  #head = 0;
  #busy = false;
  #closed = false;

  constructor(limiter: ZlibLimiter) {
    this.#limiter = limiter;
  }

  add(job: (done: () => void) => void): void {
    if (this.#closed) return;
    this.#jobs.push(job);
    if (!this.#busy) this.#pump();
  }

  /** Drops queued jobs; a job waiting for a limiter slot gives its slot back at once. */
  close(): void {
    this.#closed = true;
    this.#jobs = [];
    this.#head = 0;
  }

  #pump(): void {
    if (this.#closed || this.#head === this.#jobs.length) {
      this.#jobs = [];
      this.#head = 0;
      this.#busy = false;
      return;
    }
    this.#busy = true;
    const job = this.#jobs[this.#head]!;
    this.#jobs[this.#head] = undefined as unknown as (done: () => void) => void;
    this.#head++;
    this.#limiter.add((done) => {
      if (this.#closed) {
        done();
        return;
      }
      job(() => {
        done();
        this.#pump();
      });
    });
  }
}

const limiters = new Map<number, ZlibLimiter>();

/**
 * The process-wide limiter for a concurrency value: every connection of every server (and client)
 * configured with the same concurrency shares one queue.
 * @param concurrency - most zlib jobs at once; default 10, as ws: enough to keep libuv's 4 threads
 *   busy while leaving room for DNS and file I/O
 * @returns the shared limiter
 * @throws RangeError when `concurrency` is not a positive integer
 */
export function sharedZlibLimiter(concurrency: number = DEFAULT_CONCURRENCY): ZlibLimiter {
  let limiter = limiters.get(concurrency);
  if (limiter === undefined) {
    limiter = new ZlibLimiter(concurrency);
    limiters.set(concurrency, limiter);
  }
  return limiter;
}
