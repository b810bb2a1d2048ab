// Sans-I/O protocol core: the RFC 6455 §7.4 close code registry and the close payload. No sockets, no timers.

import { ProtocolError } from './errors.ts';
import { Utf8Validator } from './utf8.ts';

/**
 * Close status codes (RFC 6455 §7.4.1, IANA registry §11.7). Codes marked *internal* are reported
 * locally and never put on the wire (§7.4.1: "MUST NOT be set as a status code in a Close control
 * frame by an endpoint").
 */
export const CloseCode = {
  NORMAL: 1000,
  GOING_AWAY: 1001,
  PROTOCOL_ERROR: 1002,
  UNSUPPORTED_DATA: 1003,
  /** *internal*: the peer's Close frame carried no status code. */
  NO_STATUS_RECEIVED: 1005,
  /** *internal*: the connection was lost without a Close frame. */
  ABNORMAL_CLOSURE: 1006,
  INVALID_PAYLOAD: 1007,
  POLICY_VIOLATION: 1008,
  MESSAGE_TOO_BIG: 1009,
  MANDATORY_EXTENSION: 1010,
  INTERNAL_ERROR: 1011,
  SERVICE_RESTART: 1012,
  TRY_AGAIN_LATER: 1013,
  BAD_GATEWAY: 1014,
  /** *internal*: the TLS handshake failed. */
  TLS_HANDSHAKE: 1015,
} as const;

/** One of the registered close codes. */
export type CloseCode = (typeof CloseCode)[keyof typeof CloseCode];

/** Largest close reason in UTF-8 bytes: a control frame payload is ≤ 125 bytes (§5.5), 2 hold the code. */
export const MAX_CLOSE_REASON_BYTES = 123;

/**
 * Whether `code` may appear in a Close frame on the wire: 1000-1003, 1007-1014 (registered) and
 * 3000-4999 (libraries, frameworks, applications; §7.4.2). 1004 is reserved, 1005/1006/1015 are
 * internal, 0-999 and 1016-2999 are unused, ≥ 5000 is undefined.
 *
 * @param code - a close code
 * @returns true when an endpoint may send or accept it
 */
export function isValidCloseCode(code: number): boolean {
  return (
    (code >= 1000 && code <= 1014 && code !== 1004 && code !== 1005 && code !== 1006) || (code >= 3000 && code <= 4999)
  );
}

const decoder = new TextDecoder();
const encoder = new TextEncoder();
const EMPTY = new Uint8Array(0);

/**
 * Parses the payload of a received Close frame (RFC 6455 §5.5.1).
 *
 * @param payload - the unmasked Close payload (≤ 125 bytes); not kept
 * @returns the status code (1005 when the payload is empty) and the reason
 * @throws ProtocolError 1002 for a 1-byte payload or an invalid code, 1007 for a reason that is not UTF-8
 */
export function parseClosePayload(payload: Uint8Array): { code: number; reason: string } {
  if (payload.length === 0) return { code: CloseCode.NO_STATUS_RECEIVED, reason: '' };
  // §5.5.1: "If there is a body, the first two bytes of the body MUST be a 2-byte unsigned integer".
  if (payload.length === 1) {
    throw new ProtocolError('Cannot parse close payload: 1 byte is too short for a status code', {
      code: 'WS_ERR_INVALID_CONTROL_PAYLOAD_LENGTH',
      closeCode: CloseCode.PROTOCOL_ERROR,
    });
  }
  const code = (payload[0]! << 8) | payload[1]!;
  // §7.4.1/§7.4.2: only registered or 3000-4999 codes may be received.
  if (!isValidCloseCode(code)) {
    throw new ProtocolError(`Cannot accept close code "${code}"`, {
      code: 'WS_ERR_INVALID_CLOSE_CODE',
      closeCode: CloseCode.PROTOCOL_ERROR,
    });
  }
  if (payload.length === 2) return { code, reason: '' };
  const validator = new Utf8Validator();
  // §5.5.1: the reason is "not guaranteed to be human readable" but is UTF-8; §8.1 fails invalid text.
  if (!validator.feed(payload, 2) || !validator.complete) {
    throw new ProtocolError('Cannot accept close reason: invalid UTF-8', {
      code: 'WS_ERR_INVALID_UTF8',
      closeCode: CloseCode.INVALID_PAYLOAD,
    });
  }
  return { code, reason: decoder.decode(payload.subarray(2)) };
}

/**
 * Builds the payload of a Close frame to send.
 *
 * @param code - status code; omit for an empty payload (which then reads as 1005 on the other side)
 * @param reason - UTF-8 reason, at most 123 bytes; needs a code
 * @returns a new buffer owned by the caller
 * @throws TypeError when a reason is given without a code or is not a string
 * @throws RangeError when the code may not be sent or the reason exceeds 123 bytes
 */
export function serializeClosePayload(code?: number, reason?: string): Uint8Array {
  if (code === undefined) {
    if (reason !== undefined && reason !== '') throw new TypeError('Cannot send a close reason without a close code');
    return EMPTY.slice();
  }
  if (typeof code !== 'number' || !Number.isInteger(code) || !isValidCloseCode(code)) {
    throw new RangeError(`Cannot send close code "${String(code)}": use 1000-1003, 1007-1014 or 3000-4999`);
  }
  if (reason !== undefined && typeof reason !== 'string')
    throw new TypeError('Cannot send a close reason that is not a string');
  const text = reason === undefined || reason === '' ? EMPTY : encoder.encode(reason);
  if (text.length > MAX_CLOSE_REASON_BYTES) {
    throw new RangeError(`Cannot send a close reason of ${text.length} bytes: the limit is ${MAX_CLOSE_REASON_BYTES}`);
  }
  const out = new Uint8Array(2 + text.length);
  out[0] = code >>> 8;
  out[1] = code & 0xff;
  out.set(text, 2);
  return out;
}
