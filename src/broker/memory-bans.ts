// Broker: the ban list of MemoryBroker, bounded, with bans ending by themselves.
import { checkBanDuration, checkCount } from './checks.ts';
import type { BanRecord } from './types.ts';

/** The in-process ban list: at most `maxBans`, the one ending soonest dropped first when full; ended bans swept. */
export class MemoryBans {
  readonly #bans = new Map<string, BanRecord>();
  readonly #max: number;
  readonly #now: () => number;

  /**
   * @param maxBans Most bans held (at least 1).
   * @param now The broker's clock, in ms since the Unix epoch.
   */
  constructor(maxBans: number, now: () => number) {
    this.#max = Math.max(1, maxBans);
    this.#now = now;
  }

  /** @see Broker.ban @throws {RangeError} When `durationMs` is not a positive safe integer. */
  ban(user: string, durationMs: number, reason: string): BanRecord {
    const record: BanRecord = { user, until: this.#now() + checkBanDuration(durationMs), reason };
    this.#bans.delete(user);
    if (this.#bans.size >= this.#max) this.sweep(true);
    this.#bans.set(user, record);
    return record;
  }

  /** @see Broker.unban */
  unban(user: string): boolean {
    const record = this.#bans.get(user);
    this.#bans.delete(user);
    return record !== undefined && record.until > this.#now();
  }

  /** @see Broker.isBanned */
  get(user: string): BanRecord | null {
    const record = this.#bans.get(user);
    if (record === undefined) return null;
    if (record.until > this.#now()) return record;
    this.#bans.delete(user);
    return null;
  }

  /** @see Broker.bans @throws {RangeError} When `limit` is not a non-negative safe integer. */
  list(limit: number): BanRecord[] {
    checkCount(limit, 'limit');
    this.sweep(false);
    return [...this.#bans.values()].sort((a, b) => a.until - b.until).slice(0, limit);
  }

  /** Drops ended bans; with `makeRoom`, also the one ending soonest when still full. */
  sweep(makeRoom: boolean): void {
    const now = this.#now();
    let soonest: BanRecord | null = null;
    for (const [user, record] of this.#bans) {
      if (record.until <= now) this.#bans.delete(user);
      else if (soonest === null || record.until < soonest.until) soonest = record;
    }
    if (makeRoom && soonest !== null && this.#bans.size >= this.#max) this.#bans.delete(soonest.user);
  }

  /** Forgets every ban (the broker closed). */
  clear(): void {
    this.#bans.clear();
  }
}
