// Realtime documents: checks of client bytes BEFORE they touch a live document, so a malformed update is refused
// whole and never leaves a half-applied change behind.
import * as decoding from 'lib0/decoding';
import * as Y from 'yjs';

/**
 * What an update holds, read while checking it ({@link inspectUpdate}): the clock range of each client's structs,
 * whether it leaves a gap, and the ranges it deletes. An update that only appends to what a document holds (each
 * client's range starts where the document's state for that client ends, no gap) and deletes only what the document
 * has or will have can be taken without a Y.Doc (content.ts).
 */
export interface UpdateShape {
  /** Per client, flat: client id, first clock, clock after the last struct. */
  readonly ranges: readonly number[];
  /** A skipped range inside a client's structs, or one client in two groups (never written by Yjs for one edit). */
  readonly gaps: boolean;
  /** The deleted ranges, flat: client id, first clock, clock after the range. */
  readonly deleted: readonly number[];
}

/**
 * Whether `update` is a well-formed Yjs update (v1 encoding), without applying it anywhere: see {@link inspectUpdate}.
 * @param update Bytes from a client.
 * @returns true when it may be applied.
 */
export function isValidUpdate(update: Uint8Array): boolean {
  return inspectUpdate(update) !== null;
}

/**
 * Checks that `update` is a well-formed Yjs update (v1 encoding), without applying it anywhere, and tells its shape:
 * - Yjs's own decoder reads it completely, every struct with its content (strings, JSON, `any` values, types,
 *   subdocuments) and then its delete set, with the readers `Y.applyUpdate` uses. Applying to the live document reads
 *   every struct before integrating any but the delete set only after, so this is what keeps a truncated or
 *   unreadable update from failing half-way there.
 * - Every struct and every deleted range has a length; client ids and clocks are safe integers (a larger one applies
 *   but makes the document's own encoding unreadable: lib0 varints stop at 2^53); and an item refers to its own
 *   client only at clocks before its own (its origin, right origin and parent existed when it was made). Yjs checks
 *   references to OTHER clients against the document's state (a missing one parks the update), but trusts references
 *   to the item's own client: one at or after the item's clock makes integration throw half-way. Yjs never writes
 *   any of these.
 * This replaced applying every update to a scratch document, which cost twenty to forty times as much and refused no
 * more (test/realtime/documents/validate.test.ts compares the two on damaged updates).
 * @param update Bytes from a client.
 * @returns Its shape, or null when it must be refused.
 */
export function inspectUpdate(update: Uint8Array): UpdateShape | null {
  if (update.byteLength < 2) return null;
  let decoded: ReturnType<typeof Y.decodeUpdate>;
  try {
    decoded = Y.decodeUpdate(update);
  } catch {
    return null;
  }
  const deleted: number[] = [];
  for (const [client, ranges] of decoded.ds.clients) {
    if (!isSafe(client)) return null;
    for (const range of ranges) {
      if (!(range.len > 0) || !isSafe(range.clock + range.len)) return null;
      deleted.push(client, range.clock, range.clock + range.len);
    }
  }
  const out: number[] = [];
  let gaps = false;
  // The structs come grouped by client, in clock order within a group (the decoder counts the clocks on).
  let groupClient = -1;
  for (const struct of decoded.structs) {
    const { client, clock } = struct.id;
    if (!(struct.length > 0) || !isSafe(client) || !isSafe(clock + struct.length)) return null;
    if (struct instanceof Y.Item) {
      if (!isEarlierRef(struct.origin, client, clock) || !isEarlierRef(struct.rightOrigin, client, clock)) return null;
      const parent: unknown = struct.parent;
      if (parent instanceof Y.ID && !isEarlierRef(parent, client, clock)) return null;
    } else if (struct instanceof Y.Skip) gaps = true;
    if (client === groupClient && out[out.length - 1] === clock) out[out.length - 1] = clock + struct.length;
    else {
      if (client === groupClient || hasClient(out, client)) gaps = true;
      groupClient = client;
      out.push(client, clock, clock + struct.length);
    }
  }
  return { ranges: out, gaps, deleted };
}

function hasClient(ranges: readonly number[], client: number): boolean {
  for (let i = 0; i < ranges.length; i += 3) if (ranges[i] === client) return true;
  return false;
}

/** A client id or clock that survives a round trip through Yjs's encoding (lib0 varints stop at 2^53). */
function isSafe(n: number): boolean {
  return Number.isSafeInteger(n) && n >= 0;
}

/** A reference an item may hold: none, another client's (checked by Yjs), or an earlier clock of its own client. */
function isEarlierRef(ref: Y.ID | null, client: number, clock: number): boolean {
  if (ref === null) return true;
  if (!isSafe(ref.client) || !isSafe(ref.clock)) return false;
  return ref.client !== client || ref.clock < clock;
}

/**
 * Decodes a state vector (a `sync1` payload).
 * @param bytes Bytes from a client.
 * @returns The state vector, or null when the bytes are not one (truncated, trailing bytes, absurd clocks).
 */
export function decodeStateVector(bytes: Uint8Array): Uint8Array | null {
  try {
    const decoder = decoding.createDecoder(bytes);
    const count = decoding.readVarUint(decoder);
    // Each entry takes at least two bytes: a count larger than that is a lie about the length.
    if (count > bytes.byteLength) return null;
    for (let i = 0; i < count; i++) {
      if (!isSafe(decoding.readVarUint(decoder)) || !isSafe(decoding.readVarUint(decoder))) return null;
    }
    return decoding.hasContent(decoder) ? null : bytes;
  } catch {
    return null;
  }
}

/** One entry of an awareness update: the client id and whether it removes that client (state null). */
export interface AwarenessEntry {
  readonly clientId: number;
  readonly removes: boolean;
}

/**
 * Decodes an awareness update (y-protocols encoding: count, then client id, clock and JSON state per entry) without
 * applying it, so a malformed one is refused whole.
 * @param bytes Bytes from a client.
 * @returns The entries, or null when the bytes are malformed (bad varints, bad JSON, trailing bytes).
 */
export function parseAwarenessUpdate(bytes: Uint8Array): AwarenessEntry[] | null {
  try {
    const decoder = decoding.createDecoder(bytes);
    const count = decoding.readVarUint(decoder);
    if (count > bytes.byteLength) return null;
    const entries: AwarenessEntry[] = [];
    for (let i = 0; i < count; i++) {
      const clientId = decoding.readVarUint(decoder);
      decoding.readVarUint(decoder);
      const state: unknown = JSON.parse(decoding.readVarString(decoder));
      if (state !== null && (typeof state !== 'object' || Array.isArray(state))) return null;
      entries.push({ clientId, removes: state === null });
    }
    return decoding.hasContent(decoder) ? null : entries;
  } catch {
    return null;
  }
}

/**
 * Whether applying `update` would change nothing in `doc` (every struct and deletion is already there): the answer
 * of a read-only client to the server's `sync1` usually is such an update, and is then dropped quietly.
 * @param doc The live document.
 * @param update A valid update.
 */
export function addsNothing(doc: Y.Doc, update: Uint8Array): boolean {
  try {
    return Y.snapshotContainsUpdate(Y.snapshot(doc), update);
  } catch {
    return false;
  }
}
