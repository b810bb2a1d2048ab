// Realtime documents: checks of client bytes BEFORE they touch a live document, so a malformed update is refused
// whole and never leaves a half-applied change behind.
import * as decoding from 'lib0/decoding';
import * as Y from 'yjs';

/**
 * Whether `update` is a well-formed Yjs update (v1 encoding): it decodes completely, and applies to an empty scratch
 * document without throwing (an update whose dependencies are missing is parked there, not an error).
 * Yjs reads every struct of an update before integrating any, so an update that passes this cannot fail half-way
 * on the live document for want of bytes.
 * @param update Bytes from a client.
 * @returns true when it may be applied.
 */
export function isValidUpdate(update: Uint8Array): boolean {
  if (update.byteLength < 2) return false;
  const scratch = new Y.Doc({ gc: false });
  try {
    Y.decodeUpdate(update);
    Y.applyUpdate(scratch, update);
    return true;
  } catch {
    return false;
  } finally {
    scratch.destroy();
  }
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
      decoding.readVarUint(decoder);
      decoding.readVarUint(decoder);
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
