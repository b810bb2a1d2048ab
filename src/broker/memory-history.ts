// Broker: the MemoryBroker's per-channel history ring: retention by size and TTL, reads (with recovery from a
// position), and tombstones for deleted publications.
import type { DeleteResult, HistoryResult, Publication, StreamPosition } from './types.ts';

/** A retained publication and when it expires. */
export interface Stored {
  readonly publication: Publication;
  readonly expiresAt: number;
}

/** A channel's retained publications, oldest first from index `head` (the prefix before it is consumed). */
export interface HistoryRing {
  history: Stored[];
  head: number;
}

/**
 * The ring of a channel that retains nothing: one shared frozen array (a stray push throws), which {@link retain}
 * replaces with an array of one; most channels of a busy server retain nothing or little.
 */
export const NO_HISTORY: Stored[] = Object.freeze([]) as unknown as Stored[];

/** Appends a publication; the first goes into an array of exactly one (a push would make room for 17). */
export function retain(ring: HistoryRing, stored: Stored): void {
  if (ring.history.length === 0) {
    ring.history = [stored];
    ring.head = 0;
  } else ring.history.push(stored);
}

/** Drops the publications whose TTL ended. */
export function expireHistory(ring: HistoryRing, now: number): void {
  while (ring.head < ring.history.length && ring.history[ring.head]!.expiresAt <= now) ring.head++;
  compactHistory(ring);
}

/** Keeps at most `size` retained publications (the newest). */
export function trimHistory(ring: HistoryRing, size: number): void {
  const excess = ring.history.length - ring.head - size;
  if (excess > 0) ring.head += excess;
  compactHistory(ring);
}

/** Reclaims the consumed prefix once it is at least half the array, keeping trims amortised O(1). */
function compactHistory(ring: HistoryRing): void {
  if (ring.head > 0 && ring.head * 2 >= ring.history.length) {
    ring.history = ring.head === ring.history.length ? NO_HISTORY : ring.history.slice(ring.head);
    ring.head = 0;
  }
}

/**
 * Reads a channel's retained publications (already expired), as `MemoryBroker#history` answers.
 * @param ring The channel's ring.
 * @param epoch The channel's epoch.
 * @param top The channel's last offset.
 * @param limit Most publications returned (Infinity: all).
 * @param before Only offsets below this (Infinity: all).
 * @param since Recover after this position (undefined: the latest `limit`).
 */
export function readHistory(
  ring: HistoryRing,
  epoch: string,
  top: number,
  limit: number,
  before: number,
  since: StreamPosition | undefined,
): HistoryResult {
  const retained = ring.history;
  if (since === undefined) {
    const all: Publication[] = [];
    for (let i = ring.head; i < retained.length; i++) {
      const p = retained[i]!.publication;
      if (p.offset < before) all.push(p);
    }
    return {
      epoch,
      offset: top,
      publications: limit >= all.length ? all : all.slice(all.length - limit),
      recovered: false,
    };
  }
  const oldest = ring.head < retained.length ? retained[ring.head]!.publication.offset : top + 1;
  const valid =
    typeof since === 'object' &&
    since !== null &&
    since.epoch === epoch &&
    Number.isSafeInteger(since.offset) &&
    since.offset >= 0 &&
    since.offset <= top &&
    since.offset >= oldest - 1;
  if (!valid) return { epoch, offset: top, publications: [], recovered: false };
  const publications: Publication[] = [];
  for (let i = ring.head; i < retained.length && publications.length < limit; i++) {
    const p = retained[i]!.publication;
    if (p.offset > since.offset && p.offset < before) publications.push(p);
  }
  return { epoch, offset: top, publications, recovered: true };
}

/**
 * Replaces the retained publication at `offset` with a tombstone (same offset, time and expiry; no data).
 * @param onlySender When given, only a publication by this sender is deleted (else `not_sender`).
 * @returns What happened; `deleted` means the caller tells the subscribers.
 */
export function tombstone(
  ring: HistoryRing,
  channel: string,
  epoch: string,
  offset: number,
  onlySender: string | undefined,
): DeleteResult['result'] {
  const index = findOffset(ring.history, ring.head, offset);
  if (index < 0) return 'not_found';
  const stored = ring.history[index]!;
  const p = stored.publication;
  if (p.deleted === true) return 'already_deleted';
  if (onlySender !== undefined && p.sender !== onlySender) return 'not_sender';
  const deleted: Publication = { channel, epoch, offset, data: null, time: p.time, deleted: true };
  ring.history[index] = { publication: deleted, expiresAt: stored.expiresAt };
  return 'deleted';
}

/**
 * Index of the retained publication at `offset` (offsets ascend, possibly with holes where history was off), or -1.
 * @param history The channel's ring.
 * @param head Its first retained index.
 * @param offset The offset sought.
 */
function findOffset(history: readonly Stored[], head: number, offset: number): number {
  let lo = head;
  let hi = history.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    const at = history[mid]!.publication.offset;
    if (at === offset) return mid;
    if (at < offset) lo = mid + 1;
    else hi = mid - 1;
  }
  return -1;
}
