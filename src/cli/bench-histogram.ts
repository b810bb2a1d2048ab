// CLI: the latency histogram of `switchboard bench`: fixed memory, percentiles within about 3 %.

/** Values below this many microseconds have a bucket each (exact). */
const LINEAR = 64;
/** Sub-buckets per power of two above LINEAR: a bucket is at most 1/32 (about 3 %) of its value wide. */
const SUB = 32;
const SUB_BITS = 5;
/** Powers of two covered above LINEAR: up to 2^46 µs (about 2 years), far beyond any run. */
const OCTAVES = 40;

/** One row of {@link Histogram.ranges}: a latency range in milliseconds and how many samples fell in it. */
export interface HistogramRange {
  /** Inclusive lower bound, ms. */
  readonly fromMs: number;
  /** Exclusive upper bound, ms. */
  readonly toMs: number;
  readonly count: number;
}

/** Summary statistics of a {@link Histogram}, in milliseconds (null when empty). */
export interface LatencySummary {
  readonly count: number;
  readonly min: number | null;
  readonly mean: number | null;
  readonly p50: number | null;
  readonly p90: number | null;
  readonly p99: number | null;
  readonly p999: number | null;
  readonly max: number | null;
}

/**
 * A log-linear histogram of latencies (HdrHistogram's idea, small): exact below 64 µs, then 32
 * buckets per power of two. Recording is O(1) and the memory is fixed (about 1,300 counters), so a
 * long run with millions of deliveries costs nothing more than a short one.
 */
export class Histogram {
  readonly #counts = new Float64Array(LINEAR + OCTAVES * SUB);
  #count = 0;
  #sumUs = 0;
  #minUs = Infinity;
  #maxUs = -Infinity;

  /** Number of samples. */
  get count(): number {
    return this.#count;
  }

  /**
   * Records one latency.
   * @param ms - milliseconds; negative values (clock steps) count as 0
   */
  record(ms: number): void {
    const us = Math.max(0, Math.round(ms * 1000));
    this.#counts[indexOf(us)]! += 1;
    this.#count++;
    this.#sumUs += us;
    if (us < this.#minUs) this.#minUs = us;
    if (us > this.#maxUs) this.#maxUs = us;
  }

  /** Forgets every sample (the progress line's one-second window). */
  reset(): void {
    this.#counts.fill(0);
    this.#count = 0;
    this.#sumUs = 0;
    this.#minUs = Infinity;
    this.#maxUs = -Infinity;
  }

  /**
   * The latency under which `q` of the samples fall, in ms: the middle of its bucket, kept within [min, max].
   * @param q - quantile in [0, 1], e.g. 0.99
   * @returns null when there are no samples
   */
  quantile(q: number): number | null {
    if (this.#count === 0) return null;
    const rank = Math.max(1, Math.ceil(q * this.#count));
    let seen = 0;
    for (let i = 0; i < this.#counts.length; i++) {
      seen += this.#counts[i]!;
      if (seen >= rank) {
        const [low, width] = boundsOf(i);
        const mid = low + (width - 1) / 2;
        return Math.min(this.#maxUs, Math.max(this.#minUs, mid)) / 1000;
      }
    }
    return this.#maxUs / 1000;
  }

  /** Count, min, mean, p50, p90, p99, p99.9 and max, in ms. */
  summary(): LatencySummary {
    const empty = this.#count === 0;
    return {
      count: this.#count,
      min: empty ? null : this.#minUs / 1000,
      mean: empty ? null : round3(this.#sumUs / this.#count / 1000),
      p50: this.quantile(0.5),
      p90: this.quantile(0.9),
      p99: this.quantile(0.99),
      p999: this.quantile(0.999),
      max: empty ? null : this.#maxUs / 1000,
    };
  }

  /**
   * The samples grouped in doubling ranges from 0.128 ms (below 0.128 ms, 0.128-0.256, ... up to the
   * range holding the maximum), empty ranges between the first and last non-empty ones included.
   */
  ranges(): HistogramRange[] {
    if (this.#count === 0) return [];
    const byRange = new Map<number, number>();
    for (let i = 0; i < this.#counts.length; i++) {
      const c = this.#counts[i]!;
      if (c === 0) continue;
      const [low] = boundsOf(i);
      const k = low < 128 ? 0 : Math.floor(Math.log2(low / 128)) + 1;
      byRange.set(k, (byRange.get(k) ?? 0) + c);
    }
    const keys = [...byRange.keys()];
    const first = Math.min(...keys);
    const last = Math.max(...keys);
    const out: HistogramRange[] = [];
    for (let k = first; k <= last; k++) {
      const fromUs = k === 0 ? 0 : 128 * 2 ** (k - 1);
      out.push({ fromMs: fromUs / 1000, toMs: (128 * 2 ** k) / 1000, count: byRange.get(k) ?? 0 });
    }
    return out;
  }
}

function indexOf(us: number): number {
  if (us < LINEAR) return us;
  const e = Math.min(Math.floor(Math.log2(us)), 5 + OCTAVES);
  const sub = Math.min(SUB - 1, Math.floor(us / 2 ** (e - SUB_BITS)) - SUB);
  return LINEAR + (e - 6) * SUB + sub;
}

/** Lower bound and width of a bucket, in µs. */
function boundsOf(index: number): [number, number] {
  if (index < LINEAR) return [index, 1];
  const e = 6 + Math.floor((index - LINEAR) / SUB);
  const sub = (index - LINEAR) % SUB;
  const width = 2 ** (e - SUB_BITS);
  return [(SUB + sub) * width, width];
}

function round3(value: number): number {
  return Math.round(value * 1000) / 1000;
}
