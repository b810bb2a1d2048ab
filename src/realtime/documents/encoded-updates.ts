// Realtime documents: a document's content in encoded form: one compact Yjs update (the base) and the updates pushed
// since, copied back to back into one buffer (a client's update is a view into a shared pool slab, and a Uint8Array
// per keystroke costs more heap than its bytes). The pushed updates are folded into the base when they weigh as much
// as it (or are many): they are applied in one transaction to a scratch Y.Doc holding the base, which is encoded and
// kept for the next fold while updates come (dropped with the rest once quiet). So each byte is folded a bounded
// number of times, a fold costs what it folds in plus one encoding, and the base stays in the compact form Yjs
// encodes (each client's consecutive inserts in one struct, deleted content garbage-collected): `Y.mergeUpdates`
// keeps a struct per update (ten times the bytes for one-character keystrokes) and slows down with many updates.
// Reading the whole (a sync1's answer, a compaction's snapshot) folds first. The state vector and the deleted ranges
// of the whole are kept as updates are pushed, so an update is classified without a fold.
import * as Y from 'yjs';
import type { UpdateShape } from './validate.ts';

/**
 * Where a content's state vector is read: the clock it holds every struct of one client up to (0: none), or
 * {@link GAPPED} when it also holds structs of that client past a gap (parked for a missing dependency): whether an
 * update of that client adds anything is then for a Y.Doc to tell.
 */
export interface StateSource {
  state(client: number): number;
  /** Whether every item of one client from `clock` to before `end` is deleted in the content already. */
  deletes(client: number, clock: number, end: number): boolean;
}

/** {@link StateSource.state} of a client with a gap: no update's range starts or ends there. */
export const GAPPED = -1;

/** Pushed updates after which they are folded into the base, however small (bounds the offsets kept). */
export const FOLD_UPDATES = 4096;

/** Pushed bytes below which they are not folded into the base (unless that many updates: {@link FOLD_UPDATES}). */
export const FOLD_MIN_BYTES = 16 * 1024;

/**
 * Pushed updates not yet in the kept scratch Y.Doc that start a drip, which applies them at the end of the turn: in
 * one transaction, a Yjs transaction's fixed cost is shared, and what a fold has left to apply stays under this.
 */
export const DRIP_UPDATES = 32;

/** First size of the buffer of pushed updates, in bytes (a keystroke's update is about 30). */
const MIN_BATCH_CAPACITY = 256;

export class EncodedUpdates implements StateSource {
  /** The content up to the pushed updates, as one update. */
  #base: Uint8Array;
  /** Updates pushed since the base was made, back to back in `#batch`, ending at the offsets in `#ends`. */
  #batch: Uint8Array | null = null;
  #ends: number[] = [];
  /** The state vector of everything here ({@link GAPPED} for a client with a gap), made on first use. */
  #state: Map<number, number> | null = null;
  /**
   * The scratch Y.Doc of the last fold, kept while updates are pushed (the content is dropped once quiet): it holds the
   * base, so the next fold applies only what was pushed since. Applying the whole base again made every fold of a
   * large, busy document cost its full size (a 50-editor document stalled its loop for 7-12 ms each second).
   */
  #scratch: Y.Doc | null = null;
  /** How many of the pushed updates the scratch Y.Doc holds already (applied by the drip). */
  #applied = 0;
  #drip: ReturnType<typeof setImmediate> | null = null;
  #closed = false;
  /**
   * What the content deletes, per client: sorted, disjoint, non-adjacent [clock, end) pairs, flat. Made on the first
   * update that deletes (read from the folded content: typing that only inserts never pays for it).
   */
  #deleted: Map<number, number[]> | null = null;

  /** @param encoded The content as one update. */
  constructor(encoded: Uint8Array) {
    this.#base = encoded;
  }

  /** The clock the content holds up to, for one client (0: none): the state vector of everything pushed. */
  state(client: number): number {
    return this.#known().get(client) ?? 0;
  }

  deletes(client: number, clock: number, end: number): boolean {
    const ranges = this.#deletions().get(client);
    if (ranges === undefined) return false;
    const i = rangeAt(ranges, clock);
    return i >= 0 && ranges[i + 1]! >= end;
  }

  /**
   * Pushes (a copy of) an update that adds to the content (classified 'appended' against this).
   * @param update The update.
   * @param shape Its shape: its clients' ranges move the state vector on, its deleted ranges add to the deleted.
   */
  push(update: Uint8Array, shape: UpdateShape): void {
    const state = this.#known();
    const ranges = shape.ranges;
    for (let i = 0; i < ranges.length; i += 3) {
      const client = ranges[i]!;
      const to = ranges[i + 2]!;
      if (to > (state.get(client) ?? 0)) state.set(client, to);
    }
    const deletedRanges = shape.deleted;
    if (this.#deleted !== null)
      for (let i = 0; i < deletedRanges.length; i += 3)
        addRange(this.#deleted, deletedRanges[i]!, deletedRanges[i + 1]!, deletedRanges[i + 2]!);
    const ends = this.#ends;
    const used = ends.length === 0 ? 0 : ends[ends.length - 1]!;
    const end = used + update.byteLength;
    let batch = this.#batch;
    if (batch === null || end > batch.byteLength) {
      const grown = new Uint8Array(Math.max(MIN_BATCH_CAPACITY, 2 * (batch?.byteLength ?? 0), end));
      if (batch !== null) grown.set(batch.subarray(0, used));
      this.#batch = batch = grown;
    }
    batch.set(update, used);
    ends.push(end);
    if (ends.length >= FOLD_UPDATES || (end >= FOLD_MIN_BYTES && end >= this.#base.byteLength)) this.#fold();
    else if (this.#scratch !== null && ends.length - this.#applied >= DRIP_UPDATES) this.#scheduleDrip();
  }

  /** The whole content as one compact update (folds what was pushed into the base). */
  merged(): Uint8Array {
    if (this.#ends.length > 0) this.#fold();
    return this.#base;
  }

  #known(): Map<number, number> {
    if (this.#state !== null) return this.#state;
    const merged = this.merged();
    // The state vector counts each client's structs from clock 0 up to the first gap; a client with structs past it
    // (its highest clock is further) is marked GAPPED.
    const state = Y.decodeStateVector(Y.encodeStateVectorFromUpdate(merged));
    for (const [client, to] of Y.parseUpdateMeta(merged).to)
      if (to > (state.get(client) ?? 0)) state.set(client, GAPPED);
    this.#state = state;
    return state;
  }

  #deletions(): Map<number, number[]> {
    if (this.#deleted !== null) return this.#deleted;
    const deleted = new Map<number, number[]>();
    for (const [client, items] of Y.decodeUpdate(this.merged()).ds.clients)
      for (const item of items) addRange(deleted, client, item.clock, item.clock + item.len);
    this.#deleted = deleted;
    return deleted;
  }

  /**
   * Folds the pushed updates into the base: those not yet applied to the scratch Y.Doc (made from the base on the
   * first fold; parked structs stay parked in it and are part of its encoding) are applied in one transaction, and it
   * is encoded and kept for the next fold.
   */
  #fold(): void {
    const base = this.#base;
    const kept = this.#scratch;
    const doc = kept ?? new Y.Doc();
    this.#scratch = null;
    try {
      this.#apply(doc, kept === null ? base : null, this.#ends.length);
      this.#base = Y.encodeStateAsUpdate(doc);
      this.#scratch = doc;
    } catch {
      // Validated updates apply; should one not, a merge keeps every byte of them (and the scratch, half-applied, goes).
      this.#base = Y.mergeUpdates([base, ...this.#updates(0, this.#ends.length)]);
      doc.destroy();
    }
    this.#ends = [];
    this.#applied = 0;
  }

  /** Applies `first` (if any) and the pushed updates from the next unapplied one to before `upTo`, in one transaction. */
  #apply(doc: Y.Doc, first: Uint8Array | null, upTo: number): void {
    const updates = this.#updates(this.#applied, upTo);
    this.#applied = upTo;
    doc.transact(() => {
      if (first !== null) Y.applyUpdate(doc, first);
      for (const update of updates) Y.applyUpdate(doc, update);
    });
  }

  /** The pushed updates `from` to before `to`, as views of the batch. */
  #updates(from: number, to: number): Uint8Array[] {
    const batch = this.#batch!;
    const ends = this.#ends;
    const updates: Uint8Array[] = [];
    for (let i = from; i < to; i++) updates.push(batch.subarray(i === 0 ? 0 : ends[i - 1]!, ends[i]!));
    return updates;
  }

  /**
   * Once {@link DRIP_UPDATES} were pushed while a scratch Y.Doc is kept: applies them to it at the end of the
   * event-loop turn (after the turn's fan-outs), so the next fold (a compaction's snapshot, every second or so in a
   * busy document) is one encoding and a few updates, not a stall that applies a second of typing at once.
   */
  #scheduleDrip(): void {
    if (this.#drip !== null || this.#scratch === null || this.#closed) return;
    this.#drip = setImmediate(() => {
      this.#drip = null;
      const doc = this.#scratch;
      if (doc === null || this.#closed || this.#applied >= this.#ends.length) return;
      try {
        this.#apply(doc, null, this.#ends.length);
      } catch {
        // Validated updates apply; should one not, the scratch, half-applied, goes: the next fold starts again from
        // the base (and falls back to a merge if the update fails there too).
        this.#scratch = null;
        this.#applied = 0;
        doc.destroy();
      }
    });
  }

  /** Stops the drip and drops the scratch Y.Doc (the content is settled or destroyed). */
  close(): void {
    this.#closed = true;
    if (this.#drip !== null) clearImmediate(this.#drip);
    this.#drip = null;
    this.#scratch?.destroy();
    this.#scratch = null;
    // What only the scratch held is still pushed: a fold after this one applies it all to the base again.
    this.#applied = 0;
  }
}

/** The index (even) of the pair in sorted flat [clock, end) pairs that contains `clock`, or -1. */
function rangeAt(ranges: readonly number[], clock: number): number {
  let lo = 0;
  let hi = ranges.length / 2 - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    if (ranges[2 * mid + 1]! <= clock) lo = mid + 1;
    else if (ranges[2 * mid]! > clock) hi = mid - 1;
    else return 2 * mid;
  }
  return -1;
}

/** Adds [clock, end) of a client to sorted flat pairs, merging it with the pairs it overlaps or touches. */
function addRange(deleted: Map<number, number[]>, client: number, clock: number, end: number): void {
  const ranges = deleted.get(client);
  if (ranges === undefined) {
    deleted.set(client, [clock, end]);
    return;
  }
  // The first pair that ends at or after `clock`, and the first that starts after `end`.
  let first = 0;
  while (first < ranges.length && ranges[first + 1]! < clock) first += 2;
  let last = first;
  while (last < ranges.length && ranges[last]! <= end) last += 2;
  const from = first < last ? Math.min(clock, ranges[first]!) : clock;
  const to = first < last ? Math.max(end, ranges[last - 1]!) : end;
  ranges.splice(first, last - first, from, to);
}
