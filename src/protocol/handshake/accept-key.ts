// Sans-I/O handshake: Sec-WebSocket-Key and Sec-WebSocket-Accept (RFC 6455 §4.1, §4.2.2). Only node:crypto.
import * as crypto from 'node:crypto';
import { createHash, randomBytes } from 'node:crypto';

/** The GUID that RFC 6455 §1.3 appends to the key before hashing. */
export const WEBSOCKET_GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';

/**
 * Computes `Sec-WebSocket-Accept` for a `Sec-WebSocket-Key` (RFC 6455 §4.2.2 step 5.4):
 * base64(SHA-1(key + GUID)).
 *
 * @param key - the client's key, as sent (not decoded)
 * @returns the 28-character base64 accept value
 * @example
 * ```ts
 * computeAcceptKey('dGhlIHNhbXBsZSBub25jZQ=='); // 's3pPLMBiTxaQ9kYGzzhZRbK+xOo='
 * ```
 */
export function computeAcceptKey(key: string): string {
  // One-shot `crypto.hash` (Node >= 20.12) skips the Hash object; it reads strings as UTF-8, which
  // is latin1 for the ASCII a real key is made of.
  if (oneShotHash !== undefined && isAscii(key)) return oneShotHash('sha1', key + WEBSOCKET_GUID, 'base64');
  return createHash('sha1')
    .update(key + WEBSOCKET_GUID, 'latin1')
    .digest('base64');
}

function isAscii(value: string): boolean {
  for (let i = 0; i < value.length; i++) if (value.charCodeAt(i) > 0x7f) return false;
  return true;
}

type OneShotHash = (algorithm: string, data: string, outputEncoding: 'base64') => string;
const oneShotHash = (crypto as { hash?: OneShotHash }).hash;

/**
 * Draws a fresh client key: "a randomly selected 16-byte value that has been base64-encoded"
 * (RFC 6455 §4.1, item 7), from the CSPRNG.
 *
 * @returns 24 base64 characters ending in `==`
 */
export function generateKey(): string {
  return randomBytes(16).toString('base64');
}

const B64 = new Uint8Array(128);
for (const ch of 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/') B64[ch.charCodeAt(0)] = 1;

/**
 * Whether `key` is a valid `Sec-WebSocket-Key`: base64 that decodes to exactly 16 bytes
 * (RFC 6455 §4.2.1 item 5), i.e. 22 base64 characters then `==`. Like ws, the unused low bits of
 * the 22nd character are not required to be zero: the RFC asks only that the value decode to 16
 * bytes, and a lenient decoder does. No whitespace is allowed inside the value.
 *
 * @param key - the header value, already stripped of surrounding OWS
 * @returns true when valid
 * @example
 * ```ts
 * isValidKey('dGhlIHNhbXBsZSBub25jZQ=='); // true
 * isValidKey('dGVzdA=='); // false: decodes to 4 bytes
 * ```
 */
export function isValidKey(key: string): boolean {
  if (key.length !== 24 || key.charCodeAt(22) !== 0x3d || key.charCodeAt(23) !== 0x3d) return false;
  for (let i = 0; i < 22; i++) {
    const c = key.charCodeAt(i);
    if (c >= 128 || B64[c] !== 1) return false;
  }
  return true;
}
