// Broker: the MemoryBroker's "latest publication per feed key" of a channel (snapshots), bounded in keys and time.
import type { Publication } from './types.ts';

/** The slot of publications published without a key: the channel's own latest (no key can be empty). */
export const CHANNEL_SLOT = '';

/** One kept publication and when it expires. */
interface Kept {
  readonly publication: Publication;
  readonly expiresAt: number;
}

/**
 * A channel's latest publication per key. Map order is publish order (a key is re-inserted on every publish), so it is
 * also ascending offset order: the oldest entry is the first one, which makes eviction and expiry O(1) per entry.
 */
export interface LatestKeys {
  latest: Map<string, Kept> | null;
}

/**
 * Keeps `publication` as the latest of its key.
 * @param state The channel.
 * @param publication The new publication.
 * @param maxKeys Most keys kept; the least recently published key is forgotten first.
 * @param expiresAt When it expires, in ms since the Unix epoch.
 */
export function keepLatest(state: LatestKeys, publication: Publication, maxKeys: number, expiresAt: number): void {
  state.latest ??= new Map();
  const slot = publication.key ?? CHANNEL_SLOT;
  state.latest.delete(slot);
  state.latest.set(slot, { publication, expiresAt });
  for (const oldest of state.latest.keys()) {
    if (state.latest.size <= maxKeys) break;
    state.latest.delete(oldest);
  }
}

/** Drops expired entries (they expire in publish order, oldest first). */
export function expireLatest(state: LatestKeys, now: number): void {
  if (state.latest === null) return;
  for (const [slot, kept] of state.latest) {
    if (kept.expiresAt > now) break;
    state.latest.delete(slot);
  }
  if (state.latest.size === 0) state.latest = null;
}

/**
 * The kept publications, ascending offset order, at most `limit` (the newest).
 * @param state The channel (already expired).
 * @param limit Most publications returned.
 */
export function readLatest(state: LatestKeys, limit: number): Publication[] {
  if (state.latest === null || limit === 0) return [];
  const all: Publication[] = [];
  for (const kept of state.latest.values()) all.push(kept.publication);
  return all.length > limit ? all.slice(all.length - limit) : all;
}

/** Forgets a deleted publication when it is the latest of its key (a snapshot never shows deleted data). */
export function forgetLatest(state: LatestKeys, offset: number): void {
  if (state.latest === null) return;
  for (const [slot, kept] of state.latest) {
    if (kept.publication.offset === offset) {
      state.latest.delete(slot);
      return;
    }
  }
}

/** Number of kept entries (for stats and the idle check). */
export function latestSize(state: LatestKeys): number {
  return state.latest?.size ?? 0;
}
