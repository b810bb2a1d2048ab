// Sans-I/O protocol core: RFC 6455 §5.2 frame header parse/serialize. No sockets, no timers.

import { ProtocolError } from './errors.ts';
import { mask } from './mask.ts';

/** A decoded frame header (RFC 6455 §5.2). */
export interface FrameHeader {
  fin: boolean;
  rsv1: boolean;
  rsv2: boolean;
  rsv3: boolean;
  /** 4-bit opcode, possibly reserved (validation is the decoder's job). */
  opcode: number;
  masked: boolean;
  /** Payload length in bytes (at most 2^53 - 1). */
  payloadLength: number;
  /** The 4-byte masking key, or null when `masked` is false. A view into the parsed input. */
  maskKey: Uint8Array | null;
}

/** Input of {@link serializeFrameHeader}. */
export interface FrameHeaderInit {
  fin: boolean;
  /** Set by a negotiated extension (permessage-deflate), default false. */
  rsv1?: boolean;
  opcode: number;
  payloadLength: number;
  /** 4-byte key; present when the client role masks the payload. Default null. */
  maskKey?: Uint8Array | null;
}

/** Longest possible header: 2 + 8 (64-bit length) + 4 (masking key). */
export const MAX_HEADER_SIZE = 14;

const TWO_32 = 0x1_0000_0000;

/**
 * Serializes a frame header with the minimal length encoding (§5.2: "the minimal number of bytes
 * MUST be used to encode the length").
 *
 * @param h - header fields
 * @returns a new buffer of 2-14 bytes, owned by the caller
 * @throws RangeError for an opcode outside 0-15, a negative/non-integer length, or a key that is not 4 bytes
 */
export function serializeFrameHeader(h: FrameHeaderInit): Uint8Array {
  const { opcode, payloadLength: len } = h;
  if (!Number.isInteger(opcode) || opcode < 0 || opcode > 15)
    throw new RangeError(`Cannot serialize opcode "${opcode}"`);
  if (!Number.isSafeInteger(len) || len < 0) throw new RangeError(`Cannot serialize payload length "${len}"`);
  const key = h.maskKey ?? null;
  if (key !== null && key.length !== 4)
    throw new RangeError(`Cannot use a ${key.length}-byte masking key: it must be 4 bytes`);
  return encodeHeader((h.fin ? 0x80 : 0) | (h.rsv1 === true ? 0x40 : 0) | opcode, len, key);
}

/**
 * Hot-path header encoder without argument checks.
 * @internal used by the connection; `b0` is FIN|RSV1|opcode, `len` a safe non-negative integer
 * @returns a new 2-14 byte header
 */
export function encodeHeader(b0: number, len: number, key: Uint8Array | null): Uint8Array {
  const extra = len < 126 ? 0 : len < 0x10000 ? 2 : 8;
  const out = new Uint8Array(2 + extra + (key === null ? 0 : 4));
  out[0] = b0;
  const maskBit = key === null ? 0 : 0x80;
  let at = 2;
  if (extra === 0) {
    out[1] = maskBit | len;
  } else if (extra === 2) {
    out[1] = maskBit | 126;
    out[2] = len >>> 8;
    out[3] = len & 0xff;
    at = 4;
  } else {
    out[1] = maskBit | 127;
    const hi = Math.floor(len / TWO_32);
    const lo = len >>> 0;
    out[2] = hi >>> 24;
    out[3] = (hi >>> 16) & 0xff;
    out[4] = (hi >>> 8) & 0xff;
    out[5] = hi & 0xff;
    out[6] = lo >>> 24;
    out[7] = (lo >>> 16) & 0xff;
    out[8] = (lo >>> 8) & 0xff;
    out[9] = lo & 0xff;
    at = 10;
  }
  if (key !== null) out.set(key, at);
  return out;
}

/**
 * Parses a frame header at the start of `bytes`. Only the encoding is checked here (the 64-bit
 * length's most significant bit); opcode, RSV and masking rules belong to the decoder, which knows
 * the role and the negotiated extensions.
 *
 * @param bytes - input starting at a frame boundary; not kept (maskKey is a view into it)
 * @returns the header and its size in bytes, or null when `bytes` holds too few bytes
 * @throws ProtocolError 1002 when the 64-bit length has its most significant bit set (§5.2), 1009
 *   when it exceeds 2^53 - 1
 */
export function parseFrameHeader(bytes: Uint8Array): { header: FrameHeader; headerLength: number } | null {
  if (bytes.length < 2) return null;
  const b0 = bytes[0]!;
  const b1 = bytes[1]!;
  const masked = (b1 & 0x80) !== 0;
  const len7 = b1 & 0x7f;
  const extra = len7 < 126 ? 0 : len7 === 126 ? 2 : 8;
  const headerLength = 2 + extra + (masked ? 4 : 0);
  if (bytes.length < headerLength) return null;
  let payloadLength = len7;
  if (extra === 2) payloadLength = (bytes[2]! << 8) | bytes[3]!;
  else if (extra === 8) payloadLength = readLength64(bytes, 2);
  return {
    header: {
      fin: (b0 & 0x80) !== 0,
      rsv1: (b0 & 0x40) !== 0,
      rsv2: (b0 & 0x20) !== 0,
      rsv3: (b0 & 0x10) !== 0,
      opcode: b0 & 0x0f,
      masked,
      payloadLength,
      maskKey: masked ? bytes.subarray(2 + extra, headerLength) : null,
    },
    headerLength,
  };
}

/**
 * Reads a 64-bit big-endian payload length.
 * @internal shared with the frame decoder
 * @throws ProtocolError 1002 when the most significant bit is set, 1009 above 2^53 - 1
 */
export function readLength64(bytes: Uint8Array, at: number): number {
  const hi = ((bytes[at]! << 24) | (bytes[at + 1]! << 16) | (bytes[at + 2]! << 8) | bytes[at + 3]!) >>> 0;
  const lo = ((bytes[at + 4]! << 24) | (bytes[at + 5]! << 16) | (bytes[at + 6]! << 8) | bytes[at + 7]!) >>> 0;
  // §5.2: "the most significant bit MUST be 0" in the 64-bit length.
  if (hi >= 0x8000_0000) {
    throw new ProtocolError('Cannot accept a 64-bit payload length with the most significant bit set', {
      code: 'WS_ERR_UNSUPPORTED_DATA_PAYLOAD_LENGTH',
      closeCode: 1002,
    });
  }
  if (hi > 0x1f_ffff) {
    throw new ProtocolError('Cannot accept a payload length above 2^53 - 1', {
      code: 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH',
      closeCode: 1009,
    });
  }
  return hi * TWO_32 + lo;
}

/**
 * Builds a complete frame once, e.g. for a broadcast shared by many server connections.
 *
 * @param opcode - frame opcode
 * @param payload - frame payload; borrowed: never modified. Unmasked frames reference it
 *   without copying, so the caller must not change it until the frame is written
 * @param options - `fin` (default true), `rsv1` (default false), `maskKey` (client role; default null)
 * @returns `[header, payload]`; with a mask key the payload is a new masked copy
 * @throws RangeError as {@link serializeFrameHeader}
 *
 * @example
 * ```ts
 * const frame = serializeFrame(Opcode.TEXT, new TextEncoder().encode('hi'));
 * // frame[0] is 81 02, frame[1] is the payload itself
 * ```
 */
export function serializeFrame(
  opcode: number,
  payload: Uint8Array,
  options?: { fin?: boolean; rsv1?: boolean; maskKey?: Uint8Array | null },
): Uint8Array[] {
  const maskKey = options?.maskKey ?? null;
  const header = serializeFrameHeader({
    fin: options?.fin ?? true,
    rsv1: options?.rsv1 ?? false,
    opcode,
    payloadLength: payload.length,
    maskKey,
  });
  if (maskKey === null || payload.length === 0) return [header, payload];
  // Uint8Array's slice copies; Buffer#slice would be a view and masking would change the caller's bytes.
  const copy = Uint8Array.prototype.slice.call(payload);
  mask(copy, maskKey);
  return [header, copy];
}
