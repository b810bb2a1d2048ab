// Sans-I/O handshake: reading header maps and writing header lines safely. No sockets, no timers.
import type { HandshakeErrorCode } from './codes.ts';
import { handshakeError } from './codes.ts';
import { isToken } from './header-tokens.ts';

/** A Node-style header map: lower-case names; arrays for repeated lines (`headersDistinct`). */
export type HeaderMap = Readonly<Record<string, string | readonly string[] | undefined>>;

/** Reads an own property only, so a polluted `Object.prototype` can never supply a header. */
function raw(headers: HeaderMap, name: string): string | readonly string[] | undefined {
  if (!Object.hasOwn(headers, name)) return undefined;
  const value = headers[name];
  if (value === undefined || typeof value === 'string') return value;
  if (Array.isArray(value) && value.every((v) => typeof v === 'string')) return value as readonly string[];
  throw new TypeError(`Cannot read header "${name}": expected a string or an array of strings`);
}

/** Strips OWS (SP / HTAB) at both ends, in one pass from each side. */
export function trimOws(value: string): string {
  let start = 0;
  let end = value.length;
  while (start < end && isOws(value.charCodeAt(start))) start++;
  while (end > start && isOws(value.charCodeAt(end - 1))) end--;
  return start === 0 && end === value.length ? value : value.slice(start, end);
}

function isOws(c: number): boolean {
  return c === 0x20 || c === 0x09;
}

/**
 * Reads a header that must appear at most once. An array with several lines is a duplicate
 * (400 `WS_ERR_DUPLICATE_HEADER`). Surrounding OWS is not part of the value (RFC 7230 §3.2.4).
 */
export function singleHeader(
  headers: HeaderMap,
  name: string,
  failure: { status: number; code?: HandshakeErrorCode },
): string | undefined {
  const value = raw(headers, name);
  if (value === undefined) return undefined;
  if (typeof value === 'string') return trimOws(value);
  if (value.length === 0) return undefined;
  if (value.length > 1) {
    throw handshakeError(`Cannot accept header "${name}": it appears ${value.length} times`, {
      code: failure.code ?? 'WS_ERR_DUPLICATE_HEADER',
      status: failure.status,
    });
  }
  return trimOws(value[0] as string);
}

/** Reads a list header; repeated lines are joined with `", "` (RFC 7230 §3.2.2). */
export function listHeader(headers: HeaderMap, name: string): string | undefined {
  const value = raw(headers, name);
  if (value === undefined || typeof value === 'string') return value;
  return value.length === 0 ? undefined : value.join(', ');
}

/**
 * Removes every control character except HTAB (CR, LF and NUL included) from a header value we
 * are about to write, so a value can never end the header line or start a new one (response
 * splitting). Node's own `http` rejects the same characters.
 */
export function sanitizeHeaderValue(value: string): string {
  let out = '';
  let runStart = 0;
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if ((c < 0x20 && c !== 0x09) || c === 0x7f) {
      out += value.slice(runStart, i);
      runStart = i + 1;
    }
  }
  return runStart === 0 ? value : out + value.slice(runStart);
}

/**
 * Formats caller-supplied extra headers as `Name: value\r\n` lines.
 * @throws {TypeError} when a name is not a token or is one the builder writes itself
 */
export function formatExtraHeaders(
  headers: Readonly<Record<string, string>> | undefined,
  reserved: ReadonlySet<string>,
): string {
  if (headers === undefined) return '';
  let out = '';
  for (const [name, value] of Object.entries(headers)) {
    if (!isToken(name)) throw new TypeError('Cannot write header: the name is not a token');
    if (reserved.has(name.toLowerCase()))
      throw new TypeError(`Cannot write header "${name}": it is set by the handshake`);
    if (typeof value !== 'string') throw new TypeError(`Cannot write header "${name}": the value is not a string`);
    out += `${name}: ${sanitizeHeaderValue(value)}\r\n`;
  }
  return out;
}

/** The headers {@link validateUpgradeRequest} reads, by length then name (lower case). */
const UPGRADE_HEADER_NAMES: ReadonlyMap<number, readonly string[]> = new Map([
  [4, ['host']],
  [6, ['origin']],
  [7, ['upgrade']],
  [10, ['connection']],
  [17, ['sec-websocket-key']],
  [18, ['sec-websocket-key1', 'sec-websocket-key2']],
  [21, ['sec-websocket-version']],
  [22, ['sec-websocket-protocol']],
  [24, ['sec-websocket-extensions']],
]);

/**
 * Picks the headers an upgrade request is validated on from a raw header list (Node's
 * `req.rawHeaders`: name, value, name, value...), lower-casing the names. A header given once is a
 * string, a repeated one an array of its lines, so `validateUpgradeRequest` sees exactly what
 * `req.headersDistinct` would show it (two `Host` lines stay visible), without building a map of
 * every header of the request.
 * @param rawHeaders - alternating names and values, as received
 * @returns a map with only the handshake's headers
 */
export function pickUpgradeHeaders(rawHeaders: readonly string[]): Record<string, string | string[]> {
  const picked: Record<string, string | string[]> = {};
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
    const rawName = rawHeaders[i]!;
    const candidates = UPGRADE_HEADER_NAMES.get(rawName.length);
    if (candidates === undefined) continue;
    let name: string | undefined;
    for (const candidate of candidates) {
      if (equalsLowerCase(rawName, candidate)) {
        name = candidate;
        break;
      }
    }
    if (name === undefined) continue;
    const value = rawHeaders[i + 1]!;
    const seen = picked[name];
    if (seen === undefined) picked[name] = value;
    else if (typeof seen === 'string') picked[name] = [seen, value];
    else seen.push(value);
  }
  return picked;
}

/** ASCII case-insensitive equality with a lower-case string of the same length, without allocating. */
export function equalsLowerCase(value: string, lower: string): boolean {
  if (value.length !== lower.length) return false;
  for (let i = 0; i < lower.length; i++) {
    let c = value.charCodeAt(i);
    if (c >= 0x41 && c <= 0x5a) c |= 0x20;
    if (c !== lower.charCodeAt(i)) return false;
  }
  return true;
}
