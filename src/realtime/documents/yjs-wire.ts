// Realtime documents: y-websocket's binary wire format (y-protocols): one frame per message, a varuint message type
// (0 sync, 1 awareness, 3 query awareness), then for sync a varuint step (0 step 1, 1 step 2, 2 update) and the bytes.
import * as decoding from 'lib0/decoding';
import * as encoding from 'lib0/encoding';
import type { DocKind } from '../../messages/index.ts';

/** y-websocket's message types. */
export const YjsMessageType = { SYNC: 0, AWARENESS: 1, AUTH: 2, QUERY_AWARENESS: 3 } as const;
/** y-protocols' sync steps. */
const SYNC_STEP = { sync1: 0, sync2: 1, update: 2 } as const;
const KIND_OF_STEP: readonly DocKind[] = ['sync1', 'sync2', 'update'];

/** A decoded y-websocket frame. */
export type YjsFrame =
  | { readonly type: 'doc'; readonly kind: DocKind; readonly data: Uint8Array }
  | { readonly type: 'query-awareness' };

/**
 * Encodes one document message as a y-websocket frame.
 * @param kind The document message kind.
 * @param bytes Its Yjs bytes.
 */
export function encodeYjsFrame(kind: DocKind, bytes: Uint8Array): Uint8Array {
  const encoder = encoding.createEncoder();
  if (kind === 'awareness') {
    encoding.writeVarUint(encoder, YjsMessageType.AWARENESS);
  } else {
    encoding.writeVarUint(encoder, YjsMessageType.SYNC);
    encoding.writeVarUint(encoder, SYNC_STEP[kind]);
  }
  encoding.writeVarUint8Array(encoder, bytes);
  return encoding.toUint8Array(encoder);
}

/**
 * Decodes one y-websocket frame from a client.
 * @param frame The binary frame.
 * @returns The message, or null when it is malformed, of an unknown type, or has bytes left over.
 */
export function decodeYjsFrame(frame: Uint8Array): YjsFrame | null {
  try {
    const decoder = decoding.createDecoder(frame);
    const type = decoding.readVarUint(decoder);
    let result: YjsFrame;
    if (type === YjsMessageType.SYNC) {
      const kind = KIND_OF_STEP[decoding.readVarUint(decoder)];
      if (kind === undefined) return null;
      result = { type: 'doc', kind, data: decoding.readVarUint8Array(decoder) };
    } else if (type === YjsMessageType.AWARENESS) {
      result = { type: 'doc', kind: 'awareness', data: decoding.readVarUint8Array(decoder) };
    } else if (type === YjsMessageType.QUERY_AWARENESS) {
      result = { type: 'query-awareness' };
    } else {
      return null;
    }
    return decoding.hasContent(decoder) ? null : result;
  } catch {
    return null;
  }
}
