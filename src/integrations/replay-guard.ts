// Integrations: remembers accepted request signatures until they age out of the tolerance window, to refuse replays.

/** Options of {@link SignatureReplayGuard}. */
export interface ReplayGuardOptions {
  /**
   * Most signatures remembered at once. When full (after forgetting the expired ones) new signed requests are refused
   * rather than a remembered signature forgotten: forgetting would let its request be replayed.
   * @default 100000 - about 15 MB; 333 signed requests per second sustained over the 300 s window
   */
  readonly maxEntries?: number;
  /** The signature tolerance, in seconds: a signature is remembered until its timestamp is this far in the past. @default 300 */
  readonly toleranceSec?: number;
  /** Clock, in ms since the epoch. @default Date.now */
  readonly now?: () => number;
}

/** Defaults of {@link ReplayGuardOptions}. */
export const REPLAY_DEFAULTS = Object.freeze({ maxEntries: 100_000, toleranceSec: 300 });

/** The outcome of {@link SignatureReplayGuard.accept}. */
export type ReplayCheck = 'ok' | 'replayed' | 'full';

/**
 * The memory of accepted signatures. A signature whose timestamp is `t` can only verify until `t + tolerance`
 * (after that it is stale), so it is remembered exactly that long, in buckets of one second of expiry: at most
 * `2 × tolerance + 1` buckets exist, and expiring them costs one pass over the bucket keys per second.
 */
export class SignatureReplayGuard {
  readonly #max: number;
  readonly #toleranceSec: number;
  readonly #now: () => number;
  readonly #seen = new Set<string>();
  /** Expiry second -> signatures that expire then. */
  readonly #buckets = new Map<number, string[]>();
  #purgedAtSec = -1;

  /** @param options Bound, tolerance and clock. */
  constructor(options: ReplayGuardOptions = {}) {
    this.#max = options.maxEntries ?? REPLAY_DEFAULTS.maxEntries;
    this.#toleranceSec = options.toleranceSec ?? REPLAY_DEFAULTS.toleranceSec;
    this.#now = options.now ?? Date.now;
    if (!Number.isSafeInteger(this.#max) || this.#max < 1) throw new RangeError('Cannot remember no signature');
  }

  /** Signatures remembered now. */
  get size(): number {
    return this.#seen.size;
  }

  /**
   * Records a verified signature, unless it was seen before (a replay) or the memory is full.
   * @param signature The verified signature (hex).
   * @param timestampSec Its timestamp.
   * @returns `ok` (first use, now remembered), `replayed` or `full`.
   */
  accept(signature: string, timestampSec: number): ReplayCheck {
    const nowSec = Math.floor(this.#now() / 1000);
    if (nowSec !== this.#purgedAtSec) this.#purge(nowSec);
    if (this.#seen.has(signature)) return 'replayed';
    if (this.#seen.size >= this.#max) return 'full';
    this.#seen.add(signature);
    const expiresSec = timestampSec + this.#toleranceSec;
    const bucket = this.#buckets.get(expiresSec);
    if (bucket === undefined) this.#buckets.set(expiresSec, [signature]);
    else bucket.push(signature);
    return 'ok';
  }

  #purge(nowSec: number): void {
    this.#purgedAtSec = nowSec;
    for (const [expiresSec, signatures] of this.#buckets) {
      // Still verifiable at nowSec (|now - t| <= tolerance): keep it.
      if (expiresSec >= nowSec) continue;
      for (const signature of signatures) this.#seen.delete(signature);
      this.#buckets.delete(expiresSec);
    }
  }
}
