// HTTP: the Prometheus metrics of feed delivery (docs/feeds.md): publications conflation skipped, outbound batches.
import { Counter, Histogram, type Registry } from 'prom-client';

/** Batch sizes bucketed up to the largest `batchMaxCount` worth telling apart (the default is 64). */
const BATCH_BUCKETS = [1, 2, 4, 8, 16, 32, 64, 128, 256];

/** Conflation and batching counters, advanced by the realtime observer's `feedConflated` and `feedBatchSent`. */
export class FeedMetrics {
  readonly #skipped: Counter;
  readonly #batches: Histogram;

  /**
   * @param registry Where they are registered.
   * @param prefix Prefix of their names (`switchboard_`).
   */
  constructor(registry: Registry, prefix: string) {
    const registers = [registry];
    this.#skipped = new Counter({
      name: `${prefix}feed_conflation_skipped_total`,
      help: 'Publications a conflating connection never got: replaced by a newer one of their key while it was behind',
      registers,
    });
    this.#batches = new Histogram({
      name: `${prefix}feed_batch_publications`,
      help: 'Outbound batches sent (_count) and the publications they held (_sum), by batch size',
      buckets: BATCH_BUCKETS,
      registers,
    });
  }

  /** @param skipped publications replaced or forgotten by a conflating connection */
  conflated(skipped: number): void {
    if (skipped > 0) this.#skipped.inc(skipped);
  }

  /** @param publications how many publications one batch held */
  batchSent(publications: number): void {
    if (publications > 0) this.#batches.observe(publications);
  }
}
